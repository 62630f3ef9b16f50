#include "state/internal/file_util.h"

#include <cerrno>
#include <cstring>

#include <fcntl.h>
#include <unistd.h>

namespace state::internal {
namespace {

cep::Status ErrnoStatus(std::string_view what, const std::filesystem::path& path, int error) {
  std::string message = std::string(what) + " '" + path.string() + "': " + std::strerror(error);
  if (error == ENOENT) return cep::NotFound(std::move(message));
  return cep::Unavailable(std::move(message));
}

cep::Status WriteAll(int fd, std::string_view bytes, const std::filesystem::path& path) {
  while (!bytes.empty()) {
    const ssize_t n = ::write(fd, bytes.data(), bytes.size());
    if (n < 0) {
      if (errno == EINTR) continue;
      return ErrnoStatus("writing", path, errno);
    }
    bytes.remove_prefix(static_cast<size_t>(n));
  }
  return cep::Status::Ok();
}

}  // namespace

cep::Result<std::string> ReadFile(const std::filesystem::path& path) {
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return ErrnoStatus("opening", path, errno);
  std::string out;
  char buffer[1 << 16];
  while (true) {
    const ssize_t n = ::read(fd, buffer, sizeof(buffer));
    if (n < 0) {
      if (errno == EINTR) continue;
      const int error = errno;
      ::close(fd);
      return ErrnoStatus("reading", path, error);
    }
    if (n == 0) break;
    out.append(buffer, static_cast<size_t>(n));
  }
  ::close(fd);
  return out;
}

cep::Status ReadFileInPieces(const std::filesystem::path& path, size_t piece_bytes,
                             cep::FunctionRef<cep::Status(std::string_view piece)> piece) {
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return ErrnoStatus("opening", path, errno);
  std::string buffer(piece_bytes, '\0');
  cep::Status status;
  while (status.ok()) {
    size_t filled = 0;
    while (filled < buffer.size()) {
      const ssize_t n = ::read(fd, buffer.data() + filled, buffer.size() - filled);
      if (n < 0 && errno == EINTR) continue;
      if (n < 0) {
        status = ErrnoStatus("reading", path, errno);
        break;
      }
      if (n == 0) break;
      filled += static_cast<size_t>(n);
    }
    if (!status.ok() || filled == 0) break;
    status = piece(std::string_view(buffer.data(), filled));
    if (filled < buffer.size()) break;
  }
  ::close(fd);
  return status;
}

cep::Result<std::vector<std::string>> ListDir(const std::filesystem::path& dir) {
  std::vector<std::string> names;
  std::error_code ec;
  std::filesystem::directory_iterator it(dir, ec);
  for (; !ec && it != std::filesystem::directory_iterator(); it.increment(ec)) {
    names.push_back(it->path().filename().string());
  }
  if (ec) return cep::Unavailable("listing '" + dir.string() + "': " + ec.message());
  return names;
}

cep::Status WriteFileSynced(const std::filesystem::path& path, std::string_view bytes) {
  ASSIGN_OR_RETURN(SyncedFileWriter writer, SyncedFileWriter::Create(path));
  RETURN_IF_ERROR(writer.Append(bytes));
  return writer.Finish();
}

cep::Status SyncDir(const std::filesystem::path& dir) {
  const int fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) return ErrnoStatus("opening directory", dir, errno);
  if (::fsync(fd) != 0) {
    const int error = errno;
    ::close(fd);
    return ErrnoStatus("fsync of directory", dir, error);
  }
  ::close(fd);
  return cep::Status::Ok();
}

cep::Status WriteFileAtomically(const std::filesystem::path& path, std::string_view bytes) {
  std::filesystem::path tmp = path;
  tmp += ".tmp";
  RETURN_IF_ERROR(WriteFileSynced(tmp, bytes));
  if (::rename(tmp.c_str(), path.c_str()) != 0) {
    return ErrnoStatus("renaming '" + tmp.string() + "' to", path, errno);
  }
  return SyncDir(path.parent_path().empty() ? std::filesystem::path(".") : path.parent_path());
}

cep::Result<SyncedFileWriter> SyncedFileWriter::Create(const std::filesystem::path& path) {
  const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) return ErrnoStatus("creating", path, errno);
  return SyncedFileWriter(fd, path);
}

SyncedFileWriter::SyncedFileWriter(SyncedFileWriter&& other) noexcept
    : fd_(other.fd_), path_(std::move(other.path_)) {
  other.fd_ = -1;
}

SyncedFileWriter::~SyncedFileWriter() {
  if (fd_ >= 0) ::close(fd_);
}

cep::Status SyncedFileWriter::Append(std::string_view bytes) { return WriteAll(fd_, bytes, path_); }

cep::Status SyncedFileWriter::Finish() {
  if (::fsync(fd_) != 0) return ErrnoStatus("fsync of", path_, errno);
  const int fd = fd_;
  fd_ = -1;
  if (::close(fd) != 0) return ErrnoStatus("closing", path_, errno);
  return cep::Status::Ok();
}

}  // namespace state::internal
