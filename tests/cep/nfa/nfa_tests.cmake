# The NFA's own tests (cep/nfa/): compiler, matcher, shared buffer, snapshots.
cep_test(nfa_tests
  SOURCES nfa_pattern_test.cc nfa_semantics_test.cc nfa_negation_test.cc
          nfa_contiguity_test.cc nfa_skip_test.cc nfa_time_test.cc nfa_state_test.cc
          nfa_snapshot_test.cc nfa_property_test.cc
  LIBS cep_core)
