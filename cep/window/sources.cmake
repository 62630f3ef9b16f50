# Sources of cep/window/, added to the cep_core target.
target_sources(cep_core PRIVATE)
