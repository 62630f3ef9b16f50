# project_warnings: an INTERFACE target every module links privately, so third-party
# code (including protoc's generated sources) is compiled without our warning set.
add_library(project_warnings INTERFACE)
target_compile_options(project_warnings INTERFACE
  -Wall -Wextra -Wpedantic -Wshadow -Wconversion -Wnon-virtual-dtor
  -Woverloaded-virtual -Wcast-align -Wnull-dereference -Wdouble-promotion
  -Wimplicit-fallthrough -Wformat=2)
if(CMAKE_CXX_COMPILER_ID MATCHES "Clang")
  target_compile_options(project_warnings INTERFACE -Wthread-safety)
endif()
if(WARNINGS_AS_ERRORS)
  target_compile_options(project_warnings INTERFACE -Werror)
endif()
