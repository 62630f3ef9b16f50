// The RocksDB backend. RocksDB's headers stay in this file: nothing else in the
// tree sees them.
#include <memory>
#include <optional>
#include <string>

#include <rocksdb/db.h>
#include <rocksdb/options.h>
#include <rocksdb/write_batch.h>

#include "state/state_store.h"

namespace state {
namespace {

// The first key after every key that starts with `prefix`, or nullopt when there
// is none (the prefix is empty or all 0xff bytes).
std::optional<std::string> PrefixEnd(std::string_view prefix) {
  std::string end(prefix);
  while (!end.empty()) {
    auto last = static_cast<unsigned char>(end.back());
    if (last != 0xff) {
      end.back() = static_cast<char>(last + 1);
      return end;
    }
    end.pop_back();
  }
  return std::nullopt;
}

cep::Status FromRocks(const rocksdb::Status& status, std::string_view what,
                      const std::string& dir) {
  std::string message =
      std::string(what) + " in RocksDB state store '" + dir + "': " + status.ToString();
  if (status.IsCorruption()) return cep::DataLoss(std::move(message));
  return cep::Unavailable(std::move(message));
}

// Threading: safe to share (rocksdb::DB is thread-safe); a Scan works on an
// implicit snapshot taken when it starts.
class RocksDbStore final : public StateStore {
 public:
  RocksDbStore(std::unique_ptr<rocksdb::DB> db, std::string dir)
      : db_(std::move(db)), dir_(std::move(dir)) {}

  cep::Status Write(const WriteBatch& batch) override {
    rocksdb::WriteBatch rocks_batch;
    for (const auto& [key, value] : batch.puts) {
      rocksdb::Status status = rocks_batch.Put(key, value);
      if (!status.ok()) return FromRocks(status, "batching a put", dir_);
    }
    for (const auto& key : batch.deletes) {
      rocksdb::Status status = rocks_batch.Delete(key);
      if (!status.ok()) return FromRocks(status, "batching a delete", dir_);
    }
    rocksdb::WriteOptions options;
    options.sync = batch.sync;
    rocksdb::Status status = db_->Write(options, &rocks_batch);
    if (!status.ok()) return FromRocks(status, "writing a batch", dir_);
    return cep::Status::Ok();
  }

  cep::Result<std::optional<std::string>> Get(std::string_view key) const override {
    std::string value;
    rocksdb::Status status = db_->Get(rocksdb::ReadOptions(), rocksdb::Slice(key), &value);
    if (status.IsNotFound()) return std::optional<std::string>();
    if (!status.ok()) return FromRocks(status, "reading a key", dir_);
    return std::optional<std::string>(std::move(value));
  }

  cep::Status Scan(
      std::string_view prefix,
      cep::FunctionRef<bool(std::string_view key, std::string_view value)> visit) const override {
    rocksdb::ReadOptions options;
    const std::optional<std::string> end = PrefixEnd(prefix);
    rocksdb::Slice upper;
    if (end) {
      upper = rocksdb::Slice(*end);
      options.iterate_upper_bound = &upper;
    }
    // A full scan (checkpoint verification) should not evict the hot blocks.
    options.fill_cache = false;
    std::unique_ptr<rocksdb::Iterator> it(db_->NewIterator(options));
    for (it->Seek(rocksdb::Slice(prefix)); it->Valid(); it->Next()) {
      const rocksdb::Slice key = it->key();
      const rocksdb::Slice value = it->value();
      if (!key.starts_with(rocksdb::Slice(prefix))) break;
      if (!visit(std::string_view(key.data(), key.size()),
                 std::string_view(value.data(), value.size()))) {
        break;
      }
    }
    if (!it->status().ok()) return FromRocks(it->status(), "scanning", dir_);
    return cep::Status::Ok();
  }

  cep::Status DeletePrefix(std::string_view prefix) override {
    const std::optional<std::string> end = PrefixEnd(prefix);
    if (!end) return DeleteByScan(prefix);
    rocksdb::WriteBatch batch;
    rocksdb::Status status = batch.DeleteRange(rocksdb::Slice(prefix), rocksdb::Slice(*end));
    if (status.ok()) status = db_->Write(rocksdb::WriteOptions(), &batch);
    if (!status.ok()) return FromRocks(status, "deleting a key range", dir_);
    // A range tombstone hides the keys; compacting the range gives the disk space
    // back now instead of whenever compaction reaches those files. Best effort:
    // the keys are already gone.
    rocksdb::Slice begin(prefix);
    rocksdb::Slice limit(*end);
    rocksdb::CompactRangeOptions compact;
    compact.exclusive_manual_compaction = false;
    (void)db_->CompactRange(compact, &begin, &limit);
    return cep::Status::Ok();
  }

  uint64_t ApproximateBytes() const override {
    uint64_t sst = 0;
    uint64_t memtables = 0;
    (void)db_->GetIntProperty("rocksdb.total-sst-files-size", &sst);
    (void)db_->GetIntProperty("rocksdb.cur-size-all-mem-tables", &memtables);
    return sst + memtables;
  }

  std::string_view name() const override { return "rocksdb"; }

 private:
  // DeleteRange needs an end key; a prefix without one (empty, or all 0xff)
  // is deleted key by key in one batch.
  cep::Status DeleteByScan(std::string_view prefix) {
    rocksdb::WriteBatch batch;
    rocksdb::Status put_status;
    RETURN_IF_ERROR(Scan(prefix, [&](std::string_view key, std::string_view) {
      put_status = batch.Delete(rocksdb::Slice(key));
      return put_status.ok();
    }));
    if (!put_status.ok()) return FromRocks(put_status, "batching a delete", dir_);
    rocksdb::Status status = db_->Write(rocksdb::WriteOptions(), &batch);
    if (!status.ok()) return FromRocks(status, "deleting keys", dir_);
    return cep::Status::Ok();
  }

  std::unique_ptr<rocksdb::DB> db_;
  std::string dir_;
};

}  // namespace

cep::Result<std::unique_ptr<StateStore>> OpenRocksDbStore(const std::filesystem::path& dir,
                                                          const RocksDbOptions& options) {
  rocksdb::Options rocks_options;
  rocks_options.create_if_missing = options.create_if_missing;
  rocks_options.write_buffer_size = options.write_buffer_bytes;
  // Two background threads, so a flush or compaction overlaps the next batch of
  // checkpoint chunks instead of stalling it.
  rocks_options.IncreaseParallelism(2);
  rocksdb::DB* raw = nullptr;
  rocksdb::Status status = rocksdb::DB::Open(rocks_options, dir.string(), &raw);
  if (!status.ok()) {
    std::string message =
        "cannot open RocksDB state store '" + dir.string() + "': " + status.ToString();
    if (status.IsIOError() && status.ToString().find("lock") != std::string::npos) {
      message += " (another process, or another store in this one, has it open)";
    }
    return cep::Unavailable(std::move(message));
  }
  return std::unique_ptr<StateStore>(
      std::make_unique<RocksDbStore>(std::unique_ptr<rocksdb::DB>(raw), dir.string()));
}

}  // namespace state
