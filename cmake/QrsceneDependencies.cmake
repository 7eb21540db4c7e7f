# Every dependency comes from a Debian 12 package installed by scripts/bootstrap.
find_package(OpenSSL 3.0.4 REQUIRED)              # OpenSSL::Crypto (SHA-1, AES-256-CBC, RAND_bytes;
                                                  # 3.0.4: EVP_MAC_init restarts HMAC with its key)
find_package(fmt 9 REQUIRED CONFIG)               # fmt::fmt
find_package(pugixml 1.13 REQUIRED CONFIG)        # pugixml::pugixml
find_package(nlohmann_json 3.11 REQUIRED CONFIG)  # nlohmann_json::nlohmann_json
find_package(tomlplusplus 3.3 REQUIRED CONFIG)    # tomlplusplus::tomlplusplus (qrscene.toml)

find_package(Boost 1.74 REQUIRED)                 # Boost::headers (Asio, Beast)
find_package(Threads REQUIRED)
find_package(CURL 7.85 REQUIRED)                  # CURL::libcurl (the WeChat API client's transport)
find_package(spdlog 1.10 REQUIRED CONFIG)         # spdlog::spdlog (compiled, external fmt)
find_package(SQLite3 3.40 REQUIRED)               # SQLite::SQLite3 (the embedded store)
find_package(CLI11 2.1 REQUIRED CONFIG)           # CLI11::CLI11
find_package(PNG 1.6 REQUIRED)                    # PNG::PNG (QR images)
find_package(JPEG 62 REQUIRED)                    # JPEG::JPEG (libjpeg-turbo: showqrcode's JPEG)
find_package(Freetype 2.10 REQUIRED)              # Freetype::Freetype (the text of campaign posters)
find_package(absl REQUIRED CONFIG)                # absl::flat_hash_map (the writer's recent pushes)
find_package(PkgConfig REQUIRED)
pkg_check_modules(QRCODEGEN REQUIRED IMPORTED_TARGET qrcodegencpp)  # Nayuki's QR encoder
pkg_check_modules(ZBAR REQUIRED IMPORTED_TARGET zbar)               # QR decoding (the sim's scans)
pkg_check_modules(XLSXWRITER REQUIRED IMPORTED_TARGET xlsxwriter)   # follower exports as .xlsx
pkg_check_modules(LIBZIP REQUIRED IMPORTED_TARGET libzip)           # many channels' QR codes as one .zip
pkg_check_modules(PQXX REQUIRED IMPORTED_TARGET libpqxx libpq)       # the PostgreSQL store (store/postgres)
pkg_check_modules(HIREDIS REQUIRED IMPORTED_TARGET hiredis)         # the shared token, dedup and notifications (store/redis)
if(QRSCENE_BUILD_TESTS AND NOT QRSCENE_BUILD_FUZZ)
  find_package(GTest 1.12 REQUIRED CONFIG)        # GTest::gtest_main, GTest::gmock
endif()
if(QRSCENE_BUILD_BENCH AND NOT QRSCENE_BUILD_FUZZ)
  find_package(benchmark 1.7 REQUIRED CONFIG)     # benchmark::benchmark
endif()

# Warnings for our own targets only (never for the libraries we include).
add_library(qrscene_warnings INTERFACE)
target_compile_options(qrscene_warnings INTERFACE
  -Wall -Wextra -Wpedantic -Wshadow -Wconversion -Wno-sign-conversion -Wnon-virtual-dtor
  -Wold-style-cast -Woverloaded-virtual -Wimplicit-fallthrough
  $<$<BOOL:${QRSCENE_WERROR}>:-Werror>
  # g++ 12 at -O2 sees Asio's coroutine frames allocated by thread_info_base::allocate (::operator
  # new) and freed by awaitable_frame_base::operator delete, which calls the matching deallocate:
  # a false positive (GCC bug 109224) that stops the release build of any awaitable handler.
  $<$<CXX_COMPILER_ID:GNU>:-Wno-mismatched-new-delete>)

# Asio and Beast compiled once for the whole build (Beast's own trick): every translation unit
# that includes them sees the SEPARATE_COMPILATION macros through this target, and the bodies
# live in one object file.
add_library(qrscene_boost_impl STATIC ${PROJECT_SOURCE_DIR}/src/net/boost_impl.cpp)
target_compile_definitions(qrscene_boost_impl PUBLIC
  BOOST_ASIO_SEPARATE_COMPILATION BOOST_BEAST_SEPARATE_COMPILATION BOOST_ASIO_NO_DEPRECATED
  # Boost 1.74 looks for clang's coroutines only in libc++'s <experimental/coroutine>; clang 14 with
  # libstdc++ has C++20's <coroutine> (the fuzz build).
  $<$<CXX_COMPILER_ID:Clang>:BOOST_ASIO_HAS_CO_AWAIT=1>)
target_link_libraries(qrscene_boost_impl PUBLIC Boost::headers Threads::Threads OpenSSL::SSL)
