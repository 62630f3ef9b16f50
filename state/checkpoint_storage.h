#pragma once

#include <cstdint>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "cep/base/function_ref.h"
#include "cep/base/result.h"
#include "cep/base/status.h"
#include "state/checkpoint_manifest.h"
#include "state/state_store.h"

namespace state {

struct CheckpointStorageOptions {
  size_t retain = 3;  // complete checkpoints kept; older ones are deleted after a commit
  size_t batch_bytes = 4 << 20;  // chunks are written to the store in batches of about this much
};

// Checkpoints on disk: state chunks in a StateStore under "chk/<id>/<stream>/<index>",
// each manifest in `dir` as "checkpoint-<id>.json", written to a temporary file,
// fsynced, renamed into place and the directory fsynced: a manifest that exists
// is complete, and a checkpoint without one never happened.
//
// Threading: one writer (the engine's checkpoint thread); the Load and Read
// functions may run on any thread while no checkpoint is written.
class CheckpointStorage {
 public:
  static cep::Result<std::unique_ptr<CheckpointStorage>> Open(std::filesystem::path dir,
                                                              StateStore& store,
                                                              CheckpointStorageOptions options = {});
  ~CheckpointStorage();

  // Writing one checkpoint: Append chunks (any streams, any order across
  // streams, in order within one), then Commit. Dropping the writer without
  // Commit abandons the checkpoint (its chunks are deleted then, or on the next
  // Open if that fails or the process died). After an error the writer is
  // spent: every later call fails with kFailedPrecondition. Stream names are 1
  // to 200 bytes of printable ASCII (kInvalidArgument otherwise). A Writer must
  // not outlive its CheckpointStorage.
  class Writer {
   public:
    virtual ~Writer() = default;
    virtual cep::Status Append(std::string_view stream, std::string_view bytes) = 0;
    // Writes what is buffered (synced), fills manifest.streams, writes the
    // manifest atomically, then deletes checkpoints beyond `retain`.
    virtual cep::Status Commit(Manifest manifest) = 0;
  };
  // `id` must be above every existing checkpoint's.
  cep::Result<std::unique_ptr<Writer>> Begin(uint64_t id);

  // Complete checkpoints' ids, newest first (from the manifest files present).
  std::vector<uint64_t> List() const;
  // The newest checkpoint whose manifest parses and whose state streams are all
  // present with matching sizes and checksums. A corrupt or partial one is
  // skipped with a warning that names it and says why, and the one before is
  // tried. nullopt when there is no checkpoint at all; kDataLoss naming each one
  // and its reason when there are some but none is usable (start-up must refuse
  // rather than silently start empty); an I/O error (kUnavailable) is returned
  // as is, without falling back.
  cep::Result<std::optional<Manifest>> LoadLatestValid() const;
  // A given checkpoint, verified the same way (kDataLoss with the reason).
  cep::Result<Manifest> Load(uint64_t id) const;
  // Hands a stream's chunks to `chunk` in order; kDataLoss on a missing chunk or
  // a checksum mismatch.
  cep::Status ReadStream(const Manifest& manifest, std::string_view stream,
                         cep::FunctionRef<cep::Status(std::string_view chunk)> chunk) const;

  // Savepoints: a checkpoint as a self-contained directory (its manifest and one
  // file per stream), to keep across upgrades or move to another machine, and
  // back in as a new checkpoint with the next id (which becomes the latest).
  cep::Status Export(uint64_t id, const std::filesystem::path& to) const;
  cep::Result<uint64_t> Import(const std::filesystem::path& from);
  // Reading a savepoint in place, without importing it (scale-out: another
  // instance's published checkpoint): its manifest (kNotFound when the
  // directory has none, so is incomplete), and one stream's bytes in pieces,
  // checked against the manifest's size and CRC32 (kDataLoss otherwise).
  static cep::Result<Manifest> LoadSavepoint(const std::filesystem::path& dir);
  static cep::Status ReadSavepointStream(const std::filesystem::path& dir, const StateStream& stream,
                                         cep::FunctionRef<cep::Status(std::string_view piece)> piece);

  const std::filesystem::path& dir() const;

 private:
  struct Impl;
  explicit CheckpointStorage(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace state
