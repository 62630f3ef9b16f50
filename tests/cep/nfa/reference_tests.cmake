# The reference matcher (slow, obviously correct) and the CEP_SEMANTICS.md
# examples it answers (for both matchers: the reference and cep_core's
# NfaMatcher), plus its random-pattern invariants test.
cep_test(reference_matcher_tests
  SOURCES reference_matcher.cc semantics_test.cc reference_random_test.cc
  LIBS cep_core)

# NfaMatcher against the reference on random patterns and streams (fixed seeds).
cep_test(nfa_differential_tests
  SOURCES reference_matcher.cc differential_test.cc
  LIBS cep_core)
