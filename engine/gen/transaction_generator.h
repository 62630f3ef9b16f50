#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <unordered_map>
#include <vector>

#include "api/proto/transaction.pb.h"
#include "cep/base/status.h"
#include "cep/base/time.h"

namespace engine {

namespace gen {
class World;
class Random;
}  // namespace gen

struct GenOptions {
  uint64_t seed = 42;
  uint32_t accounts = 10'000;
  uint64_t count = 0;  // events to generate, 0 = unbounded
  // Event time of the stream's start (2026-01-01T00:00:00Z).
  cep::EventTime start = cep::EventTime::FromMillis(1'767'225'600'000);
  // Incidents started per simulated day, as a share of accounts (most have one
  // victim; credential_stuffing 5-8): with the defaults, 20 incidents a day
  // among ~40,000 genuine events.
  double fraud_accounts = 0.002;
  std::vector<std::string> scenarios;  // names from ScenarioNames(); empty = all
  // When > 0, events leave up to this much out of ts order: each is delayed by a
  // uniform 0..D, so every event's ts is >= (the largest ts before it) - D, and
  // a consumer whose watermark lags by D sees no late events. The events are
  // those of the in-order stream (same ids and fields), delivered in another order.
  cep::Duration max_out_of_orderness = cep::Duration::Zero();
};

// Why `options` cannot drive a generator (unknown scenario, no accounts, a share
// outside [0, 1], out-of-orderness outside [0, 1d], a start outside 1970..2191), or ok.
cep::Status ValidateGenOptions(const GenOptions& options);

// A seeded, deterministic synthetic stream of cep.v1.Transaction: a population
// of account holders (1-2 cards, 1-2 devices, an IP, a home city) buying at
// merchants of many MCCs with log-normal amounts, withdrawing cash, logging in,
// transferring money, at a daily rhythm in their time zone (about 4 events per
// account per day); and injected fraud scenarios, each built to make one of the
// example rulesets in rulesets/ fire (see engine/gen/README.md). Fraud events
// have label 1 and attrs["scenario"] = the scenario's name; all others label 0.
//
// The same options give the same stream, byte for byte, on every platform (own
// integer distributions over std::mt19937_64). Ids are "t<n>" in generation
// order. Events come in non-decreasing ts order unless max_out_of_orderness > 0.
//
// Threading: one owner. Cost: no allocation per genuine event once `out` is warm.
class TransactionGenerator {
 public:
  // `options` must pass ValidateGenOptions (CHECK).
  explicit TransactionGenerator(GenOptions options);
  ~TransactionGenerator();
  TransactionGenerator(const TransactionGenerator&) = delete;
  TransactionGenerator& operator=(const TransactionGenerator&) = delete;

  // Overwrites `out` with the next event; false once `count` events were made.
  bool Next(cep::v1::Transaction& out);

  uint64_t generated() const { return generated_; }
  uint64_t fraud_generated() const { return fraud_generated_; }

  // Per scenario (in ScenarioNames() order): incidents started and fraud
  // events emitted so far.
  struct ScenarioCount {
    std::string name;
    uint64_t incidents = 0;
    uint64_t fraud_events = 0;
  };
  std::vector<ScenarioCount> scenario_counts() const;

  // Every scenario this generator knows, e.g. "card_testing".
  static std::vector<std::string> ScenarioNames();
  // The example ruleset (rulesets/<name>.rules) a scenario is built to trip.
  static std::string RulesetOf(const std::string& scenario);

 private:
  struct Pending;
  // An account in an incident (not to be picked again) until `busy_until`, its
  // holder silent until `quiet_until` (ms).
  struct Busy {
    int64_t busy_until = 0;
    int64_t quiet_until = 0;
  };

  void NextInOrder(cep::v1::Transaction& out);
  void AdvanceGenuine();
  void StartScenario();
  void FillGenuine(cep::v1::Transaction& out);
  void FillPurchase(cep::v1::Transaction& out, uint32_t card);
  void Push(std::unique_ptr<cep::v1::Transaction> event);
  // Whether the account is in an incident (or waiting for a scheduled event)
  // at `now_ms`; `quiet_only`: only incidents that silence the holder count.
  bool IsBusy(uint32_t account, int64_t now_ms, bool quiet_only);
  void Count(const cep::v1::Transaction& out);

  GenOptions options_;
  std::unique_ptr<gen::Random> random_;
  std::unique_ptr<gen::World> world_;
  std::vector<uint32_t> scenarios_;  // enabled, indices into gen::Scenarios()
  uint32_t next_scenario_ = 0;       // round robin over scenarios_

  // Genuine traffic: a Poisson process thinned by the holder's local hour.
  int64_t genuine_ns_ = 0;  // time of the next candidate (ns since the epoch)
  uint32_t genuine_account_ = 0;
  uint64_t candidate_gap_ns_ = 0;  // mean gap between candidates
  // Incidents: a Poisson process of their own.
  int64_t scenario_ns_ = 0;
  uint64_t scenario_gap_ns_ = 0;  // 0: no scenarios
  uint64_t instances_ = 0;

  std::vector<Pending> pending_;  // min-heap by (ts, seq): scenario and follow-up events
  uint64_t pending_seq_ = 0;
  std::unordered_map<uint32_t, Busy> busy_;  // by account
  std::vector<std::unique_ptr<cep::v1::Transaction>> scratch_;  // a ScenarioRun's output

  // Out-of-order delivery: in-order events wait here until their delivery time.
  std::vector<Pending> delayed_;
  std::unique_ptr<gen::Random> delays_;  // own stream: the events stay those of the in-order run
  std::vector<std::unique_ptr<cep::v1::Transaction>> spare_;  // recycled messages
  int64_t last_made_ms_ = 0;

  uint64_t made_ = 0;  // events made in ts order (ids)
  uint64_t generated_ = 0;
  uint64_t fraud_generated_ = 0;
  std::vector<uint64_t> incidents_;     // per gen::Scenarios() entry
  std::vector<uint64_t> fraud_events_;  // per gen::Scenarios() entry
};

}  // namespace engine
