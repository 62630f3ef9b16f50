# Sources of cep/expr/, added to the cep_core target.
target_sources(cep_core PRIVATE)
