#include "state/checkpoint_storage.h"

#include <algorithm>
#include <charconv>
#include <cstdio>
#include <map>
#include <system_error>

#include <spdlog/spdlog.h>
#include <zlib.h>

#include "state/internal/file_util.h"

namespace state {
namespace {

namespace fs = std::filesystem;

constexpr std::string_view kChunkRoot = "chk/";
constexpr size_t kIdDigits = 20;     // every uint64_t
constexpr size_t kIndexDigits = 20;  // chunk index within a stream
constexpr std::string_view kManifestPrefix = "checkpoint-";
constexpr std::string_view kManifestSuffix = ".json";
constexpr std::string_view kTmpSuffix = ".tmp";
constexpr std::string_view kSavepointManifest = "manifest.json";
constexpr std::string_view kSavepointStreamSuffix = ".state";
constexpr size_t kImportChunkBytes = 1 << 20;

std::string Padded(uint64_t value, size_t digits) {
  std::string text = std::to_string(value);
  if (text.size() < digits) text.insert(0, digits - text.size(), '0');
  return text;
}

// "chk/<id>/": every key of one checkpoint.
std::string ChunkPrefix(uint64_t id) {
  return std::string(kChunkRoot) + Padded(id, kIdDigits) + "/";
}

// "chk/<id>/<stream>/<index>". Stream names may contain '/', so keys of two
// streams can interleave ("a/0..." and "a/b/0..."); readers therefore Get each
// chunk by its index (the manifest has the count) rather than Scan a stream.
std::string ChunkKey(uint64_t id, std::string_view stream, uint64_t index) {
  return ChunkPrefix(id) + std::string(stream) + "/" + Padded(index, kIndexDigits);
}

uint32_t Crc32(uint32_t crc, std::string_view bytes) {
  return static_cast<uint32_t>(
      crc32_z(crc, reinterpret_cast<const Bytef*>(bytes.data()), bytes.size()));
}

std::optional<uint64_t> ParseId(std::string_view digits) {
  if (digits.empty() || digits.size() > kIdDigits) return std::nullopt;
  uint64_t id = 0;
  auto [ptr, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), id);
  if (ec != std::errc() || ptr != digits.data() + digits.size()) return std::nullopt;
  return id;
}

fs::path ManifestPath(const fs::path& dir, uint64_t id) {
  return dir / (std::string(kManifestPrefix) + std::to_string(id) + std::string(kManifestSuffix));
}

// Stream names become file names in a savepoint: bytes outside [A-Za-z0-9_-.]
// (and a leading '.') are written as %XX, and ".state" is appended so that no
// stream can be called "manifest.json", ".", or "..".
std::string StreamFileName(std::string_view stream) {
  std::string out;
  for (size_t i = 0; i < stream.size(); ++i) {
    const auto c = static_cast<unsigned char>(stream[i]);
    const bool plain = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                       c == '_' || c == '-' || (c == '.' && i > 0);
    if (plain) {
      out.push_back(static_cast<char>(c));
    } else {
      char hex[4];
      std::snprintf(hex, sizeof(hex), "%%%02X", c);
      out += hex;
    }
  }
  return out + std::string(kSavepointStreamSuffix);
}

cep::Status CheckStreamName(std::string_view stream) {
  if (stream.empty() || stream.size() > 200) {
    return cep::InvalidArgument("checkpoint stream name must have 1 to 200 bytes, has " +
                                std::to_string(stream.size()));
  }
  for (char c : stream) {
    if (c < 0x21 || c > 0x7e) {
      return cep::InvalidArgument("checkpoint stream name '" + std::string(stream) +
                                  "' has a byte outside printable ASCII");
    }
  }
  return cep::Status::Ok();
}

struct StreamTotals {
  uint64_t chunks = 0;
  uint64_t bytes = 0;
  uint32_t crc32 = 0;
};

// What CheckpointStorage does, reachable from the writer (Impl is private).
struct StorageCore {
  fs::path dir;
  StateStore* store;
  CheckpointStorageOptions options;

