#pragma once

// Input for the slot pool tests: a ruleset keyed three ways (account, device,
// none) with a skip strategy that holds matches back, windows that fire from
// the watermark, a distinct count with suppression and a late policy; and
// the events of their seeded streams.

#include <cstdint>
#include <memory>
#include <random>
#include <string>

#include "cep/event.h"
#include "cep/schema.h"

namespace engine::testing {

inline constexpr const char* kThreeKeyGroupsRules = R"(
ruleset pool_test version 2
schema transaction

rule small_then_large {
  severity high
  key account_id
  pattern
    begin small where amount < 5 times 2
    followed_by large where amount > 500
    within 10m
  skip past_last_event
  late accept 1m
}

rule device_accounts {
  severity medium
  key device_id
  where device_id is not null
  window last 30m
  when count_distinct(account_id) >= 3
  suppress 30m
}

rule hourly_total {
  key account_id
  window tumbling 1h
  when sum(amount) > 1000
}

rule everyone_busy {
  key none
  window tumbling 10m
  when count() > 40
}
)";

// Event `i` of a stream at `ts_ms`, of `account`: a device of 12 (absent one
// time in five) and an amount of 1, 60 or 900, drawn from `rng` in that order.
inline std::shared_ptr<const cep::Event> StreamEvent(const cep::Schema& schema, uint64_t i,
                                                     int64_t ts_ms, const std::string& account,
                                                     std::mt19937_64& rng) {
  const auto slot = [&](const char* name) { return *schema.Find(name); };
  const std::string device = "d" + std::to_string(rng() % 12);
  const uint64_t pick = rng() % 10;
  const int64_t amount = pick < 4 ? 1 : pick < 8 ? 60 : 900;  // units
  cep::EventBuilder b(schema.size());
  b.SetTs(cep::EventTime::FromMillis(ts_ms)).SetSeq(i).SetId("e" + std::to_string(i));
  b.Set(slot("account_id"), cep::Value::String(account));
  if (rng() % 5 != 0) b.Set(slot("device_id"), cep::Value::String(device));
  b.Set(slot("amount"), cep::Value::Decimal(amount * 1'000'000));
  b.Set(slot("ts"), cep::Value::Time(cep::EventTime::FromMillis(ts_ms)));
  return std::make_shared<const cep::Event>(b.Build());
}

}  // namespace engine::testing
