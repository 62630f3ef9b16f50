#include "engine/source/line_reader.h"

#include <fcntl.h>
#include <unistd.h>
#include <zlib.h>

#include <cerrno>
#include <cstring>

namespace engine {
namespace {

constexpr unsigned kChunk = 1 << 18;  // 256 KiB reads

gzFile AsGz(void* file) { return static_cast<gzFile>(file); }

}  // namespace

cep::Result<std::unique_ptr<LineReader>> LineReader::Open(const std::string& path) {
  const int fd = path == "-" ? dup(STDIN_FILENO) : ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    const int err = errno;
    const std::string message = "cannot open '" + path + "': " + std::strerror(err);
    return err == ENOENT ? cep::NotFound(message) : cep::Unavailable(message);
  }
  gzFile file = gzdopen(fd, "rb");  // reads plain files transparently
  if (file == nullptr) {
    ::close(fd);
    return cep::ResourceExhausted("cannot open '" + path + "': out of memory");
  }
  gzbuffer(file, kChunk);
  return std::unique_ptr<LineReader>(new LineReader(file));
}

LineReader::~LineReader() { gzclose(AsGz(file_)); }

uint64_t LineReader::bytes_read() const {
  return static_cast<uint64_t>(gzoffset(AsGz(file_)));
}

bool LineReader::Fill() {
  if (eof_) return false;
  // Drop what was consumed, then append a chunk.
  buffer_.erase(0, begin_);
  begin_ = 0;
  const size_t old_size = buffer_.size();
  buffer_.resize(old_size + kChunk);
  const int n = gzread(AsGz(file_), buffer_.data() + old_size, kChunk);
  int code = Z_OK;
  const char* message = gzerror(AsGz(file_), &code);
  // A truncated stream ends with a short read and Z_BUF_ERROR set, not n < 0.
  // Keep what was decoded: the lines before the damage are good.
  const size_t got = n > 0 ? static_cast<size_t>(n) : 0;
  buffer_.resize(old_size + got);
  if (n < 0 || (code != Z_OK && code != Z_STREAM_END)) {
    status_ = cep::DataLoss(std::string("read failed: ") + message);
    eof_ = true;
  } else if (n == 0) {
    eof_ = true;
  }
  return n > 0;
}

bool LineReader::Next(std::string_view& line) {
  size_t newline = buffer_.find('\n', begin_);
  while (newline == std::string::npos) {
    const size_t searched = buffer_.size() - begin_;
    if (!Fill()) break;
    newline = buffer_.find('\n', begin_ + searched);
  }
  size_t end = newline;
  if (newline == std::string::npos) {
    if (begin_ >= buffer_.size()) return false;  // end of input
    end = buffer_.size();                        // a last line without '\n'
  }
  line = std::string_view(buffer_).substr(begin_, end - begin_);
  if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
  begin_ = newline == std::string::npos ? buffer_.size() : newline + 1;
  ++line_number_;
  return true;
}

}  // namespace engine
