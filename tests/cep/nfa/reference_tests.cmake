# The reference matcher (slow, obviously correct) and the CEP_SEMANTICS.md
# examples it answers, plus its random-pattern invariants test.
cep_test(reference_matcher_tests
  SOURCES reference_matcher.cc semantics_test.cc reference_random_test.cc
  LIBS cep_core)
