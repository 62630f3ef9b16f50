// Decoding one Transaction from each wire form: the first step of the per-event
// path (Kafka record -> Event).
#include <benchmark/benchmark.h>

#include "api/proto/transaction.pb.h"
#include "api/proto/transaction_json.h"

namespace {

constexpr char kJson[] =
    R"({"id":"t4","account_id":"acct-42","card_id":"card-7","merchant":"Lucky Casino",)"
    R"("mcc":7995,"amount":912.5,"currency":"EUR","kind":"purchase","country":"MT",)"
    R"("home_country":"DE","ts":1700000000123})";

void BM_TransactionFromJson(benchmark::State& state) {
  for (auto _ : state) {
    auto t = wire::TransactionFromJson(kJson);
    benchmark::DoNotOptimize(t);
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_TransactionFromJson);

void BM_TransactionFromProtobuf(benchmark::State& state) {
  const std::string bytes = wire::TransactionFromJson(kJson)->SerializeAsString();
  cep::v1::Transaction t;
  for (auto _ : state) {
    t.Clear();
    benchmark::DoNotOptimize(t.ParseFromString(bytes));
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_TransactionFromProtobuf);

}  // namespace
