#include "api/replay_jobs/internal/topic_export.h"

#include <algorithm>
#include <chrono>
#include <fstream>
#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <string_view>
#include <vector>

#include "engine/kafka/consumer.h"

namespace api::replay_jobs::internal {
namespace {

namespace kafka = engine::kafka;

// The broker stopped answering: no record and no partition end for this long.
constexpr auto kStallLimit = std::chrono::seconds(30);

// One record in a partition's spool file: timestamp, size, bytes.
struct SpoolRecord {
  int64_t ts = 0;
  std::string value;
};

void WriteSpool(std::ofstream& out, int64_t ts, std::string_view value) {
  const auto size = static_cast<uint32_t>(value.size());
  out.write(reinterpret_cast<const char*>(&ts), sizeof ts);
  out.write(reinterpret_cast<const char*>(&size), sizeof size);
  out.write(value.data(), static_cast<std::streamsize>(value.size()));
}

bool ReadSpool(std::ifstream& in, SpoolRecord& record) {
  uint32_t size = 0;
  if (!in.read(reinterpret_cast<char*>(&record.ts), sizeof record.ts)) return false;
  if (!in.read(reinterpret_cast<char*>(&size), sizeof size)) return false;
  record.value.resize(size);
  return static_cast<bool>(in.read(record.value.data(), size));
}

// A record as one replay input record: a JSONL line (JSON allows a line break
// only between tokens, so a space replaces it) or a length-delimited protobuf.
// `_watermark` objects are dropped: in a replay they would switch off the
// automatic watermark, and the service refuses them too.
void WriteInput(std::ofstream& out, bool json, std::string& value) {
  if (json) {
    std::replace(value.begin(), value.end(), '\n', ' ');
    std::replace(value.begin(), value.end(), '\r', ' ');
    if (value.find("\"_watermark\"") != std::string::npos) {
      const auto parsed = nlohmann::json::parse(value, nullptr, /*allow_exceptions=*/false);
      if (parsed.is_object() && parsed.contains("_watermark")) return;
    }
    out << value << '\n';
    return;
  }
  uint64_t size = value.size();
  char varint[10];
  size_t n = 0;
  do {
    const auto low = static_cast<uint8_t>(size & 0x7f);
    size >>= 7;
    varint[n++] = static_cast<char>(size != 0 ? (low | 0x80) : low);
  } while (size != 0);
  out.write(varint, static_cast<std::streamsize>(n));
  out.write(value.data(), static_cast<std::streamsize>(value.size()));
}

struct PartitionSpool {
  int32_t partition = 0;
  int64_t end = 0;  // the partition's end when reading started
  bool done = false;
  std::filesystem::path path;
  std::ofstream out;
};

// Phase 1: each partition's records in range into its spool file, in offset order.
cep::Status ReadPartitions(const TopicExportOptions& o, std::vector<PartitionSpool>& spools,
                           const std::atomic<bool>& cancel) {
  kafka::ConsumerOptions consumer_options;
  consumer_options.bootstrap = o.bootstrap;
  consumer_options.client_id = "cep-replay";
  // The embedded broker holds every fetch for fetch.wait.max.ms (engine/kafka/README.md).
  consumer_options.settings["fetch.wait.max.ms"] = "100";
  // A replay reads; asking for a topic that does not exist must not create it.
  consumer_options.settings["allow.auto.create.topics"] = "false";
  ASSIGN_OR_RETURN(auto consumer, kafka::Consumer::Create(consumer_options));
  ASSIGN_OR_RETURN(std::vector<int32_t> partitions,
                   consumer->Partitions(o.topic, std::chrono::seconds(10)));
  std::vector<kafka::PartitionOffset> assignment;
  for (int32_t partition : partitions) {
    ASSIGN_OR_RETURN(int64_t end,
                     consumer->EndOffset({o.topic, partition}, std::chrono::seconds(10)));
    PartitionSpool& spool = spools.emplace_back();
    spool.partition = partition;
    spool.end = end;
    spool.done = end <= 0;
    spool.path = o.spool_dir / ("partition-" + std::to_string(partition) + ".spool");
    spool.out.open(spool.path, std::ios::binary | std::ios::trunc);
    if (!spool.out) return cep::Unavailable("cannot write '" + spool.path.string() + "'");
    if (!spool.done) assignment.push_back({{o.topic, partition}, kafka::kOffsetBeginning});
  }
  if (assignment.empty()) return cep::Status::Ok();
  RETURN_IF_ERROR(consumer->Assign(assignment));
  std::map<int32_t, PartitionSpool*> by_partition;
  for (PartitionSpool& spool : spools) by_partition[spool.partition] = &spool;
  size_t open = assignment.size();
  auto last_progress = std::chrono::steady_clock::now();
  while (open > 0) {
    if (cancel.load()) return cep::Status(cep::StatusCode::kCancelled, "cancelled");
    ASSIGN_OR_RETURN(auto records, consumer->Poll(1000, std::chrono::milliseconds(200)));
    if (!records.empty()) last_progress = std::chrono::steady_clock::now();
    for (const kafka::Record& record : records) {
      PartitionSpool* spool = by_partition[record.partition];
      if (spool == nullptr || spool->done || record.offset >= spool->end) continue;
      if (record.timestamp_ms >= o.from_ms && record.timestamp_ms < o.to_ms &&
          !record.value.empty()) {
        WriteSpool(spool->out, record.timestamp_ms, record.value);
      }
      if (record.offset + 1 >= spool->end) {
        spool->done = true;
        --open;
      }
    }
    // Offsets can have gaps (transaction markers, compaction): a partition whose
    // last offsets are no records ends at its end of partition instead.
    if (consumer->AtEndOfAllAssigned()) break;
    if (records.empty() && std::chrono::steady_clock::now() - last_progress > kStallLimit) {
      return cep::Unavailable("reading topic '" + o.topic + "': no record for " +
                              std::to_string(kStallLimit.count()) + " s");
    }
  }
  for (PartitionSpool& spool : spools) {
    spool.out.close();
    if (!spool.out) return cep::Unavailable("cannot write '" + spool.path.string() + "'");
  }
  return cep::Status::Ok();
}

// Phase 2: merge the spool files by (timestamp, partition) into the replay input.
cep::Result<uint64_t> MergeSpools(const TopicExportOptions& o, std::vector<PartitionSpool>& spools) {
  std::ofstream out(o.out, std::ios::binary | std::ios::trunc);
  if (!out) return cep::Unavailable("cannot write '" + o.out.string() + "'");
  const bool json = o.format == "json";
  std::vector<std::ifstream> inputs;
  std::vector<std::optional<SpoolRecord>> heads;
  for (const PartitionSpool& spool : spools) {
    inputs.emplace_back(spool.path, std::ios::binary);
    SpoolRecord record;
    heads.push_back(ReadSpool(inputs.back(), record) ? std::optional(std::move(record))
                                                     : std::nullopt);
  }
  uint64_t written = 0;
  for (;;) {
    // Few partitions: a linear scan is simpler than a heap and as fast.
    std::optional<size_t> next;
    for (size_t i = 0; i < heads.size(); ++i) {
      if (heads[i] && (!next || heads[i]->ts < heads[*next]->ts)) next = i;
    }
    if (!next) break;
    WriteInput(out, json, heads[*next]->value);
    ++written;
    SpoolRecord record;
    heads[*next] = ReadSpool(inputs[*next], record) ? std::optional(std::move(record)) : std::nullopt;
  }
  out.close();
  if (!out) return cep::Unavailable("cannot write '" + o.out.string() + "'");
  return written;
}

}  // namespace

cep::Result<uint64_t> ExportTopic(const TopicExportOptions& options, const std::atomic<bool>& cancel) {
  if (options.format != "json" && options.format != "protobuf") {
    return cep::InvalidArgument("topic format '" + options.format + "': expected json or protobuf");
  }
  std::error_code ec;
  std::filesystem::create_directories(options.spool_dir, ec);
  if (ec) return cep::Unavailable("cannot create '" + options.spool_dir.string() + "': " + ec.message());
  std::vector<PartitionSpool> spools;
  cep::Status read = ReadPartitions(options, spools, cancel);
  cep::Result<uint64_t> written = read.ok() ? MergeSpools(options, spools) : cep::Result<uint64_t>(read);
  spools.clear();
  std::filesystem::remove_all(options.spool_dir, ec);
  return written;
}

}  // namespace api::replay_jobs::internal
