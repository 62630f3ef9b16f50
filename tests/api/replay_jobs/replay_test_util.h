#pragma once

#include <unistd.h>

#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>

namespace api::replay_jobs::testing {

// A fresh directory under the system temp dir, removed at the end of the test.
class TempDir {
 public:
  explicit TempDir(const std::string& name)
      : path_(std::filesystem::temp_directory_path() /
              ("cep-replay-jobs-" + std::to_string(::getpid()) + "-" + name)) {
    std::filesystem::remove_all(path_);
    std::filesystem::create_directories(path_);
  }
  ~TempDir() {
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
  }
  const std::filesystem::path& path() const { return path_; }

 private:
  std::filesystem::path path_;
};

// A ruleset whose one rule alerts on every purchase above LARGE (100).
inline constexpr const char* kLargePurchaseRules =
    "ruleset large version 1\n"
    "schema transaction\n"
    "const LARGE = 100\n"
    "rule large_purchase {\n"
    "  severity high\n"
    "  key account_id\n"
    "  where kind == \"purchase\" and amount > LARGE\n"
    "  window last 1m\n"
    "  when count() >= 1\n"
    "}\n";

// One JSONL event: account a<i % 7>, amount i % 200, ts 1000 * (i + 1).
inline std::string EventLine(uint64_t i) {
  return "{\"id\":\"e" + std::to_string(i) + "\",\"account_id\":\"a" + std::to_string(i % 7) +
         "\",\"kind\":\"purchase\",\"amount\":" + std::to_string(i % 200) +
         ",\"ts\":" + std::to_string(1000 * (i + 1)) + "}";
}

// Events whose amount is above 100: what kLargePurchaseRules alerts on.
inline uint64_t LargeAmongFirst(uint64_t n) {
  uint64_t large = 0;
  for (uint64_t i = 0; i < n; ++i) large += i % 200 > 100 ? 1 : 0;
  return large;
}

inline void WriteEvents(const std::filesystem::path& path, uint64_t n) {
  std::ofstream out(path);
  for (uint64_t i = 0; i < n; ++i) out << EventLine(i) << '\n';
}

inline void WriteText(const std::filesystem::path& path, const std::string& text) {
  std::ofstream(path) << text;
}

inline std::filesystem::path SourceDir() {
  const char* dir = std::getenv("CEP_SOURCE_DIR");
  return dir != nullptr ? dir : ".";
}

}  // namespace api::replay_jobs::testing
