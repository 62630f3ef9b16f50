#include "state/state_store.h"

#include <map>
#include <mutex>
#include <string>

namespace state {

size_t WriteBatch::bytes() const {
  size_t total = 0;
  for (const auto& [key, value] : puts) total += key.size() + value.size();
  for (const auto& key : deletes) total += key.size();
  return total;
}

namespace {

// Threading: safe to share; every call holds mu_ for its whole length, so a Scan
// sees one consistent state. A Scan's visitor must not call back into the store
// (std::mutex is not recursive).
class MemoryStore final : public StateStore {
 public:
  cep::Status Write(const WriteBatch& batch) override {
    std::lock_guard lock(mu_);
    // Puts first, then deletes, like one rocksdb::WriteBatch in that order.
    for (const auto& [key, value] : batch.puts) {
      auto [it, inserted] = map_.try_emplace(key, value);
      if (!inserted) {
        bytes_ -= it->second.size();
        it->second = value;
      } else {
        bytes_ += key.size();
      }
      bytes_ += value.size();
    }
    for (const auto& key : batch.deletes) {
      auto it = map_.find(key);
      if (it == map_.end()) continue;
      bytes_ -= it->first.size() + it->second.size();
      map_.erase(it);
    }
    return cep::Status::Ok();
  }

  cep::Result<std::optional<std::string>> Get(std::string_view key) const override {
    std::lock_guard lock(mu_);
    auto it = map_.find(key);
    if (it == map_.end()) return std::optional<std::string>();
    return std::optional<std::string>(it->second);
  }

  cep::Status Scan(
      std::string_view prefix,
      cep::FunctionRef<bool(std::string_view key, std::string_view value)> visit) const override {
    std::lock_guard lock(mu_);
    for (auto it = map_.lower_bound(prefix); it != map_.end(); ++it) {
      if (!std::string_view(it->first).starts_with(prefix)) break;
      if (!visit(it->first, it->second)) break;
    }
    return cep::Status::Ok();
  }

  cep::Status DeletePrefix(std::string_view prefix) override {
    std::lock_guard lock(mu_);
    auto it = map_.lower_bound(prefix);
    while (it != map_.end() && std::string_view(it->first).starts_with(prefix)) {
      bytes_ -= it->first.size() + it->second.size();
      it = map_.erase(it);
    }
    return cep::Status::Ok();
  }

  uint64_t ApproximateBytes() const override {
    std::lock_guard lock(mu_);
    return bytes_;
  }

  std::string_view name() const override { return "memory"; }

 private:
  mutable std::mutex mu_;
  std::map<std::string, std::string, std::less<>> map_;  // guarded by mu_
  uint64_t bytes_ = 0;                                   // guarded by mu_: keys + values
};

}  // namespace

std::unique_ptr<StateStore> NewMemoryStore() { return std::make_unique<MemoryStore>(); }

}  // namespace state