  // Manifest ids present in `dir`, ascending.
  cep::Result<std::vector<uint64_t>> ManifestIds() const {
    ASSIGN_OR_RETURN(std::vector<std::string> names, internal::ListDir(dir));
    std::vector<uint64_t> ids;
    for (const std::string& name : names) {
      if (!name.starts_with(kManifestPrefix) || !name.ends_with(kManifestSuffix)) continue;
      const std::string_view digits = std::string_view(name).substr(
          kManifestPrefix.size(), name.size() - kManifestPrefix.size() - kManifestSuffix.size());
      if (auto id = ParseId(digits)) ids.push_back(*id);
    }
    std::sort(ids.begin(), ids.end());
    return ids;
  }

  // The smallest checkpoint id among chunk keys whose zero-padded id starts with
  // `digits`. A Scan stopped at its first key is one seek, so a handful of these
  // enumerate the ids in the store without reading every chunk.
  cep::Result<std::optional<uint64_t>> FirstChunkId(const std::string& digits) const {
    std::optional<uint64_t> id;
    RETURN_IF_ERROR(
        store->Scan(std::string(kChunkRoot) + digits, [&](std::string_view key, std::string_view) {
          key.remove_prefix(kChunkRoot.size());
          if (key.size() <= kIdDigits || key[kIdDigits] != '/') {
            return true;  // not a chunk key of ours
          }
          id = ParseId(key.substr(0, kIdDigits));
          return !id;
        }));
    return id;
  }

  // The smallest chunk id above `after`: share the longest prefix of its digits,
  // then take the smallest larger digit at the next position.
  cep::Result<std::optional<uint64_t>> NextChunkId(uint64_t after) const {
    const std::string digits = Padded(after, kIdDigits);
    for (size_t k = kIdDigits; k-- > 0;) {
      for (char d = static_cast<char>(digits[k] + 1); d <= '9'; ++d) {
        ASSIGN_OR_RETURN(auto id, FirstChunkId(digits.substr(0, k) + d));
        if (id) return id;
      }
    }
    return std::optional<uint64_t>();
  }

  cep::Result<std::vector<uint64_t>> ChunkIds() const {
    std::vector<uint64_t> ids;
    ASSIGN_OR_RETURN(std::optional<uint64_t> id, FirstChunkId(""));
    while (id) {
      ids.push_back(*id);
      ASSIGN_OR_RETURN(id, NextChunkId(*id));
    }
    return ids;
  }

  // Reads the stream's chunks by index, checks their count, size and CRC
  // against the manifest, and hands each to `chunk` (which may be null).
  cep::Status ReadChunks(uint64_t id, const StateStream& stream,
                         const cep::FunctionRef<cep::Status(std::string_view)>* chunk) const {
    StreamTotals totals;
    for (uint64_t i = 0; i < stream.chunks; ++i) {
      ASSIGN_OR_RETURN(std::optional<std::string> value, store->Get(ChunkKey(id, stream.name, i)));
      if (!value) {
        return cep::DataLoss("stream '" + stream.name + "': chunk " + std::to_string(i) + " of " +
                             std::to_string(stream.chunks) + " is missing");
      }
      totals.bytes += value->size();
      totals.crc32 = Crc32(totals.crc32, *value);
      if (chunk != nullptr) RETURN_IF_ERROR((*chunk)(*value));
    }
    ASSIGN_OR_RETURN(std::optional<std::string> extra,
                     store->Get(ChunkKey(id, stream.name, stream.chunks)));
    if (extra) {
      return cep::DataLoss("stream '" + stream.name + "' has a chunk beyond the " +
                           std::to_string(stream.chunks) + " its manifest lists");
    }
    if (totals.bytes != stream.bytes) {
      return cep::DataLoss("stream '" + stream.name + "' has " + std::to_string(totals.bytes) +
                           " bytes, its manifest says " + std::to_string(stream.bytes));
    }
    if (totals.crc32 != stream.crc32) {
      return cep::DataLoss("stream '" + stream.name + "' fails its CRC32 check");
    }
    return cep::Status::Ok();
  }

