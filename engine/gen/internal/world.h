#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <string_view>

#include "api/proto/transaction.pb.h"
#include "engine/gen/internal/random.h"

namespace engine::gen {

// A place events happen. Home cities (home_weight > 0) are where account holders
// live; the others (home_weight 0) are only ever fraud locations, each more than
// 1,000 km from every home city, so a card present in one of them and at home
// within an hour is always "impossible travel" (> 500 km/h).
struct City {
  std::string_view country;   // ISO 3166-1 alpha-2
  std::string_view currency;  // the card's billing currency for accounts living here
  double lat;
  double lon;
  int32_t utc_offset_hours;  // for the diurnal rhythm (no daylight saving)
  uint32_t home_weight;
};
std::span<const City> Cities();
// Indices into Cities() of the fraud-only locations.
std::span<const uint32_t> FraudCities();

// A merchant category: its MCC, its merchants and how much people spend there.
struct Category {
  std::string_view label;  // for documentation and tests: "grocery", "fuel", ...
  int32_t mcc;
  uint32_t weight;  // share of genuine purchases, per mille
  std::span<const std::string_view> merchants;
  int64_t median_cents;
  int64_t sigma64;  // log-normal spread in 1/64 octaves
  int64_t min_cents;
  int64_t max_cents;
  uint32_t pos_percent;  // the rest are card-not-present ("ecom")
  bool gamblers_only;    // only accounts with the gambler trait shop here
};
std::span<const Category> Categories();
// Countries of foreign online merchants that genuine customers buy from.
std::span<const std::string_view> OnlineMerchantCountries();

// One account holder. Derived from (seed, index) on demand, never stored, so a
// population of any size costs no memory and no start-up time.
struct Account {
  uint32_t index = 0;
  uint32_t city = 0;  // into Cities()
  double lat = 0;     // where they live (near the city centre)
  double lon = 0;
  uint32_t cards = 1;    // 1 or 2: cards "c<2*index>" and "c<2*index+1>"
  uint32_t devices = 1;  // 1 or 2: devices "d<2*index>" and "d<2*index+1>"
  uint32_t ip = 0;       // their usual IPv4 address
  bool gambler = false;
  // Index into OnlineMerchantCountries() of the one country abroad they buy
  // online from, or -1 (70% of holders): genuine cards see at most two countries.
  int32_t abroad = -1;
};

// The population of a generated stream. Threading: immutable after
// construction, safe to share.
class World {
 public:
  World(uint64_t seed, uint32_t accounts);

  uint32_t accounts() const { return accounts_; }
  Account AccountAt(uint32_t index) const;
  const City& HomeOf(const Account& account) const { return Cities()[account.city]; }

 private:
  uint64_t seed_;
  uint32_t accounts_;
  uint32_t home_weight_total_ = 0;
};

// Field writers that reuse the message's string capacity: no allocation once a
// reused message is warm.
void SetText(std::string* field, std::string_view text);
// "<prefix><n>", e.g. "a42".
void SetNumbered(std::string* field, std::string_view prefix, uint64_t n);
// Dotted quad.
void SetIp(std::string* field, uint32_t ip);
// A public-looking IPv4 address from random bits (first octet 11..223, not 127).
uint32_t PublicIp(uint64_t bits);

// Sets the fields every event of `account` carries: account_id, home_country,
// currency, ts_ms and label (0 genuine, 1 fraud).
void SetAccountFields(cep::v1::Transaction& tx, const World& world, const Account& account,
                      int64_t ts_ms, bool fraud);
void SetCard(cep::v1::Transaction& tx, const Account& account, uint32_t card);
void SetOwnDevice(cep::v1::Transaction& tx, const Account& account, uint32_t device);
// Card present at a point: channel "pos", terminal, lat/lon.
void SetCardPresent(cep::v1::Transaction& tx, uint32_t city, uint32_t merchant, double lat,
                    double lon);
void SetAmountCents(cep::v1::Transaction& tx, int64_t cents);
// A point near (lat, lon): up to `spread` ten-thousandths of a degree off each way.
double Jitter(Random& random, double degrees, uint32_t spread);

}  // namespace engine::gen
