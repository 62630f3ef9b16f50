// The window update on the per-event path: `window last 30m` with count() and
// sum(amount) over 1,000,000 account keys, each seeing a purchase every ~5 minutes
// on average (exponential inter-arrival), so about 6 events per key are in a window.
// Reports ns per event and the bytes each active key's state holds.
#include <cmath>
#include <cstdint>
#include <random>
#include <vector>

#include <benchmark/benchmark.h>

#include "cep/window/firing_window_state.h"
#include "cep/window/last_window_state.h"

namespace {

using cep::AggregateFunction;
using cep::AggregateInput;
using cep::EventTime;
using cep::Type;
using cep::Value;

constexpr uint32_t kKeys = 1'000'000;
constexpr double kMeanKeyGapMs = 5 * 60 * 1000;  // per key
constexpr size_t kPatternEvents = 1 << 20;       // replayed with advancing time

struct Arrival {
  uint32_t key;
  uint32_t gap_us;  // global inter-arrival to the previous event, microseconds
  int64_t amount_micros;
};

// Uniform keys with a Poisson global stream: per-key arrivals are then Poisson too.
std::vector<Arrival> MakeArrivals(uint32_t keys) {
  std::mt19937_64 rng(20240601);
  std::exponential_distribution<double> gap(1.0 / (kMeanKeyGapMs * 1000.0 / keys));
  std::lognormal_distribution<double> amount(3.5, 1.2);  // median ~33 units
  std::uniform_int_distribution<uint32_t> key(0, keys - 1);
  std::vector<Arrival> arrivals(kPatternEvents);
  for (Arrival& a : arrivals) {
    a.key = key(rng);
    a.gap_us = static_cast<uint32_t>(gap(rng));
    a.amount_micros = static_cast<int64_t>(std::llround(amount(rng) * 100)) * 10'000;
  }
  return arrivals;
}

class Stream {
 public:
  explicit Stream(uint32_t keys) : arrivals_(MakeArrivals(keys)) {}
  const Arrival& Next() {
    const Arrival& a = arrivals_[next_++ & (kPatternEvents - 1)];
    now_us_ += a.gap_us;
    return a;
  }
  EventTime now() const { return EventTime::FromMillis(1'700'000'000'000 + now_us_ / 1000); }

 private:
  std::vector<Arrival> arrivals_;
  size_t next_ = 0;
  int64_t now_us_ = 0;
};

void BM_Last30mCountSum(benchmark::State& state) {
  const auto key_count = static_cast<uint32_t>(state.range(0));
  const cep::WindowSpec spec = *cep::WindowSpec::Last(
      cep::Duration::Minutes(30), {{AggregateFunction::kCount, Type::kNull, false},
                                   {AggregateFunction::kSum, Type::kDecimal, false}});
  std::vector<cep::LastWindowState> keys;
  keys.reserve(key_count);
  for (uint32_t k = 0; k < key_count; ++k) keys.emplace_back(spec);
  Stream stream(key_count);
  AggregateInput inputs[2] = {{}, {}};
  Value results[2];
  auto step = [&] {
    const Arrival& a = stream.Next();
    inputs[1].value = Value::Decimal(a.amount_micros);
    const cep::Status status = keys[a.key].OnEvent(stream.now(), inputs, results);
    benchmark::DoNotOptimize(status.ok());
    benchmark::DoNotOptimize(results);
  };
  // Warm up past one window length so every key holds a steady-state window.
  while (stream.now() < EventTime::FromMillis(1'700'000'000'000 + 40 * 60 * 1000)) step();
  for (auto _ : state) step();
  state.SetItemsProcessed(state.iterations());

  size_t bytes = 0;
  size_t active = 0;
  size_t entries = 0;
  for (const cep::LastWindowState& key : keys) {
    bytes += key.ByteSize();
    if (!key.empty()) ++active;
    entries += key.entry_count();
  }
  state.counters["bytes_per_key"] = static_cast<double>(bytes) / key_count;
  state.counters["bytes_per_active_key"] = static_cast<double>(bytes) / static_cast<double>(active);
  state.counters["entries_per_active_key"] =
      static_cast<double>(entries) / static_cast<double>(active);
  state.counters["fixed_bytes_per_key"] =
      static_cast<double>(cep::LastWindowState(spec).ByteSize());
}
// 1M keys: the state (~250 MB) is far beyond the caches, so this is memory-bound;
// 10k keys shows the cost of the update itself.
BENCHMARK(BM_Last30mCountSum)
    ->Arg(kKeys)
    ->Arg(10'000)
    ->Unit(benchmark::kNanosecond)
    ->Iterations(20'000'000);

// The same stream into `tumbling 1h` count+sum states, the watermark advancing every
// 10,000 events (a batch), firing the windows that closed.
void BM_Tumbling1hCountSum(benchmark::State& state) {
  const cep::WindowSpec spec = *cep::WindowSpec::Tumbling(
      cep::Duration::Hours(1), {{AggregateFunction::kCount, Type::kNull, false},
                                {AggregateFunction::kSum, Type::kDecimal, false}});
  std::vector<cep::FiringWindowState> keys;
  keys.reserve(kKeys);
  for (uint32_t k = 0; k < kKeys; ++k) keys.emplace_back(spec);
  Stream stream(kKeys);
  AggregateInput inputs[2] = {{}, {}};
  std::vector<cep::WindowResult> fired;
  std::vector<uint32_t> touched;
  size_t n = 0;
  for (auto _ : state) {
    const Arrival& a = stream.Next();
    inputs[1].value = Value::Decimal(a.amount_micros);
    benchmark::DoNotOptimize(keys[a.key].OnEvent(stream.now(), inputs).ok());
    touched.push_back(a.key);
    if (++n % 10'000 == 0) {  // an engine keeps a timer per key; here: the keys of the batch
      const EventTime watermark = stream.now() - cep::Duration::Millis(1);
      for (uint32_t k : touched) {
        if (keys[k].NextDeadline() <= watermark) keys[k].AdvanceWatermark(watermark, fired);
      }
      touched.clear();
      fired.clear();
    }
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_Tumbling1hCountSum)->Unit(benchmark::kNanosecond)->Iterations(5'000'000);

}  // namespace