  cep::Result<Manifest> Load(uint64_t id) const {
    const fs::path path = ManifestPath(dir, id);
    ASSIGN_OR_RETURN(std::string text, internal::ReadFile(path));
    auto manifest = ParseManifest(text);
    if (!manifest) return manifest.error().WithContext(path.string());
    if (manifest->id != id) {
      return cep::DataLoss(path.string() + ": the manifest says id " +
                           std::to_string(manifest->id));
    }
    for (const StateStream& stream : manifest->streams) {
      cep::Status status = ReadChunks(id, stream, nullptr);
      if (!status.ok()) return status.WithContext("checkpoint " + std::to_string(id));
    }
    return manifest;
  }

  // Deletes checkpoints beyond `retain`: the manifest first (from then on the
  // checkpoint does not exist), then its chunks. A crash in between leaves
  // chunks without a manifest, which Open removes.
  cep::Status Prune() const {
    ASSIGN_OR_RETURN(std::vector<uint64_t> ids, ManifestIds());
    if (ids.size() <= options.retain) return cep::Status::Ok();
    const std::vector<uint64_t> old(ids.begin(),
                                    ids.end() - static_cast<ptrdiff_t>(options.retain));
    for (uint64_t id : old) {
      std::error_code ec;
      fs::remove(ManifestPath(dir, id), ec);
      if (ec) {
        return cep::Unavailable("removing '" + ManifestPath(dir, id).string() +
                                "': " + ec.message());
      }
    }
    RETURN_IF_ERROR(internal::SyncDir(dir));
    for (uint64_t id : old) RETURN_IF_ERROR(store->DeletePrefix(ChunkPrefix(id)));
    return cep::Status::Ok();
  }

  // Start-up clean-up: manifests half written (".tmp") and chunks of checkpoints
  // that never got a manifest (abandoned, or pruned by a crashed commit).
  cep::Status RemoveLeftovers() const {
    ASSIGN_OR_RETURN(std::vector<std::string> names, internal::ListDir(dir));
    for (const std::string& name : names) {
      if (!name.starts_with(kManifestPrefix) || !name.ends_with(kTmpSuffix)) continue;
      std::error_code ec;
      fs::remove(dir / name, ec);
      if (ec) return cep::Unavailable("removing '" + (dir / name).string() + "': " + ec.message());
      spdlog::info("checkpoint storage: removed the unfinished manifest {}", (dir / name).string());
    }
    ASSIGN_OR_RETURN(const std::vector<uint64_t> manifests, ManifestIds());
    ASSIGN_OR_RETURN(std::vector<uint64_t> chunk_ids, ChunkIds());
    for (uint64_t id : chunk_ids) {
      if (std::binary_search(manifests.begin(), manifests.end(), id)) continue;
      RETURN_IF_ERROR(store->DeletePrefix(ChunkPrefix(id)));
      spdlog::info("checkpoint storage: removed the chunks of checkpoint {}, which has no manifest",
                   id);
    }
    return cep::Status::Ok();
  }
};

// Threading: one owner (the checkpoint thread). Must not outlive its storage.
class WriterImpl final : public CheckpointStorage::Writer {
 public:
  WriterImpl(const StorageCore& storage, uint64_t id) : storage_(storage), id_(id) {}

  ~WriterImpl() override {
    if (committed_) return;
    // Abandoned: best effort now; Open removes whatever this leaves.
    cep::Status status = storage_.store->DeletePrefix(ChunkPrefix(id_));
    if (!status.ok()) {
      spdlog::warn("checkpoint {} abandoned; deleting its chunks failed ({}), Open will retry", id_,
                   status.ToString());
    }
  }

  cep::Status Append(std::string_view stream, std::string_view bytes) override {
    RETURN_IF_ERROR(Usable());
    RETURN_IF_ERROR(CheckStreamName(stream));
    auto it = streams_.find(stream);
    if (it == streams_.end()) it = streams_.emplace(std::string(stream), StreamTotals{}).first;
    StreamTotals& totals = it->second;
    batch_.puts.emplace_back(ChunkKey(id_, stream, totals.chunks), std::string(bytes));
    batch_bytes_ += batch_.puts.back().first.size() + bytes.size();
    ++totals.chunks;
    totals.bytes += bytes.size();
    totals.crc32 = Crc32(totals.crc32, bytes);
    if (batch_bytes_ >= storage_.options.batch_bytes) return Flush(/*sync=*/false);
    return cep::Status::Ok();
  }

