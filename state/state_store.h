#pragma once

#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "cep/base/function_ref.h"
#include "cep/base/result.h"
#include "cep/base/status.h"

namespace state {

// Writes applied together: all of them or none (a crash in the middle leaves
// the store as before). `sync`: durable on disk when Write returns OK.
struct WriteBatch {
  std::vector<std::pair<std::string, std::string>> puts;
  std::vector<std::string> deletes;
  bool sync = false;

  bool empty() const { return puts.empty() && deletes.empty(); }
  size_t bytes() const;  // keys and values, roughly what the batch costs to write
};

// A sorted key-value store: where checkpoint state lives
// (ARCHITECTURE.md "Fault tolerance"). Never called per event: the engine
// keeps hot state in memory in its slots and writes to a store in batches, at
// checkpoints, from one writer thread.
//
// Threading: implementations are safe to call from several threads, but the
// engine uses one writer at a time.
class StateStore {
 public:
  virtual ~StateStore() = default;

  // Applies the batch atomically. Errors are kUnavailable (I/O) or kDataLoss.
  virtual cep::Status Write(const WriteBatch& batch) = 0;
  // The value under `key`, nullopt when absent.
  virtual cep::Result<std::optional<std::string>> Get(std::string_view key) const = 0;
  // Visits every key starting with `prefix`, in key order; `visit` returns false
  // to stop early.
  virtual cep::Status Scan(std::string_view prefix,
                           cep::FunctionRef<bool(std::string_view key, std::string_view value)> visit)
      const = 0;
  // Removes every key starting with `prefix` (atomic, like Write).
  virtual cep::Status DeletePrefix(std::string_view prefix) = 0;
  // Bytes the store holds on disk (memory for the memory store), approximate.
  virtual uint64_t ApproximateBytes() const = 0;
  // "memory" or "rocksdb", for logs.
  virtual std::string_view name() const = 0;
};

// A map in memory: the default for replay and tests. Lost when the process ends.
std::unique_ptr<StateStore> NewMemoryStore();

struct RocksDbOptions {
  bool create_if_missing = true;
  size_t write_buffer_bytes = 64 << 20;
};
// A RocksDB database in `dir` (created when missing): the default for `cep serve`.
// Fails with kUnavailable naming the directory (locked by another process,
// unreadable, not a database).
cep::Result<std::unique_ptr<StateStore>> OpenRocksDbStore(const std::filesystem::path& dir,
                                                          const RocksDbOptions& options = {});

}  // namespace state
