# Sources of cep/nfa/, added to the cep_core target.
target_sources(cep_core PRIVATE
  nfa/pattern_condition.cc
  nfa/pattern.cc
  nfa/nfa_compiler.cc
  nfa/nfa_matcher.cc
  nfa/nfa_matcher_output.cc
  nfa/nfa_snapshot.cc
  nfa/internal/event_codec.cc
  nfa/internal/shared_buffer.cc)
