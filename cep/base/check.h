#pragma once

// CHECK stops the process when one of our own invariants breaks (a bug, not bad
// input): it prints the condition, the reason and the place, then aborts so the
// orchestrator restarts us from the last checkpoint. It is on in every build.
// DCHECK is for checks too expensive for release builds; it compiles to nothing
// under NDEBUG but its arguments must still compile.

namespace cep::internal {
[[noreturn]] void CheckFailed(const char* condition, const char* why, const char* file, int line);
}  // namespace cep::internal

#define CHECK(condition, why)                                              \
  do {                                                                     \
    if (!(condition)) [[unlikely]]                                         \
      ::cep::internal::CheckFailed(#condition, (why), __FILE__, __LINE__); \
  } while (false)

#ifdef NDEBUG
#define DCHECK(condition, why)             \
  do {                                     \
    if (false && (condition)) (void)(why); \
  } while (false)
#else
#define DCHECK(condition, why) CHECK(condition, why)
#endif
