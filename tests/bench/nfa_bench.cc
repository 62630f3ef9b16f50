// The matcher step of the per-event path: SEQ(A; B) within 10s, one NfaMatcher
// per key, over 1,000,000 keys, events built beforehand. Reported as time per
// event (items/s = events/s). Keys arrive in random order (every event touches
// a cold matcher) or round-robin (each key sees A, then B a million events later).
#include <benchmark/benchmark.h>

#include <memory>
#include <random>
#include <vector>

#include "cep/event.h"
#include "cep/nfa/nfa_matcher.h"

namespace {

constexpr uint32_t kKeys = 1'000'000;
constexpr size_t kEvents = 4'000'000;

// The type lives in int slot 0 (A = 0, B = 1): what a compiled `kind == "..."`
// against an interned string would cost, without the expression engine.
class TypeIs final : public cep::Condition {
 public:
  explicit TypeIs(int64_t type) : type_(type) {}
  bool Matches(const cep::Event& event, const cep::MatchView&) const override {
    return event.field(0).int_value() == type_;
  }

 private:
  int64_t type_;
};

std::shared_ptr<const cep::NfaProgram> SeqWithin() {
  auto pattern = std::make_shared<cep::Pattern>();
  cep::Stage a, b;
  a.name = "a";
  a.where = std::make_shared<TypeIs>(0);
  b.name = "b";
  b.where = std::make_shared<TypeIs>(1);
  pattern->stages = {a, b};
  pattern->within = cep::Duration::Seconds(10);
  return cep::NfaProgram::Compile(pattern).value();
}

struct Input {
  std::vector<std::shared_ptr<const cep::Event>> events;
  std::vector<uint32_t> keys;
};

// ts advances 1 ms per 200 events: 4M events span 20 s, so a key's A is often
// still within 10 s when its B comes.
Input MakeInput(bool random_keys) {
  Input input;
  input.events.reserve(kEvents);
  input.keys.reserve(kEvents);
  std::mt19937 rng(42);
  std::uniform_int_distribution<uint32_t> key_dist(0, kKeys - 1);
  cep::EventBuilder builder(1);
  for (size_t i = 0; i < kEvents; ++i) {
    const uint32_t key = random_keys ? key_dist(rng) : static_cast<uint32_t>(i % kKeys);
    const int64_t type = random_keys ? static_cast<int64_t>(rng() & 1) : static_cast<int64_t>((i / kKeys) & 1);
    builder.SetTs(cep::EventTime::FromMillis(static_cast<int64_t>(i / 200)))
        .SetSeq(i)
        .Set(0, cep::Value::Int(type));
    input.events.push_back(std::make_shared<const cep::Event>(builder.Build()));
    input.keys.push_back(key);
  }
  return input;
}

void RunKeyed(benchmark::State& state, bool random_keys) {
  const Input input = MakeInput(random_keys);
  const auto program = SeqWithin();
  std::vector<cep::Match> out;
  size_t matches = 0;
  for (auto _ : state) {
    state.PauseTiming();
    // The key -> matcher map: keys are dense here, so a vector is the hash map.
    std::vector<cep::NfaMatcher> matchers;
    matchers.reserve(kKeys);
    for (uint32_t k = 0; k < kKeys; ++k) matchers.emplace_back(program);
    state.ResumeTiming();
    for (size_t i = 0; i < kEvents; ++i) {
      matchers[input.keys[i]].OnEvent(input.events[i], out);
      matches += out.size();
      out.clear();
    }
    state.PauseTiming();
    matchers.clear();
    state.ResumeTiming();
  }
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations() * kEvents));
  state.counters["matches_per_run"] =
      static_cast<double>(matches) / static_cast<double>(state.iterations());
}

void BM_SeqWithin_1MKeys_RandomOrder(benchmark::State& state) { RunKeyed(state, true); }
BENCHMARK(BM_SeqWithin_1MKeys_RandomOrder)->Unit(benchmark::kMillisecond)->Iterations(3);

void BM_SeqWithin_1MKeys_RoundRobin(benchmark::State& state) { RunKeyed(state, false); }
BENCHMARK(BM_SeqWithin_1MKeys_RoundRobin)->Unit(benchmark::kMillisecond)->Iterations(3);

// One key, A B A B ...: the step itself with everything in cache.
void BM_SeqWithin_OneKey(benchmark::State& state) {
  const auto program = SeqWithin();
  cep::EventBuilder builder(1);
  std::vector<std::shared_ptr<const cep::Event>> events;
  for (int64_t i = 0; i < 1024; ++i) {
    builder.SetTs(cep::EventTime::FromMillis(i)).SetSeq(static_cast<uint64_t>(i)).Set(0, cep::Value::Int(i & 1));
    events.push_back(std::make_shared<const cep::Event>(builder.Build()));
  }
  cep::NfaMatcher matcher(program);
  std::vector<cep::Match> out;
  size_t i = 0;
  int64_t base = 0;
  for (auto _ : state) {
    matcher.OnEvent(events[i], out);
    out.clear();
    if (++i == events.size()) {  // restart with fresh time so windows keep working
      i = 0;
      base += 1;
      matcher = cep::NfaMatcher(program);
    }
  }
  benchmark::DoNotOptimize(base);
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_SeqWithin_OneKey);

}  // namespace
