#pragma once

// A ruleset for the slot pool tests: rules keyed three ways (account, device,
// none), a skip strategy that holds matches back, windows that fire from the
// watermark, a distinct count with suppression, and a late policy.

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

}  // namespace engine::testing