  cep::Status Commit(Manifest manifest) override {
    RETURN_IF_ERROR(Usable());
    // The synced write makes every earlier unsynced batch durable too (RocksDB
    // syncs its whole log). The empty record under the checkpoint's prefix keeps
    // this batch non-empty so there is always a synced write.
    batch_.puts.emplace_back(ChunkPrefix(id_), std::string());
    RETURN_IF_ERROR(Flush(/*sync=*/true));

    manifest.id = id_;
    manifest.streams.clear();
    for (const auto& [name, totals] : streams_) {
      manifest.streams.push_back({name, totals.chunks, totals.bytes, totals.crc32});
    }
    const fs::path path = ManifestPath(storage_.dir, id_);
    cep::Status status = internal::WriteFileAtomically(path, SerializeManifest(manifest));
    if (!status.ok()) {
      failed_ = true;
      std::error_code ec;
      fs::remove(path, ec);  // a rename that happened before a failed directory fsync
      return status.WithContext("committing checkpoint " + std::to_string(id_));
    }
    committed_ = true;
    // The checkpoint is durable; failing to prune only leaves old ones behind for
    // the next commit or Open.
    status = storage_.Prune();
    if (!status.ok()) {
      spdlog::warn("checkpoint {} committed, but deleting old checkpoints failed: {}", id_,
                   status.ToString());
    }
    return cep::Status::Ok();
  }

 private:
  cep::Status Usable() const {
    if (committed_) return cep::FailedPrecondition("checkpoint already committed");
    if (failed_) {
      return cep::FailedPrecondition("checkpoint " + std::to_string(id_) +
                                     " failed earlier; begin a new one");
    }
    return cep::Status::Ok();
  }

  cep::Status Flush(bool sync) {
    batch_.sync = sync;
    cep::Status status = storage_.store->Write(batch_);
    batch_.puts.clear();
    batch_bytes_ = 0;
    if (!status.ok()) {
      failed_ = true;
      return status.WithContext("writing checkpoint " + std::to_string(id_));
    }
    return cep::Status::Ok();
  }

  const StorageCore& storage_;
  const uint64_t id_;
  std::map<std::string, StreamTotals, std::less<>> streams_;  // the manifest lists them sorted
  WriteBatch batch_;
  size_t batch_bytes_ = 0;
  bool committed_ = false;
  bool failed_ = false;
};

}  // namespace

struct CheckpointStorage::Impl : StorageCore {};

