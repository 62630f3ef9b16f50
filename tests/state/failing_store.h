#pragma once

#include <atomic>
#include <cstdint>
#include <string>

#include "state/state_store.h"

namespace state {

struct FailingStoreOptions {
  uint64_t fail_at_write = 0;  // 0: never fail
  bool only_once = false;      // fail that one write only; later ones succeed
};

// A StateStore decorator for failure-path tests (of state/ and of the engine):
// forwards to `inner`, except that the Nth call of Write (counting from 1, from
// construction or the last Arm) fails with kUnavailable, and so does every later
// one unless `only_once`. Reads and DeletePrefix are always forwarded.
//
// Threading: safe to share, like the store it wraps. Borrows `inner`.
class FailingStore final : public StateStore {
 public:
  using Options = FailingStoreOptions;

  explicit FailingStore(StateStore& inner, Options options = {}) : inner_(inner) { Arm(options); }

  // Starts counting writes again from zero with new options.
  void Arm(Options options) {
    fail_at_write_.store(options.fail_at_write);
    only_once_.store(options.only_once);
    writes_.store(0);
  }
  // Writes seen since the last Arm, failed ones included.
  uint64_t writes() const { return writes_.load(); }
  uint64_t failed_writes() const { return failed_.load(); }

  cep::Status Write(const WriteBatch& batch) override {
    const uint64_t n = ++writes_;
    const uint64_t fail_at = fail_at_write_.load();
    if (fail_at != 0 && (n == fail_at || (n > fail_at && !only_once_.load()))) {
      ++failed_;
      return cep::Unavailable("FailingStore: write " + std::to_string(n) + " fails (injected)");
    }
    return inner_.Write(batch);
  }
  cep::Result<std::optional<std::string>> Get(std::string_view key) const override {
    return inner_.Get(key);
  }
  cep::Status Scan(
      std::string_view prefix,
      cep::FunctionRef<bool(std::string_view key, std::string_view value)> visit) const override {
    return inner_.Scan(prefix, visit);
  }
  cep::Status DeletePrefix(std::string_view prefix) override { return inner_.DeletePrefix(prefix); }
  uint64_t ApproximateBytes() const override { return inner_.ApproximateBytes(); }
  std::string_view name() const override { return inner_.name(); }

 private:
  StateStore& inner_;
  std::atomic<uint64_t> fail_at_write_{0};
  std::atomic<bool> only_once_{false};
  std::atomic<uint64_t> writes_{0};
  std::atomic<uint64_t> failed_{0};
};

}  // namespace state
