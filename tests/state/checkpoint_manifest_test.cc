#include "state/checkpoint_manifest.h"

#include <string>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

namespace state {
namespace {

using ::testing::HasSubstr;

Manifest Sample() {
  Manifest m;
  m.id = 42;
  m.created_ms = 1'700'000'000'123;
  m.watermark_ms = -5;
  m.offsets = {{"transactions", 0, 1'000}, {"transactions", 7, 9'223'372'036'854'775'807}};
  m.rulesets = {{"fraud", 3, 18'446'744'073'709'551'615ull}, {"aml \"quoted\" é", 1, 0}};
  m.streams = {{"fraud/slot-1/group-0", 12, 12'345'678, 0xdeadbeef}, {"aml/slot-0", 0, 0, 0}};
  m.sink = {{"alerts", 2, 77}};
  return m;
}

cep::Status ParseError(const std::string& text) {
  auto parsed = ParseManifest(text);
  if (parsed.ok()) return cep::Status::Ok();
  return parsed.error();
}

// Replaces the first `from` in `text` with `to` (the test fails if absent).
std::string Replace(std::string text, const std::string& from, const std::string& to) {
  const size_t at = text.find(from);
  EXPECT_NE(at, std::string::npos) << from;
  if (at != std::string::npos) text.replace(at, from.size(), to);
  return text;
}

TEST(CheckpointManifestTest, RoundTripsEveryField) {
  const Manifest m = Sample();
  const std::string text = SerializeManifest(m);
  auto parsed = ParseManifest(text);
  ASSERT_TRUE(parsed.ok()) << parsed.error().ToString();
  EXPECT_EQ(*parsed, m);
  EXPECT_EQ(SerializeManifest(*parsed), text);
  EXPECT_EQ(m.state_bytes(), 12'345'678u);
  EXPECT_THAT(text, HasSubstr("\"format_version\": 1"));
  EXPECT_THAT(text, HasSubstr("\"checksum\": \"crc32:"));
}

TEST(CheckpointManifestTest, RoundTripsAnEmptyManifest) {
  auto parsed = ParseManifest(SerializeManifest(Manifest{}));
  ASSERT_TRUE(parsed.ok()) << parsed.error().ToString();
  EXPECT_EQ(*parsed, Manifest{});
}

TEST(CheckpointManifestTest, LayoutDoesNotMatterToTheChecksum) {
  std::string text = SerializeManifest(Sample());
  std::string compact;
  bool in_string = false;
  for (size_t i = 0; i < text.size(); ++i) {
    if (text[i] == '"' && (i == 0 || text[i - 1] != '\\')) in_string = !in_string;
    if (!in_string && (text[i] == ' ' || text[i] == '\n')) continue;
    compact.push_back(text[i]);
  }
  auto parsed = ParseManifest(compact);
  ASSERT_TRUE(parsed.ok()) << parsed.error().ToString();
  EXPECT_EQ(*parsed, Sample());
}

TEST(CheckpointManifestTest, RejectsEveryFlippedCharacterOfAValue) {
  const std::string text = SerializeManifest(Sample());
  // Digits and letters inside values and keys: each flip must be caught.
  int flips = 0;
  for (size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'z'))) continue;
    std::string bad = text;
    bad[i] = c == '1' ? '2' : (c == 'a' ? 'b' : static_cast<char>(c ^ 1));
    const cep::Status status = ParseError(bad);
    EXPECT_EQ(status.code(), cep::StatusCode::kDataLoss) << "flip at " << i << ": " << bad;
    EXPECT_THAT(status.message(), HasSubstr("checkpoint manifest")) << i;
    ++flips;
  }
  EXPECT_GT(flips, 100);
}

TEST(CheckpointManifestTest, RejectsAChangedValueWithAChecksumMismatch) {
  const std::string text = Replace(SerializeManifest(Sample()), "\"id\": 42", "\"id\": 43");
  EXPECT_THAT(ParseError(text).message(), HasSubstr("checksum mismatch"));
}

TEST(CheckpointManifestTest, RejectsTruncatedText) {
  const std::string text = SerializeManifest(Sample());
  for (size_t size : {size_t{0}, size_t{1}, text.size() / 2, text.size() - 3}) {
    const cep::Status status = ParseError(text.substr(0, size));
    EXPECT_EQ(status.code(), cep::StatusCode::kDataLoss);
    EXPECT_THAT(status.message(), HasSubstr("not valid JSON")) << size;
  }
}

TEST(CheckpointManifestTest, RejectsAWrongOrMalformedChecksum) {
  std::string text = SerializeManifest(Sample());
  const size_t at = text.find("crc32:") + 6;
  std::string wrong = text;
  wrong.replace(at, 8, "00000000");
  EXPECT_THAT(ParseError(wrong).message(),
              HasSubstr("checksum mismatch: the manifest says crc32:00000000"));
  std::string malformed = text;
  malformed.replace(at, 8, "0000zz00");
  EXPECT_THAT(ParseError(malformed).message(), HasSubstr("'checksum' should look like"));
  const std::string missing = Replace(text, "\"checksum\"", "\"checksun\"");
  EXPECT_THAT(ParseError(missing).message(), HasSubstr("field 'checksum' is missing"));
}

TEST(CheckpointManifestTest, RejectsAnUnknownFormatVersion) {
  const std::string text =
      Replace(SerializeManifest(Sample()), "\"format_version\": 1", "\"format_version\": 2");
  const cep::Status status = ParseError(text);
  EXPECT_EQ(status.code(), cep::StatusCode::kDataLoss);
  EXPECT_THAT(status.message(), HasSubstr("unknown format_version 2 (this build reads 1)"));
  EXPECT_THAT(ParseError(Replace(SerializeManifest(Sample()), "\"format_version\": 1",
                                 "\"format_version\": \"1\""))
                  .message(),
              HasSubstr("field 'format_version' should be an integer, is string"));
}

TEST(CheckpointManifestTest, RejectsNonObjects) {
  EXPECT_THAT(ParseError("[1, 2]").message(), HasSubstr("should be a JSON object, is array"));
}

// Builds a manifest whose checksum is right but whose content is not a valid
// manifest: what a buggy writer (not a flipped bit) would produce.
std::string Resigned(std::string text, const std::string& from, const std::string& to) {
  // The parser's mismatch message tells the checksum it computed.
  text = Replace(text, from, to);
  const cep::Status status = ParseError(text);
  const std::string needle = "its content has crc32:";
  const size_t at = status.message().find(needle);
  if (at == std::string::npos) return text;
  const std::string crc = status.message().substr(at + needle.size(), 8);
  const size_t pos = text.find("crc32:") + 6;
  text.replace(pos, 8, crc);
  return text;
}

TEST(CheckpointManifestTest, RejectsMissingFieldsAndWrongTypesNamingTheField) {
  const std::string text = SerializeManifest(Sample());
  struct Case {
    std::string from, to, expected;
  };
  const Case cases[] = {
      {"\"id\": 42,", "", "field 'id' is missing"},
      {"\"id\": 42", "\"id\": -42", "field 'id' must not be negative"},
      {"\"id\": 42", "\"id\": 4.2", "field 'id' should be an integer, is number"},
      {"\"watermark_ms\": -5", "\"watermark_ms\": null",
       "field 'watermark_ms' should be an integer"},
      {"\"sink\": [", "\"sinks\": [", "field 'sink' is missing"},
      {"\"partition\": 7", "\"partition\": 4294967296",
       "field 'offsets[1].partition' is out of range"},
      {"\"crc32\": 3735928559", "\"crc32\": \"x\"",
       "field 'streams[0].crc32' should be an integer"},
      {"\"name\": \"fraud\"", "\"nam\": \"fraud\"", "field 'rulesets[0].name' is missing"},
      {"\"rulesets\": [", "\"rulesets\": 7, \"x\": [",
       "field 'rulesets' should be an array, is number"},
      {"\"sink\": [\n    {", "\"sink\": [\n    3, {", "'sink[0]' should be an object, is number"},
  };
  for (const Case& c : cases) {
    const cep::Status status = ParseError(Resigned(text, c.from, c.to));
    EXPECT_EQ(status.code(), cep::StatusCode::kDataLoss) << c.to;
    EXPECT_THAT(status.message(), HasSubstr(c.expected));
  }
}

}  // namespace
}  // namespace state
