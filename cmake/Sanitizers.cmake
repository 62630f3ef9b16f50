# Sanitizers apply to every target (ours and the tests) so instrumented and
# uninstrumented code never mix inside one binary.
if(CEP_SANITIZERS)
  add_compile_options(-fsanitize=${CEP_SANITIZERS} -fno-omit-frame-pointer -fno-sanitize-recover=all)
  add_link_options(-fsanitize=${CEP_SANITIZERS})
endif()
if(CEP_BUILD_FUZZERS)
  if(NOT CMAKE_CXX_COMPILER_ID MATCHES "Clang")
    message(FATAL_ERROR "CEP_BUILD_FUZZERS needs clang (use the 'fuzz' preset)")
  endif()
  # Coverage instrumentation everywhere; only the fuzz targets link libFuzzer's main.
  add_compile_options(-fsanitize=fuzzer-no-link)
endif()