CheckpointStorage::CheckpointStorage(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
CheckpointStorage::~CheckpointStorage() = default;

cep::Result<std::unique_ptr<CheckpointStorage>> CheckpointStorage::Open(
    std::filesystem::path dir, StateStore& store, CheckpointStorageOptions options) {
  std::error_code ec;
  fs::create_directories(dir, ec);
  if (ec) {
    return cep::Unavailable("creating checkpoint directory '" + dir.string() +
                            "': " + ec.message());
  }
  auto impl = std::make_unique<Impl>(Impl{{std::move(dir), &store, options}});
  cep::Status status = impl->RemoveLeftovers();
  if (!status.ok()) {
    return status.WithContext("opening checkpoint storage '" + impl->dir.string() + "'");
  }
  return std::unique_ptr<CheckpointStorage>(new CheckpointStorage(std::move(impl)));
}

cep::Result<std::unique_ptr<CheckpointStorage::Writer>> CheckpointStorage::Begin(uint64_t id) {
  ASSIGN_OR_RETURN(const std::vector<uint64_t> ids, impl_->ManifestIds());
  if (!ids.empty() && id <= ids.back()) {
    return cep::FailedPrecondition("checkpoint id " + std::to_string(id) +
                                   " is not above the latest, " + std::to_string(ids.back()));
  }
  // Chunks of an earlier attempt with this id (abandoned without Open since)
  // must not mix with the new ones.
  RETURN_IF_ERROR(impl_->store->DeletePrefix(ChunkPrefix(id)));
  return std::unique_ptr<Writer>(std::make_unique<WriterImpl>(*impl_, id));
}

std::vector<uint64_t> CheckpointStorage::List() const {
  auto ids = impl_->ManifestIds();
  if (!ids) {
    spdlog::error("checkpoint storage: {}", ids.error().message());
    return {};
  }
  std::reverse(ids->begin(), ids->end());
  return std::move(ids).value();
}

cep::Result<std::optional<Manifest>> CheckpointStorage::LoadLatestValid() const {
  ASSIGN_OR_RETURN(std::vector<uint64_t> ids, impl_->ManifestIds());
  std::reverse(ids.begin(), ids.end());
  std::string reasons;
  for (uint64_t id : ids) {
    auto manifest = impl_->Load(id);
    if (manifest) return std::optional<Manifest>(std::move(manifest).value());
    const cep::Status& status = manifest.error();
    // Only damage is a reason to fall back; an I/O error would hit the older
    // ones too, and silently starting from an older checkpoint would be wrong.
    if (status.code() != cep::StatusCode::kDataLoss &&
        status.code() != cep::StatusCode::kNotFound) {
      return status;
    }
    spdlog::warn("checkpoint {} is unusable ({}); trying the one before", id, status.message());
    reasons += (reasons.empty() ? "" : "; ") + status.message();
  }
  if (!ids.empty()) {
    return cep::DataLoss("none of the " + std::to_string(ids.size()) + " checkpoints in '" +
                         impl_->dir.string() + "' is usable: " + reasons +
                         " (restore a savepoint, or move the directory away to start empty)");
  }
  return std::optional<Manifest>();
}

cep::Result<Manifest> CheckpointStorage::Load(uint64_t id) const { return impl_->Load(id); }

cep::Status CheckpointStorage::ReadStream(
    const Manifest& manifest, std::string_view stream,
    cep::FunctionRef<cep::Status(std::string_view chunk)> chunk) const {
  auto it = std::find_if(manifest.streams.begin(), manifest.streams.end(),
                         [&](const StateStream& s) { return s.name == stream; });
  if (it == manifest.streams.end()) {
    return cep::NotFound("checkpoint " + std::to_string(manifest.id) + " has no stream '" +
                         std::string(stream) + "'");
  }
  cep::Status status = impl_->ReadChunks(manifest.id, *it, &chunk);
  if (!status.ok()) return status.WithContext("checkpoint " + std::to_string(manifest.id));
  return cep::Status::Ok();
}

const std::filesystem::path& CheckpointStorage::dir() const { return impl_->dir; }

}  // namespace state

