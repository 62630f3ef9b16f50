# Sources of cep/window/, added to the cep_core target.
target_sources(cep_core PRIVATE
  window/window_spec.cc
  window/last_window_state.cc
  window/last_window_snapshot.cc
  window/firing_window_state.cc
  window/firing_window_snapshot.cc
  window/internal/aggregate_ops.cc
  window/internal/byte_codec.cc)
