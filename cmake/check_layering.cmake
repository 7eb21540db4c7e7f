# Fails when a module under src/ includes what DESIGN.md section 2 does not allow it to.
#   cmake -DSRC_DIR=<repo>/src -P cmake/check_layering.cmake
#
# Two rules: a module may include headers of the modules its arrow points to (and its own), and
# a third-party header only if the module is listed for it. Every violation is reported, with
# file and line, before the script fails.
cmake_policy(VERSION 3.25)

if(NOT SRC_DIR)
  message(FATAL_ERROR "usage: cmake -DSRC_DIR=<path to src> -P check_layering.cmake")
endif()

# module -> modules it may include
set(allow_base     base)
set(allow_wechat   wechat base)
set(allow_domain   domain base)
set(allow_qr       qr base)
set(allow_config   config base)
set(allow_store    store domain wechat base)
set(allow_net      net wechat base)
set(allow_service  service domain wechat qr net base)
set(allow_sim      sim wechat qr net base)
set(allow_app      app base wechat domain qr config store net service sim)
set(modules base wechat domain qr config store net service sim app)

# third-party include prefix -> modules that may include it
set(third_party
  "boost/asio|net service sim app"
  "boost/beast|net service sim app"
  "curl/|net app"
  "sqlite3.h|store app"
  "pqxx|store app"
  "hiredis|store app"
  "libpq-fe.h|store"
  "pugixml|wechat sim"
  "nlohmann/|wechat store net service sim app"
  "toml++|config app"
  "CLI/|app"
  "spdlog/|wechat store net service sim app config"
  "openssl/|wechat store net service sim app"
  "qrcodegen|qr"
  "png.h|qr"
  "jpeglib.h|qr"
  "zbar|qr"
  "ft2build.h|qr"
  "freetype/|qr")

set(violations "")
file(GLOB module_dirs LIST_DIRECTORIES true ${SRC_DIR}/*)
foreach(dir IN LISTS module_dirs)
  if(NOT IS_DIRECTORY ${dir})
    continue()
  endif()
  get_filename_component(mod ${dir} NAME)
  if(NOT mod IN_LIST modules)
    list(APPEND violations "src/${mod}/ is not a module of DESIGN.md (add it there and here first)")
    continue()
  endif()
  file(GLOB_RECURSE files ${dir}/*.h ${dir}/*.cpp)
  foreach(f IN LISTS files)
    file(RELATIVE_PATH rel ${SRC_DIR} ${f})
    file(STRINGS ${f} lines REGEX "^[ \t]*#[ \t]*include")
    foreach(line IN LISTS lines)
      if(line MATCHES "#[ \t]*include[ \t]*\"([^\"]+)\"")
        set(inc ${CMAKE_MATCH_1})
        string(REGEX MATCH "^[^/]+" first "${inc}")
        if(first IN_LIST modules AND NOT first IN_LIST allow_${mod})
          list(APPEND violations "${rel} includes \"${inc}\" but ${mod}/ may use only: ${allow_${mod}}")
        endif()
      elseif(line MATCHES "#[ \t]*include[ \t]*<([^>]+)>")
        set(inc ${CMAKE_MATCH_1})
        foreach(rule IN LISTS third_party)
          string(REPLACE "|" ";" parts "${rule}")
          list(GET parts 0 prefix)
          list(GET parts 1 allowed)
          string(REPLACE " " ";" allowed "${allowed}")
          string(FIND "${inc}" "${prefix}" at)
          if(at EQUAL 0 AND NOT mod IN_LIST allowed)
            list(APPEND violations "${rel} includes <${inc}>, which only ${allowed} may include")
          endif()
        endforeach()
      endif()
    endforeach()
  endforeach()
endforeach()

if(violations)
  list(LENGTH violations n)
  foreach(v IN LISTS violations)
    message("layering violation: ${v}")
  endforeach()
  message(FATAL_ERROR "${n} layering violation(s); see DESIGN.md section 2 for what each module may use")
endif()
message(STATUS "layering ok")
