#include "cep/base/check.h"

#include <cstdio>
#include <cstdlib>

namespace cep::internal {

void CheckFailed(const char* condition, const char* why, const char* file, int line) {
  std::fprintf(stderr, "CHECK failed at %s:%d: %s (%s)\n", file, line, condition, why);
  std::fflush(stderr);
  std::abort();
}

}  // namespace cep::internal
