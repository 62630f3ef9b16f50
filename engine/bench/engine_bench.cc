#include <atomic>
#include <charconv>
#include <memory>
#include <thread>

#include "api/proto/alert_json.h"
#include "engine/bench/internal/bench_util.h"
#include "engine/bench/pipeline_bench.h"
#include "engine/runtime/slot_pool.h"
#include "engine/service/record_decoder.h"

namespace engine::bench {
namespace {

// One ruleset's decoder and pool, and the thread that collects and serializes
// its alerts (the service's Lane and sink thread, without the producer).
struct Lane {
  std::unique_ptr<RecordDecoder> decoder;
  std::unique_ptr<SlotPool> pool;
  std::thread collector;
  std::atomic<uint64_t> alerts{0};
  std::atomic<uint64_t> alert_bytes{0};
};

void Collect(Lane& lane, bool json) {
  SlotPool::Output out;
  std::string bytes;
  uint64_t alerts = 0, alert_bytes = 0;
  for (;;) {
    lane.pool->Collect(out, std::chrono::milliseconds(20));
    for (const cep::v1::Alert& alert : out.alerts) {
      if (json) {
        bytes = wire::AlertToJson(alert);
      } else {
        alert.SerializeToString(&bytes);
      }
      ++alerts;
      alert_bytes += bytes.size();
    }
    out.alerts.clear();
    if (out.finished) break;
  }
  lane.alerts.store(alerts);
  lane.alert_bytes.store(alert_bytes);
}

}  // namespace

std::vector<InputRecord> GenerateRecords(GenOptions gen, uint64_t count,
                                         std::vector<uint64_t>* id_numbers) {
  gen.count = count;
  TransactionGenerator generator(std::move(gen));
  std::vector<InputRecord> records;
  records.reserve(count);
  if (id_numbers != nullptr) id_numbers->reserve(count);
  cep::v1::Transaction transaction;
  while (generator.Next(transaction)) {
    InputRecord& record = records.emplace_back();
    record.key = transaction.account_id();
    transaction.SerializeToString(&record.value);
    if (id_numbers != nullptr) {
      const std::string& id = transaction.id();
      uint64_t n = 0;
      const bool numbered = id.size() > 1 && id[0] == 't' &&
                            std::from_chars(id.data() + 1, id.data() + id.size(), n).ec ==
                                std::errc{};
      CHECK(numbered, "generated ids are t<n>");
      id_numbers->push_back(n);
    }
  }
  return records;
}

cep::Result<EngineBenchResult> RunEngineBench(const std::vector<rules::CompiledRuleset>& rulesets,
                                              std::span<const InputRecord> records,
                                              const EngineBenchOptions& options,
                                              const Progress& progress) {
  if (rulesets.empty()) return cep::Unexpected(cep::InvalidArgument("no ruleset to run"));
  std::vector<std::unique_ptr<Lane>> lanes;
  for (const rules::CompiledRuleset& ruleset : rulesets) {
    auto lane = std::make_unique<Lane>();
    lane->decoder = std::make_unique<RecordDecoder>(ruleset, RecordDecoder::Format::kProtobuf, "id");
    lane->pool = std::make_unique<SlotPool>(
        ruleset.program, SlotPoolOptions{.slots = options.slots, .queue_capacity = options.queue_capacity});
    lanes.push_back(std::move(lane));
  }
  if (progress) {
    progress("engine: " + std::to_string(records.size()) + " records through " +
             std::to_string(rulesets.size()) + " ruleset(s), " + std::to_string(options.slots) +
             " slot(s) each");
  }

  EngineBenchResult result;
  const internal::Stopwatch stopwatch;
  for (auto& lane : lanes) {
    Lane* l = lane.get();
    lane->collector = std::thread([l, json = options.json_alerts] { Collect(*l, json); });
  }
  cep::EventTime max_ts = cep::EventTime::Min();
  const size_t every = std::max<size_t>(1, options.watermark_every);
  for (size_t i = 0; i < records.size(); ++i) {
    for (auto& lane : lanes) {
      auto event = lane->decoder->Decode(records[i].value, i);
      if (!event) {
        ++result.decode_errors;
        continue;
      }
      if (&lane == &lanes.front()) {
        ++result.events;
        max_ts = std::max(max_ts, event->ts());
      }
      lane->pool->Route(std::make_shared<const cep::Event>(std::move(*event)));
    }
    if ((i + 1) % every == 0 && max_ts != cep::EventTime::Min()) {
      for (auto& lane : lanes) lane->pool->AdvanceWatermark(max_ts - cep::Duration::Millis(1));
    }
  }
  for (auto& lane : lanes) {
    if (max_ts != cep::EventTime::Min()) {
      lane->pool->AdvanceWatermark(max_ts - cep::Duration::Millis(1));
    }
    lane->pool->Stop();
  }
  for (auto& lane : lanes) lane->collector.join();
  result.timing = stopwatch.Elapsed();

  for (auto& lane : lanes) {
    result.alerts += lane->alerts.load();
    result.alert_bytes += lane->alert_bytes.load();
    result.late += lane->pool->late_events();
    result.backpressure_waits += lane->pool->backpressure_waits();
    result.keys += lane->pool->key_count();
  }
  return result;
}

}  // namespace engine::bench
