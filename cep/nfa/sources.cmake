# Sources of cep/nfa/, added to the cep_core target.
target_sources(cep_core PRIVATE nfa/pattern_condition.cc)
