#include "engine/gen/internal/scenarios.h"

#include <array>

// Each scenario is written against one ruleset in rulesets/: the comment above
// it quotes the rule and says which numbers make it fire. Times are in ms.
namespace engine::gen {
namespace {

constexpr int64_t kSecond = 1000;
constexpr int64_t kMinute = 60 * kSecond;
constexpr int64_t kHour = 60 * kMinute;

struct Merchant {
  std::string_view name;
  int32_t mcc;
};

// Where stolen cards are tested: small online charges nobody notices.
constexpr Merchant kTestMerchants[] = {{"Hope Charity Donations", 8398},
                                       {"Digital Keys Store", 5999},
                                       {"AppBoost Credits", 5999},
                                       {"StreamPlus Trial", 5999},
                                       {"Micro Gift Cards", 5999}};
// Cash-out merchants in both HIGH_RISK_MCC lists (card_testing and card_fraud).
constexpr Merchant kHighRisk[] = {{"Royal Flush Online Casino", 7995},
                                  {"FastWire Money Transfer", 4829}};
// What a stolen card buys quickly: easy to resell.
constexpr Merchant kResellable[] = {{"Volt Electronics", 5732},
                                    {"PixelPoint", 5732},
                                    {"GadgetWorld", 5732},
                                    {"Golden Carat Jewellers", 5944},
                                    {"LuxeWatch Online", 5944}};
// Online gambling; every name matches /casino|poker|bet(ting)?|lotto/i.
constexpr Merchant kOnlineGambling[] = {{"Royal Flush Online Casino", 7995},
                                        {"PokerStorm Live", 7995},
                                        {"BetNow Online", 7995},
                                        {"MegaLotto Online", 7995}};

void SetMerchant(cep::v1::Transaction& tx, const Merchant& merchant) {
  SetText(tx.mutable_merchant(), merchant.name);
  tx.set_mcc(merchant.mcc);
}

// An online purchase with the victim's card from the fraudster's device.
cep::v1::Transaction& CardNotPresent(ScenarioRun& run, const Account& victim, uint32_t card,
                                     int64_t ts, const Merchant& merchant, int64_t cents,
                                     std::string_view country) {
  cep::v1::Transaction& tx = run.Add(victim, ts, true);
  SetCard(tx, victim, card);
  run.SetFraudsterDevice(tx);
  SetMerchant(tx, merchant);
  SetAmountCents(tx, cents);
  SetText(tx.mutable_channel(), "ecom");
  SetText(tx.mutable_kind(), "purchase");
  SetText(tx.mutable_country(), country);
  return tx;
}

// A non-payment event (login, reset, transfer) from the fraudster's device.
cep::v1::Transaction& FraudsterEvent(ScenarioRun& run, const Account& victim, int64_t ts,
                                     std::string_view kind, std::string_view country) {
  cep::v1::Transaction& tx = run.Add(victim, ts, true);
  run.SetFraudsterDevice(tx);
  SetText(tx.mutable_kind(), kind);
  SetText(tx.mutable_country(), country);
  return tx;
}

std::string_view FraudCountry(Random& random) {
  return Cities()[FraudCities()[random.Below(static_cast<uint32_t>(FraudCities().size()))]].country;
}

// card_testing.rules small_charges_then_large: per card, 3 consecutive purchases
// < 5.00 followed by one > 500 at an MCC of HIGH_RISK_MCC, within 10m; and
// burst_of_declinable_tests: >= 10 purchases < 2.00 at >= 3 merchants in 5m.
// card_fraud.rules card_testing_then_large: the same per account with `next`
// (strict contiguity), hence the quiet account. Half the runs are bursts of
// 10-14 tests under 2.00 (5-25 s apart: 10 of them within 225 s), half are 3-5
// tests under 5.00 (15-60 s apart); the cash-out follows 30-180 s after the last
// test, so the whole run fits in 505 s < 10m.
void CardTesting(ScenarioRun& run) {
  const Account& victim = run.victims[0];
  const uint32_t card = run.random.Below(victim.cards);
  const std::string_view home = run.world.HomeOf(victim).country;
  const bool burst = run.random.Below(2) == 0;
  const uint32_t tests = burst ? 10 + run.random.Below(5) : 3 + run.random.Below(3);
  const uint32_t first_merchant = run.random.Below(std::size(kTestMerchants));
  int64_t ts = run.start_ms;
  for (uint32_t i = 0; i < tests; ++i) {
    if (i > 0) ts += burst ? run.random.Between(5 * kSecond, 25 * kSecond) : run.random.Between(15 * kSecond, 60 * kSecond);
    const int64_t cents = burst ? run.random.Between(50, 199) : run.random.Between(100, 499);
    CardNotPresent(run, victim, card, ts, kTestMerchants[(first_merchant + i) % std::size(kTestMerchants)],
                   cents, home);
  }
  ts += run.random.Between(30 * kSecond, 180 * kSecond);
  CardNotPresent(run, victim, card, ts, kHighRisk[run.random.Below(std::size(kHighRisk))],
                 run.random.Between(60'000, 250'000), home);
}

// velocity.rules spend_30m: per account, >= 5 purchases summing > 2000 in 30m;
// many_countries_1d: a card in >= 4 countries in a day; hourly_foreign_spend:
// > 5000 abroad in a clock hour (usually; a burst can straddle the hour).
// card_fraud.rules velocity_30m is spend_30m. 5-8 online purchases of
// 800-1900, 1-5 minutes apart (the first five within 20 minutes), each in a
// different foreign country.
void Velocity(ScenarioRun& run) {
  const Account& victim = run.victims[0];
  const uint32_t card = run.random.Below(victim.cards);
  std::array<uint32_t, 9> cities;
  for (uint32_t i = 0; i < cities.size(); ++i) cities[i] = FraudCities()[i];
  const uint32_t count = 5 + run.random.Below(4);
  for (uint32_t i = 0; i < count; ++i) {  // partial Fisher-Yates: distinct countries
    std::swap(cities[i], cities[i + run.random.Below(static_cast<uint32_t>(cities.size()) - i)]);
  }
  int64_t ts = run.start_ms;
  for (uint32_t i = 0; i < count; ++i) {
    if (i > 0) ts += run.random.Between(60 * kSecond, 300 * kSecond);
    CardNotPresent(run, victim, card, ts, kResellable[run.random.Below(std::size(kResellable))],
                   run.random.Between(80'000, 190'000), Cities()[cities[i]].country);
  }
}

// impossible_travel.rules card_present_far_apart: per card, two "pos" events with
// lat/lon more than 500 km apart within 1h. The holder pays at home (genuine,
// label 0), then a cloned card is used 10-50 minutes later in a fraud city over
// 1,000 km away (label 1), and 0-2 more times there. The quiet account keeps the
// holder's next purchase at home from pairing with the clone (a false positive).
void ImpossibleTravel(ScenarioRun& run) {
  const Account& victim = run.victims[0];
  const uint32_t card = run.random.Below(victim.cards);
  const Category& local = Categories()[run.random.Below(2) == 0 ? 0 : 2];  // grocery, restaurants
  cep::v1::Transaction& here = run.Add(victim, run.start_ms, false);
  SetCard(here, victim, card);
  const uint32_t here_merchant = run.random.Below(static_cast<uint32_t>(local.merchants.size()));
  SetText(here.mutable_merchant(), local.merchants[here_merchant]);
  here.set_mcc(local.mcc);
  SetAmountCents(here, LogNormalCents(run.random, local.median_cents, local.sigma64, local.min_cents,
                                      local.max_cents));
  SetText(here.mutable_kind(), "purchase");
  SetText(here.mutable_country(), run.world.HomeOf(victim).country);
  SetCardPresent(here, victim.city, here_merchant, Jitter(run.random, victim.lat, 300),
                 Jitter(run.random, victim.lon, 300));

  const uint32_t city = FraudCities()[run.random.Below(static_cast<uint32_t>(FraudCities().size()))];
  const City& far = Cities()[city];
  int64_t ts = run.start_ms + run.random.Between(10 * kMinute, 50 * kMinute);
  const uint32_t uses = 1 + run.random.Below(3);
  for (uint32_t i = 0; i < uses; ++i) {
    if (i > 0) ts += run.random.Between(3 * kMinute, 15 * kMinute);
    const uint32_t m = run.random.Below(std::size(kResellable));
    cep::v1::Transaction& there = run.Add(victim, ts, true);
    SetCard(there, victim, card);
    SetMerchant(there, kResellable[m]);
    SetAmountCents(there, run.random.Between(20'000, 150'000));
    SetText(there.mutable_kind(), "purchase");
    SetText(there.mutable_country(), far.country);
    SetCardPresent(there, city, m, Jitter(run.random, far.lat, 500), Jitter(run.random, far.lon, 500));
  }
}

// account_takeover.rules reset_then_transfer_unverified: per account, a
// password_reset, no verification, then a transfer > 1000 within 6h (fires on
// the transfer); reset_without_verification fires when 24h pass unverified (a
// timeout: unscored). card_fraud.rules has the latter too. A login from abroad
// on a new device, the reset 1-5 minutes later, a transfer of 1,500-8,500 after
// 15-120 minutes (under structuring's 9,000), sometimes a second one.
void AccountTakeover(ScenarioRun& run) {
  const Account& victim = run.victims[0];
  const std::string_view country = FraudCountry(run.random);
  int64_t ts = run.start_ms;
  FraudsterEvent(run, victim, ts, "login", country);
  ts += run.random.Between(1 * kMinute, 5 * kMinute);
  FraudsterEvent(run, victim, ts, "password_reset", country);
  const uint32_t transfers = 1 + run.random.Below(2);
  for (uint32_t i = 0; i < transfers; ++i) {
    ts += i == 0 ? run.random.Between(15 * kMinute, 120 * kMinute) : run.random.Between(10 * kMinute, 40 * kMinute);
    cep::v1::Transaction& tx = FraudsterEvent(run, victim, ts, "transfer", country);
    SetText(tx.mutable_channel(), "ecom");
    SetAmountCents(tx, i == 0 ? run.random.Between(150'000, 850'000) : run.random.Between(100'000, 500'000));
  }
}

// gambling.rules gambling_after_foreign_login: per account, a login from a
// country other than home_country followed within 1h by a merchant matching
// /casino|poker|bet(ting)?|lotto/i; repeated_gambling_spend: gambling > 3000 in a
// day. card_fraud.rules has the first rule too. The first bet comes 2-15 minutes
// after the login; bets of 600-1800 every 2-12 minutes until they pass 3,200.
void Gambling(ScenarioRun& run) {
  const Account& victim = run.victims[0];
  const uint32_t card = run.random.Below(victim.cards);
  int64_t ts = run.start_ms;
  FraudsterEvent(run, victim, ts, "login", FraudCountry(run.random));
  ts += run.random.Between(2 * kMinute, 15 * kMinute);
  int64_t total = 0;
  for (uint32_t bets = 0; bets < 2 || total <= 320'000; ++bets) {
    if (bets > 0) ts += run.random.Between(2 * kMinute, 12 * kMinute);
    const int64_t cents = run.random.Between(60'000, 180'000);
    total += cents;
    CardNotPresent(run, victim, card, ts, kOnlineGambling[run.random.Below(std::size(kOnlineGambling))],
                   cents, "MT");
  }
}

// structuring.rules just_under_threshold_7d: per account, >= 3 transfers or
// deposits in [9000, 10000) within 7d; three_in_a_row: 3 such amounts within 2d.
// The holder (or a mule) does it: own device, cash deposits at the home ATM. 3-5
// of 9,000-9,950, 3-14 hours apart (the first three within 28 hours).
void Structuring(ScenarioRun& run) {
  const Account& victim = run.victims[0];
  const uint32_t count = 3 + run.random.Below(3);
  int64_t ts = run.start_ms;
  for (uint32_t i = 0; i < count; ++i) {
    if (i > 0) ts += run.random.Between(3 * 60 * kMinute, 14 * 60 * kMinute);
    cep::v1::Transaction& tx = run.Add(victim, ts, true);
    SetAmountCents(tx, run.random.Between(900'000, 995'000));
    SetText(tx.mutable_country(), run.world.HomeOf(victim).country);
    if (run.random.Below(2) == 0) {
      SetText(tx.mutable_kind(), "deposit");
      tx.set_mcc(6011);
      SetText(tx.mutable_channel(), "atm");
      SetNumbered(tx.mutable_terminal_id(), "ATM", victim.city);
      tx.set_lat(Jitter(run.random, victim.lat, 300));
      tx.set_lon(Jitter(run.random, victim.lon, 300));
    } else {
      SetText(tx.mutable_kind(), "transfer");
      SetText(tx.mutable_channel(), "ecom");
      SetOwnDevice(tx, victim, run.random.Below(victim.devices));
    }
  }
}

// velocity.rules device_fan_out: one device_id used by >= 5 accounts within a
// 1h sliding window. One bot device logs into 5-8 accounts 1-7 minutes apart
// (the first five within 28 minutes), through residential proxies in each
// victim's home country (so no "foreign login" for gambling.rules).
void CredentialStuffing(ScenarioRun& run) {
  int64_t ts = run.start_ms;
  for (size_t i = 0; i < run.victims.size(); ++i) {
    if (i > 0) ts += run.random.Between(1 * kMinute, 7 * kMinute);
    const Account& victim = run.victims[i];
    FraudsterEvent(run, victim, ts, "login", run.world.HomeOf(victim).country);
  }
}

// The velocity victim's card is blocked and the holder waits a day for a new
// one: many_countries_1d (1d window, 1d suppression) would otherwise fire on
// their next genuine purchase a day later, with the burst's tail still in its window.
constexpr Scenario kScenarios[] = {
    {"card_testing", "card_testing", 1, 1, kBusyAfterMs, CardTesting},
    {"velocity", "velocity", 1, 1, 25 * kHour, Velocity},
    {"impossible_travel", "impossible_travel", 1, 1, kBusyAfterMs, ImpossibleTravel},
    {"account_takeover", "account_takeover", 1, 1, kBusyAfterMs, AccountTakeover},
    {"gambling", "gambling", 1, 1, kBusyAfterMs, Gambling},
    {"structuring", "structuring", 1, 1, 0, Structuring},
    {"credential_stuffing", "velocity", 5, 8, 0, CredentialStuffing},
};

}  // namespace

cep::v1::Transaction& ScenarioRun::Add(const Account& account, int64_t ts_ms, bool fraud) {
  events.push_back(std::make_unique<cep::v1::Transaction>());
  cep::v1::Transaction& tx = *events.back();
  SetAccountFields(tx, world, account, ts_ms, fraud);
  if (fraud) (*tx.mutable_attrs())["scenario"] = std::string(name);
  return tx;
}

void ScenarioRun::SetFraudsterDevice(cep::v1::Transaction& tx) const {
  SetNumbered(tx.mutable_device_id(), "fd", instance);
  SetIp(tx.mutable_ip(), fraudster_ip);
}

std::span<const Scenario> Scenarios() { return kScenarios; }

}  // namespace engine::gen