namespace state {

// Savepoints: "<to>/manifest.json" plus one "<encoded stream name>.state" file
// per stream. The manifest is written last, so a directory without one is an
// export that did not finish.
cep::Status CheckpointStorage::Export(uint64_t id, const std::filesystem::path& to) const {
  ASSIGN_OR_RETURN(Manifest manifest, impl_->Load(id));
  std::error_code ec;
  if (fs::exists(to, ec) && !fs::is_empty(to, ec)) {
    return cep::Status(cep::StatusCode::kAlreadyExists,
                       "savepoint directory '" + to.string() + "' is not empty");
  }
  fs::create_directories(to, ec);
  if (ec) return cep::Unavailable("creating '" + to.string() + "': " + ec.message());
  for (const StateStream& stream : manifest.streams) {
    const fs::path path = to / StreamFileName(stream.name);
    ASSIGN_OR_RETURN(internal::SyncedFileWriter file, internal::SyncedFileWriter::Create(path));
    auto append = [&](std::string_view chunk) { return file.Append(chunk); };
    cep::FunctionRef<cep::Status(std::string_view)> append_ref(append);
    RETURN_IF_ERROR(impl_->ReadChunks(id, stream, &append_ref));
    RETURN_IF_ERROR(file.Finish());
  }
  RETURN_IF_ERROR(
      internal::WriteFileSynced(to / std::string(kSavepointManifest), SerializeManifest(manifest)));
  RETURN_IF_ERROR(internal::SyncDir(to));
  spdlog::info("checkpoint {} exported to {} ({} bytes of state)", id, to.string(),
               manifest.state_bytes());
  return cep::Status::Ok();
}

// Reads one savepoint stream file, handing its pieces to `piece`, and checks its
// size and CRC against the manifest.
cep::Status CheckpointStorage::ReadSavepointStream(const fs::path& from, const StateStream& stream,
                                                   cep::FunctionRef<cep::Status(std::string_view)> piece) {
  const fs::path path = from / StreamFileName(stream.name);
  StreamTotals totals;
  cep::Status status =
      internal::ReadFileInPieces(path, kImportChunkBytes, [&](std::string_view bytes) {
        totals.bytes += bytes.size();
        totals.crc32 = Crc32(totals.crc32, bytes);
        return piece(bytes);
      });
  if (status.code() == cep::StatusCode::kNotFound) {
    return cep::DataLoss("savepoint stream '" + stream.name + "': " + status.message());
  }
  RETURN_IF_ERROR(status);
  if (totals.bytes != stream.bytes) {
    return cep::DataLoss("savepoint file '" + path.string() + "' has " +
                         std::to_string(totals.bytes) + " bytes, its manifest says " +
                         std::to_string(stream.bytes));
  }
  if (totals.crc32 != stream.crc32) {
    return cep::DataLoss("savepoint file '" + path.string() + "' fails its CRC32 check");
  }
  return cep::Status::Ok();
}

cep::Result<Manifest> CheckpointStorage::LoadSavepoint(const fs::path& dir) {
  const fs::path manifest_path = dir / std::string(kSavepointManifest);
  auto text = internal::ReadFile(manifest_path);
  if (!text) return text.error().WithContext("savepoint '" + dir.string() + "'");
  auto parsed = ParseManifest(*text);
  if (!parsed) return parsed.error().WithContext(manifest_path.string());
  return std::move(parsed).value();
}

cep::Result<uint64_t> CheckpointStorage::Import(const std::filesystem::path& from) {
  const fs::path manifest_path = from / std::string(kSavepointManifest);
  auto loaded = LoadSavepoint(from);
  if (!loaded) return cep::Status(loaded.error().code(), "importing " + loaded.error().message());
  Manifest manifest = std::move(loaded).value();

  // Everything is checked before anything is written.
  std::vector<std::string> names;
  for (const StateStream& stream : manifest.streams) {
    cep::Status name_ok = CheckStreamName(stream.name);
    if (!name_ok.ok()) return cep::DataLoss(manifest_path.string() + ": " + name_ok.message());
    names.push_back(stream.name);
    RETURN_IF_ERROR(
        ReadSavepointStream(from, stream, [](std::string_view) { return cep::Status::Ok(); }));
  }
  std::sort(names.begin(), names.end());
  if (std::adjacent_find(names.begin(), names.end()) != names.end()) {
    return cep::DataLoss(manifest_path.string() + ": a stream is listed twice");
  }

  ASSIGN_OR_RETURN(const std::vector<uint64_t> ids, impl_->ManifestIds());
  const uint64_t id = ids.empty() ? 1 : ids.back() + 1;
  ASSIGN_OR_RETURN(std::unique_ptr<Writer> writer, Begin(id));
  for (const StateStream& stream : manifest.streams) {
    bool appended = false;
    // Checked again while copying: a file changed since the first pass fails
    // here, before the commit, and the writer's chunks are dropped.
    RETURN_IF_ERROR(ReadSavepointStream(from, stream, [&](std::string_view bytes) {
      appended = true;
      return writer->Append(stream.name, bytes);
    }));
    if (!appended) RETURN_IF_ERROR(writer->Append(stream.name, ""));
  }
  const uint64_t original_id = manifest.id;
  manifest.id = id;
  RETURN_IF_ERROR(writer->Commit(std::move(manifest)));
  spdlog::info("savepoint {} (checkpoint {}) imported as checkpoint {}", from.string(), original_id,
               id);
  return id;
}

}  // namespace state
