#include "engine/source/line_reader.h"

#include <gtest/gtest.h>
#include <zlib.h>

#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

namespace engine {
namespace {

std::filesystem::path TempFile(const std::string& name) {
  return std::filesystem::temp_directory_path() /
         ("cep-line-reader-" + std::to_string(::getpid()) + "-" + name);
}

std::vector<std::string> ReadAll(const std::string& path) {
  auto reader = LineReader::Open(path);
  EXPECT_TRUE(reader.ok()) << reader.error().ToString();
  std::vector<std::string> lines;
  std::string_view line;
  while ((*reader)->Next(line)) lines.emplace_back(line);
  EXPECT_TRUE((*reader)->status().ok());
  return lines;
}

TEST(LineReaderTest, ReadsPlainFilesWithAnyLineEnding) {
  const auto path = TempFile("plain.txt");
  std::ofstream(path) << "a\r\nbb\n\nlast-without-newline";
  EXPECT_EQ(ReadAll(path), (std::vector<std::string>{"a", "bb", "", "last-without-newline"}));
  std::filesystem::remove(path);
}

TEST(LineReaderTest, ReadsGzipAndLinesLongerThanAChunk) {
  const auto path = TempFile("long.gz");
  const std::string long_line(1'000'000, 'x');
  gzFile out = gzopen(path.c_str(), "wb");
  for (const std::string& line : {std::string("first"), long_line, std::string("third")}) {
    gzwrite(out, line.data(), static_cast<unsigned>(line.size()));
    gzwrite(out, "\n", 1);
  }
  gzclose(out);
  EXPECT_EQ(ReadAll(path), (std::vector<std::string>{"first", long_line, "third"}));
  std::filesystem::remove(path);
}

TEST(LineReaderTest, MissingFileIsNotFound) {
  auto reader = LineReader::Open("/nonexistent/cep/input.jsonl");
  ASSERT_FALSE(reader.ok());
  EXPECT_EQ(reader.error().code(), cep::StatusCode::kNotFound);
  EXPECT_NE(reader.error().message().find("/nonexistent/cep/input.jsonl"), std::string::npos);
}

TEST(LineReaderTest, CorruptGzipIsReportedNotSilentlyTruncated) {
  const auto path = TempFile("corrupt.gz");
  std::string bytes;
  {
    gzFile out = gzopen(path.c_str(), "wb");
    const std::string text(100'000, 'y');
    gzwrite(out, text.data(), static_cast<unsigned>(text.size()));
    gzclose(out);
    std::ifstream in(path, std::ios::binary);
    bytes.assign(std::istreambuf_iterator<char>(in), {});
  }
  bytes.resize(bytes.size() / 2);  // cut the stream in the middle
  std::ofstream(path, std::ios::binary) << bytes;
  auto reader = LineReader::Open(path.string());
  ASSERT_TRUE(reader.ok());
  std::string_view line;
  while ((*reader)->Next(line)) {
  }
  EXPECT_FALSE((*reader)->status().ok());
  std::filesystem::remove(path);
}

}  // namespace
}  // namespace engine
