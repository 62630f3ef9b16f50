#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "cep/base/result.h"

namespace engine {

// Reads a text file line by line, gzip-compressed or plain (told apart by its
// bytes, not its name), or standard input for "-". Lines may be any length; a
// trailing '\r' is dropped so CRLF files read like LF ones.
// Threading: one owner.
class LineReader {
 public:
  // Fails with NotFound or Unavailable (with the OS reason) if the file cannot be opened.
  static cep::Result<std::unique_ptr<LineReader>> Open(const std::string& path);
  ~LineReader();
  LineReader(const LineReader&) = delete;
  LineReader& operator=(const LineReader&) = delete;

  // The next line, valid until the next call; false at the end of input or on a
  // read error (see status()).
  bool Next(std::string_view& line);
  // 1-based number of the line last returned, for error messages.
  uint64_t line_number() const { return line_number_; }
  // Ok, or why reading stopped early (a corrupt gzip stream, an I/O error).
  const cep::Status& status() const { return status_; }
  // Compressed bytes consumed so far, for progress reports.
  uint64_t bytes_read() const;

 private:
  explicit LineReader(void* gz_file) : file_(gz_file) {}
  bool Fill();

  void* file_;  // gzFile; void* keeps zlib.h out of this header
  std::string buffer_;
  size_t begin_ = 0;  // start of unread data in buffer_
  bool eof_ = false;
  uint64_t line_number_ = 0;
  cep::Status status_;
};

}  // namespace engine
