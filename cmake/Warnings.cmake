# project_warnings: an INTERFACE target every module links privately, so third-party
# code (including protoc's generated sources) is compiled without our warning set.
add_library(project_warnings INTERFACE)
target_compile_options(project_warnings INTERFACE
  -Wall -Wextra -Wpedantic -Wshadow -Wconversion -Wnon-virtual-dtor
  -Woverloaded-virtual -Wcast-align -Wdouble-promotion -Wimplicit-fallthrough -Wformat=2)
# Left out on purpose: -Wnull-dereference, which gcc 12 reports at -O2 inside
# std::variant and std::string (every Result and Status) although nothing is null.
if(CMAKE_CXX_COMPILER_ID STREQUAL "GNU")
  # gcc 12 false positives in libstdc++'s string copies at -O2 (GCC bug 105329).
  target_compile_options(project_warnings INTERFACE -Wno-restrict)
endif()
if(CMAKE_CXX_COMPILER_ID MATCHES "Clang")
  target_compile_options(project_warnings INTERFACE -Wthread-safety)
endif()
if(WARNINGS_AS_ERRORS)
  target_compile_options(project_warnings INTERFACE -Werror)
endif()
