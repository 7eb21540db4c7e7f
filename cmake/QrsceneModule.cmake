# qrscene_module(<name> [NO_LIBRARY_TESTS] [DEPS ...] [PRIVATE_DEPS ...] [TEST_DEPS ...] [TEST_FIXTURES ...])
#
# Makes the static library qrscene_<name> from src/<name>/*.cpp and, when tests are on, the unit
# test executable qrscene_<name>_test from the *_test.cpp files that sit beside the code. Headers
# are included as "<name>/<file>.h" from src/, so a module reaches another only by its full path,
# which is what the layering test checks.
function(qrscene_module name)
  cmake_parse_arguments(ARG "NO_LIBRARY_TESTS" "" "DEPS;PRIVATE_DEPS;TEST_DEPS;TEST_FIXTURES" ${ARGN})
  set(dir ${PROJECT_SOURCE_DIR}/src/${name})
  file(GLOB_RECURSE srcs CONFIGURE_DEPENDS ${dir}/*.cpp)
  file(GLOB_RECURSE tests CONFIGURE_DEPENDS ${dir}/*_test.cpp)
  list(REMOVE_ITEM srcs ${dir}/main.cpp ${dir}/boost_impl.cpp)
  if(tests)
    list(REMOVE_ITEM srcs ${tests})
  endif()
  add_library(qrscene_${name} STATIC ${srcs})
  target_include_directories(qrscene_${name} PUBLIC ${PROJECT_SOURCE_DIR}/src)
  target_link_libraries(qrscene_${name} PUBLIC ${ARG_DEPS} PRIVATE ${ARG_PRIVATE_DEPS} qrscene_warnings)
  if(tests AND QRSCENE_BUILD_TESTS AND NOT ARG_NO_LIBRARY_TESTS)
    add_executable(qrscene_${name}_test ${tests})
    target_link_libraries(qrscene_${name}_test PRIVATE
      qrscene_${name} ${ARG_PRIVATE_DEPS} ${ARG_TEST_DEPS} qrscene_test_support GTest::gmock GTest::gtest_main
      qrscene_warnings)
    # Properties go to the discovered tests as a flat list: a value holding ';' would split, so
    # the fixtures come first.
    set(fixtures)
    if(ARG_TEST_FIXTURES)
      set(fixtures FIXTURES_REQUIRED ${ARG_TEST_FIXTURES})
    endif()
    gtest_discover_tests(qrscene_${name}_test
      WORKING_DIRECTORY ${PROJECT_SOURCE_DIR}
      PROPERTIES ${fixtures} LABELS "unit;${name}" ENVIRONMENT "QRSCENE_SOURCE_DIR=${PROJECT_SOURCE_DIR}"
      DISCOVERY_TIMEOUT 30)
  endif()
endfunction()
