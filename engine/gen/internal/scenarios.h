#pragma once

#include <cstdint>
#include <memory>
#include <span>
#include <string_view>
#include <vector>

#include "api/proto/transaction.pb.h"
#include "engine/gen/internal/random.h"
#include "engine/gen/internal/world.h"

namespace engine::gen {

// One injected incident in flight: its victims, and the events it adds to the
// stream (any order; the generator merges them by ts).
struct ScenarioRun {
  const World& world;
  Random& random;
  int64_t start_ms;
  uint64_t instance;     // 0, 1, ... over the stream: names the fraudster's device
  uint32_t fraudster_ip;  // where the fraudster connects from
  std::string_view name;
  std::span<const Account> victims;
  std::vector<std::unique_ptr<cep::v1::Transaction>>& events;

  // A new event of `account` at `ts_ms`; fraud events get label 1 and
  // attrs["scenario"], the others (the victim's own, genuine) label 0.
  cep::v1::Transaction& Add(const Account& account, int64_t ts_ms, bool fraud);
  // The fraudster's device ("fd<instance>") and IP on `tx`.
  void SetFraudsterDevice(cep::v1::Transaction& tx) const;
};

// A fraud scenario and the example ruleset it is built to trip (rulesets/).
struct Scenario {
  std::string_view name;
  std::string_view ruleset;  // rulesets/<ruleset>.rules
  uint32_t min_victims;
  uint32_t max_victims;
  // How long past its last event the victims' genuine traffic stays paused
  // (from the start; 0: not at all). Patterns with strict contiguity (`next`)
  // or "what follows within 1h" must not see the holder's own events, and a
  // window of 1d must not slide onto a genuine event while still holding fraud.
  int64_t quiet_after_ms;
  void (*build)(ScenarioRun& run);
};
// Victims are in no other incident until this long past its last event.
inline constexpr int64_t kBusyAfterMs = 65 * 60'000;

// Every scenario, in a fixed order (the order of ScenarioNames()).
std::span<const Scenario> Scenarios();

}  // namespace engine::gen
