# Sources of cep/expr/, added to the cep_core target.
target_sources(cep_core PRIVATE
  expr/expr.cc
  expr/expr_builder.cc
  expr/expr_condition.cc
  expr/scratch_arena.cc
  expr/internal/arith.cc
  expr/internal/compare.cc
  expr/internal/functions.cc
  expr/internal/leaf_ops.cc
  expr/internal/stage_ops.cc
  expr/internal/value_set.cc)
