#include "engine/gen/transaction_generator.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <unordered_map>

#include "cep/base/check.h"
#include "engine/gen/internal/random.h"
#include "engine/gen/internal/scenarios.h"
#include "engine/gen/internal/world.h"

namespace engine {
namespace {

using gen::Account;
using gen::Category;
using gen::City;

constexpr int64_t kNsPerMs = 1'000'000;
constexpr int64_t kMsPerHour = 3'600'000;
constexpr int64_t kNsPerDay = 86'400'000'000'000;
constexpr int64_t kMaxStartMs = 7'000'000'000'000;  // year 2191: ns clocks stay in int64
constexpr int64_t kEventsPerAccountPerDay = 4;

// Activity by local hour, out of 16: the share of candidate events a holder
// accepts at that hour (thinning). Quiet at night, peaks at noon and 18:00.
constexpr uint32_t kDiurnal[24] = {3,  2,  1,  1,  1,  2,  4,  7,  10, 12, 13, 14,
                                   16, 15, 13, 13, 14, 15, 16, 15, 13, 10, 7,  5};
constexpr int64_t kDiurnalSum = 222;

// Genuine events by kind, per mille (the rest are purchases).
constexpr uint32_t kLogin = 90;
constexpr uint32_t kPasswordReset = kLogin + 3;
constexpr uint32_t kTransfer = kPasswordReset + 40;
constexpr uint32_t kDeposit = kTransfer + 10;
constexpr uint32_t kWithdrawal = kDeposit + 60;
constexpr uint32_t kRefund = kWithdrawal + 7;

// Gap to the next event of a Poisson process with mean gap `mean_ns`.
int64_t ExpGap(gen::Random& random, uint64_t mean_ns) {
  const uint64_t e = random.ExpQ16();
  return static_cast<int64_t>((mean_ns >> 16) * e + (((mean_ns & 0xFFFF) * e) >> 16));
}

int ScenarioIndex(const std::string& name) {
  const auto scenarios = gen::Scenarios();
  for (size_t i = 0; i < scenarios.size(); ++i) {
    if (scenarios[i].name == name) return static_cast<int>(i);
  }
  return -1;
}

const Category& PickCategory(gen::Random& random, const Account& account) {
  uint32_t pick = random.Below(1000);
  for (const Category& category : gen::Categories()) {
    if (pick < category.weight) {
      return category.gamblers_only && !account.gambler ? gen::Categories()[0] : category;
    }
    pick -= category.weight;
  }
  return gen::Categories()[0];
}

}  // namespace

struct TransactionGenerator::Pending {
  int64_t ts_ms;  // or the delivery time, in the out-of-order buffer
  uint64_t seq;
  std::unique_ptr<cep::v1::Transaction> event;
};

namespace {
// Min-heap order on (ts, seq).
template <typename P>
bool Later(const P& a, const P& b) {
  return a.ts_ms != b.ts_ms ? a.ts_ms > b.ts_ms : a.seq > b.seq;
}
}  // namespace

cep::Status ValidateGenOptions(const GenOptions& options) {
  if (options.accounts == 0) return cep::InvalidArgument("accounts must be at least 1");
  if (!(options.fraud_accounts >= 0 && options.fraud_accounts <= 1)) {
    return cep::InvalidArgument("the fraud share must be between 0 and 1");
  }
  if (options.start.millis() < 0 || options.start.millis() > kMaxStartMs) {
    return cep::InvalidArgument("the start must lie between 1970 and 2191");
  }
  if (options.max_out_of_orderness.millis() < 0 ||
      options.max_out_of_orderness > cep::Duration::Days(1)) {
    return cep::InvalidArgument("max out-of-orderness must be between 0 and 1d");
  }
  for (const std::string& name : options.scenarios) {
    if (ScenarioIndex(name) < 0) {
      std::string known;
      for (const auto& scenario : gen::Scenarios()) {
        known += (known.empty() ? "" : ", ") + std::string(scenario.name);
      }
      return cep::InvalidArgument("unknown scenario '" + name + "' (known: " + known + ")");
    }
  }
  return cep::Status::Ok();
}

TransactionGenerator::TransactionGenerator(GenOptions options) : options_(std::move(options)) {
  const cep::Status valid = ValidateGenOptions(options_);
  CHECK(valid.ok(), valid.message().c_str());
  random_ = std::make_unique<gen::Random>(options_.seed);
  delays_ = std::make_unique<gen::Random>(gen::Mix(options_.seed ^ 0x64656C6179ull));
  world_ = std::make_unique<gen::World>(gen::Mix(options_.seed ^ 0x776F726C64ull), options_.accounts);
  const auto all = gen::Scenarios();
  incidents_.assign(all.size(), 0);
  fraud_events_.assign(all.size(), 0);
  for (uint32_t i = 0; i < all.size(); ++i) {
    const bool wanted = options_.scenarios.empty() ||
                        std::find(options_.scenarios.begin(), options_.scenarios.end(),
                                  all[i].name) != options_.scenarios.end();
    if (wanted) scenarios_.push_back(i);
  }

  // Candidates arrive at 16/mean(kDiurnal) times the wanted rate; thinning by
  // local hour keeps kEventsPerAccountPerDay on average.
  candidate_gap_ns_ = static_cast<uint64_t>(
      std::max<int64_t>(1, kNsPerDay / 16 / 24 * kDiurnalSum /
                               (kEventsPerAccountPerDay * int64_t{options_.accounts})));
  const int64_t start_ns = options_.start.millis() * kNsPerMs;
  genuine_ns_ = start_ns;
  AdvanceGenuine();

  const double incidents_per_day = options_.fraud_accounts * options_.accounts;
  if (!scenarios_.empty() && incidents_per_day > 0) {
    const double gap = static_cast<double>(kNsPerDay) / incidents_per_day;
    scenario_gap_ns_ = gap >= 1e15 ? uint64_t{1'000'000'000'000'000} : static_cast<uint64_t>(std::max(gap, 1.0));
    scenario_ns_ = start_ns + ExpGap(*random_, scenario_gap_ns_);
    next_scenario_ = random_->Below(static_cast<uint32_t>(scenarios_.size()));
  }
}

TransactionGenerator::~TransactionGenerator() = default;

std::vector<std::string> TransactionGenerator::ScenarioNames() {
  std::vector<std::string> names;
  for (const auto& scenario : gen::Scenarios()) names.emplace_back(scenario.name);
  return names;
}

std::string TransactionGenerator::RulesetOf(const std::string& scenario) {
  const int i = ScenarioIndex(scenario);
  return i < 0 ? std::string() : std::string(gen::Scenarios()[static_cast<size_t>(i)].ruleset);
}

std::vector<TransactionGenerator::ScenarioCount> TransactionGenerator::scenario_counts() const {
  std::vector<ScenarioCount> counts;
  for (uint32_t i : scenarios_) {
    counts.push_back({std::string(gen::Scenarios()[i].name), incidents_[i], fraud_events_[i]});
  }
  return counts;
}

bool TransactionGenerator::Next(cep::v1::Transaction& out) {
  const uint64_t count = options_.count;
  const int64_t max_delay = options_.max_out_of_orderness.millis();
  if (max_delay == 0) {
    if (count != 0 && made_ >= count) return false;
    NextInOrder(out);
    Count(out);
    return true;
  }
  // Each event is delivered at ts + U[0, D]. Every event still to be made has
  // ts (and so delivery) >= the last one made, so a buffered event due by then
  // can go now.
  while (count == 0 || made_ < count) {
    if (!delayed_.empty() && delayed_.front().ts_ms <= last_made_ms_) break;
    std::unique_ptr<cep::v1::Transaction> event;
    if (spare_.empty()) {
      event = std::make_unique<cep::v1::Transaction>();
    } else {
      event = std::move(spare_.back());
      spare_.pop_back();
    }
    NextInOrder(*event);
    last_made_ms_ = event->ts_ms();
    const int64_t delivery = last_made_ms_ + delays_->Between(0, max_delay);
    delayed_.push_back({delivery, made_, std::move(event)});
    std::push_heap(delayed_.begin(), delayed_.end(), Later<Pending>);
  }
  if (delayed_.empty()) return false;
  std::pop_heap(delayed_.begin(), delayed_.end(), Later<Pending>);
  out.Swap(delayed_.back().event.get());
  spare_.push_back(std::move(delayed_.back().event));
  delayed_.pop_back();
  Count(out);
  return true;
}

void TransactionGenerator::Count(const cep::v1::Transaction& out) {
  ++generated_;
  if (out.label() != 1) return;
  ++fraud_generated_;
  const auto it = out.attrs().find("scenario");
  if (it == out.attrs().end()) return;
  const int i = ScenarioIndex(it->second);
  if (i >= 0) ++fraud_events_[static_cast<size_t>(i)];
}

// Three sources merge here in ts order: genuine traffic, incidents starting
// (which push their events, all at or after their start, into pending_), and
// pending_. An incident starts before any event at or after its start is
// emitted, so nothing it pushes can precede what was already emitted.
void TransactionGenerator::NextInOrder(cep::v1::Transaction& out) {
  constexpr int64_t kNever = std::numeric_limits<int64_t>::max();
  for (;;) {
    const int64_t genuine_ms = genuine_ns_ / kNsPerMs;
    const int64_t scenario_ms = scenario_gap_ns_ != 0 ? scenario_ns_ / kNsPerMs : kNever;
    const int64_t pending_ms = pending_.empty() ? kNever : pending_.front().ts_ms;
    if (scenario_ms <= genuine_ms && scenario_ms <= pending_ms) {
      StartScenario();
      continue;
    }
    if (pending_ms <= genuine_ms) {
      std::pop_heap(pending_.begin(), pending_.end(), Later<Pending>);
      out.Swap(pending_.back().event.get());
      pending_.pop_back();
      break;
    }
    if (IsBusy(genuine_account_, genuine_ms, true)) {
      AdvanceGenuine();
      continue;
    }
    FillGenuine(out);
    AdvanceGenuine();
    break;
  }
  gen::SetNumbered(out.mutable_id(), "t", made_++);
  if ((made_ & 0xFFFF) == 0 && busy_.size() > 256) {
    const int64_t now = out.ts_ms();
    std::erase_if(busy_, [now](const auto& entry) { return entry.second.busy_until < now; });
  }
}

void TransactionGenerator::AdvanceGenuine() {
  for (;;) {
    genuine_ns_ += ExpGap(*random_, candidate_gap_ns_);
    genuine_account_ = random_->Below(options_.accounts);
    const City& home = world_->HomeOf(world_->AccountAt(genuine_account_));
    const int64_t utc_hour = (genuine_ns_ / kNsPerMs / kMsPerHour) % 24;
    const int64_t local_hour = (utc_hour + home.utc_offset_hours + 24) % 24;
    if (random_->Below(16) < kDiurnal[local_hour]) return;
  }
}

bool TransactionGenerator::IsBusy(uint32_t account, int64_t now_ms, bool quiet_only) {
  if (busy_.empty()) return false;
  const auto it = busy_.find(account);
  if (it == busy_.end()) return false;
  return now_ms < (quiet_only ? it->second.quiet_until : it->second.busy_until);
}

void TransactionGenerator::Push(std::unique_ptr<cep::v1::Transaction> event) {
  const int64_t ts = event->ts_ms();
  pending_.push_back({ts, pending_seq_++, std::move(event)});
  std::push_heap(pending_.begin(), pending_.end(), Later<Pending>);
}

void TransactionGenerator::StartScenario() {
  const int64_t now_ms = scenario_ns_ / kNsPerMs;
  scenario_ns_ += std::max<int64_t>(1, ExpGap(*random_, scenario_gap_ns_));
  const uint32_t index = scenarios_[next_scenario_];
  next_scenario_ = (next_scenario_ + 1) % static_cast<uint32_t>(scenarios_.size());
  const gen::Scenario& scenario = gen::Scenarios()[index];

  // Victims: accounts in no other incident (a few tries; a crowded small
  // population skips the incident rather than overlap two).
  const uint32_t wanted =
      scenario.min_victims + random_->Below(scenario.max_victims - scenario.min_victims + 1);
  std::vector<Account> victims;
  for (uint32_t tries = 0; victims.size() < wanted && tries < 16 * wanted; ++tries) {
    const uint32_t candidate = random_->Below(options_.accounts);
    const bool taken = std::any_of(victims.begin(), victims.end(),
                                   [&](const Account& a) { return a.index == candidate; });
    if (!taken && !IsBusy(candidate, now_ms, false)) victims.push_back(world_->AccountAt(candidate));
  }
  if (victims.size() < wanted) return;

  const uint32_t fraudster_ip = gen::PublicIp(random_->Bits());
  gen::ScenarioRun run{*world_, *random_, now_ms,   instances_++, fraudster_ip,
                       scenario.name, victims, scratch_};
  scenario.build(run);
  int64_t last_ms = now_ms;
  for (auto& event : scratch_) {
    last_ms = std::max(last_ms, event->ts_ms());
    Push(std::move(event));
  }
  scratch_.clear();
  for (const Account& victim : victims) {
    Busy& busy = busy_[victim.index];
    busy.busy_until = std::max(busy.busy_until, last_ms + gen::kBusyAfterMs);
    if (scenario.quiet_after_ms > 0) {
      busy.busy_until = std::max(busy.busy_until, last_ms + scenario.quiet_after_ms);
      busy.quiet_until = std::max(busy.quiet_until, last_ms + scenario.quiet_after_ms);
    }
  }
  ++incidents_[index];
}

void TransactionGenerator::FillGenuine(cep::v1::Transaction& out) {
  gen::Random& random = *random_;
  const Account account = world_->AccountAt(genuine_account_);
  const City& home = world_->HomeOf(account);
  const int64_t ts = genuine_ns_ / kNsPerMs;
  out.Clear();
  gen::SetAccountFields(out, *world_, account, ts, false);
  const uint32_t card = random.Below(account.cards);
  const uint32_t roll = random.Below(1000);
  if (roll >= kRefund) {
    gen::SetText(out.mutable_kind(), "purchase");
    FillPurchase(out, card);
    return;
  }
  if (roll >= kWithdrawal) {
    gen::SetText(out.mutable_kind(), "refund");
    FillPurchase(out, card);
    out.set_amount_micros(out.amount_micros() / 2 / 10'000 * 10'000);
    return;
  }
  gen::SetText(out.mutable_country(), home.country);
  if (roll < kPasswordReset) {
    gen::SetOwnDevice(out, account, random.Below(account.devices));
    if (roll < kLogin) {
      gen::SetText(out.mutable_kind(), "login");
      return;
    }
    // A holder who forgot their password verifies the reset minutes later.
    gen::SetText(out.mutable_kind(), "password_reset");
    auto verification = std::make_unique<cep::v1::Transaction>(out);
    const int64_t verified = ts + random.Between(30, 600) * 1000;
    verification->set_ts_ms(verified);
    gen::SetText(verification->mutable_kind(), "verification");
    Push(std::move(verification));
    // Until then the holder is busy verifying: no transfer lands between the
    // reset and its verification (account_takeover.rules would call it a takeover).
    Busy& busy = busy_[account.index];
    busy.busy_until = std::max(busy.busy_until, verified + 60'000);
    busy.quiet_until = std::max(busy.quiet_until, verified + 1);
    return;
  }
  if (roll < kTransfer) {
    gen::SetOwnDevice(out, account, random.Below(account.devices));
    gen::SetText(out.mutable_kind(), "transfer");
    gen::SetText(out.mutable_channel(), "ecom");
    gen::SetAmountCents(out, gen::LogNormalCents(random, 25'000, 80, 1'000, 800'000));
    return;
  }
  // Cash at the ATM near home: deposits, or withdrawals of 20..400.
  const bool deposit = roll < kDeposit;
  gen::SetText(out.mutable_kind(), deposit ? "deposit" : "withdrawal");
  gen::SetText(out.mutable_channel(), "atm");
  out.set_mcc(6011);
  if (!deposit) gen::SetCard(out, account, card);
  gen::SetNumbered(out.mutable_terminal_id(), "ATM", account.city);
  out.set_lat(gen::Jitter(random, account.lat, 300));
  out.set_lon(gen::Jitter(random, account.lon, 300));
  gen::SetAmountCents(out, deposit ? gen::LogNormalCents(random, 40'000, 72, 2'000, 800'000)
                                   : 2'000 * random.Between(1, 20));
}

void TransactionGenerator::FillPurchase(cep::v1::Transaction& out, uint32_t card) {
  gen::Random& random = *random_;
  const Account account = world_->AccountAt(genuine_account_);
  const City& home = world_->HomeOf(account);
  const Category& category = PickCategory(random, account);
  const uint32_t merchant = random.Below(static_cast<uint32_t>(category.merchants.size()));
  gen::SetCard(out, account, card);
  gen::SetText(out.mutable_merchant(), category.merchants[merchant]);
  out.set_mcc(category.mcc);
  gen::SetAmountCents(out, gen::LogNormalCents(random, category.median_cents, category.sigma64,
                                               category.min_cents, category.max_cents));
  if (random.Below(100) < category.pos_percent) {
    gen::SetText(out.mutable_country(), home.country);
    gen::SetCardPresent(out, account.city,
                        static_cast<uint32_t>(&category - gen::Categories().data()) * 16 + merchant,
                        gen::Jitter(random, account.lat, 300), gen::Jitter(random, account.lon, 300));
    return;
  }
  gen::SetText(out.mutable_channel(), "ecom");
  gen::SetOwnDevice(out, account, random.Below(account.devices));
  // Some buy online from a shop abroad, always the same country (and never over
  // 2,000), so genuine cards stay clear of velocity.rules' many_countries_1d and
  // hourly_foreign_spend.
  const bool foreign = category.mcc == 5999 && account.abroad >= 0 && random.Below(100) < 30;
  gen::SetText(out.mutable_country(),
               foreign ? gen::OnlineMerchantCountries()[static_cast<size_t>(account.abroad)]
                       : home.country);
}

}  // namespace engine
