#pragma once

// POSIX file helpers for checkpoint manifests and savepoints: durable writes
// (fsync of the file and of its directory) with errors that name the path and
// carry strerror(errno). Private to state/.

#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

#include "cep/base/function_ref.h"
#include "cep/base/result.h"
#include "cep/base/status.h"

namespace state::internal {

// The whole file; kNotFound when it does not exist, kUnavailable on other errors.
cep::Result<std::string> ReadFile(const std::filesystem::path& path);

// Reads the file in pieces of up to `piece_bytes`, handing each to `piece`.
cep::Status ReadFileInPieces(const std::filesystem::path& path, size_t piece_bytes,
                             cep::FunctionRef<cep::Status(std::string_view piece)> piece);

// The names of the entries in `dir` (without throwing, unlike a range-for over
// std::filesystem::directory_iterator).
cep::Result<std::vector<std::string>> ListDir(const std::filesystem::path& dir);

// Creates (or truncates) `path`, writes `bytes`, fsyncs and closes it.
cep::Status WriteFileSynced(const std::filesystem::path& path, std::string_view bytes);

// fsync of a directory, so that renames and unlinks in it survive a crash.
cep::Status SyncDir(const std::filesystem::path& dir);

// Writes `bytes` to "<path>.tmp", fsyncs, renames it to `path` and fsyncs the
// directory: afterwards `path` holds all of `bytes` or (after a crash before the
// rename) its previous content.
cep::Status WriteFileAtomically(const std::filesystem::path& path, std::string_view bytes);

// An open file written piece by piece, then fsynced and closed by Finish().
// Threading: one owner.
class SyncedFileWriter {
 public:
  static cep::Result<SyncedFileWriter> Create(const std::filesystem::path& path);
  SyncedFileWriter(SyncedFileWriter&& other) noexcept;
  SyncedFileWriter& operator=(SyncedFileWriter&&) = delete;
  ~SyncedFileWriter();

  cep::Status Append(std::string_view bytes);
  cep::Status Finish();  // fsync + close

 private:
  SyncedFileWriter(int fd, std::filesystem::path path) : fd_(fd), path_(std::move(path)) {}
  int fd_ = -1;
  std::filesystem::path path_;
};

}  // namespace state::internal
