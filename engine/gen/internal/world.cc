#include "engine/gen/internal/world.h"

#include <array>
#include <charconv>

#include "cep/base/check.h"

namespace engine::gen {
namespace {

constexpr City kCities[] = {
    // Home cities.
    {"US", "USD", 40.7128, -74.0060, -5, 14},  // New York
    {"US", "USD", 34.0522, -118.2437, -8, 10},  // Los Angeles
    {"US", "USD", 41.8781, -87.6298, -6, 8},    // Chicago
    {"US", "USD", 29.7604, -95.3698, -6, 6},    // Houston
    {"CA", "CAD", 43.6532, -79.3832, -5, 5},    // Toronto
    {"GB", "GBP", 51.5074, -0.1278, 0, 10},     // London
    {"GB", "GBP", 53.4808, -2.2426, 0, 4},      // Manchester
    {"DE", "EUR", 52.5200, 13.4050, 1, 6},      // Berlin
    {"DE", "EUR", 48.1351, 11.5820, 1, 5},      // Munich
    {"FR", "EUR", 48.8566, 2.3522, 1, 8},       // Paris
    {"FR", "EUR", 45.7640, 4.8357, 1, 3},       // Lyon
    {"ES", "EUR", 40.4168, -3.7038, 1, 5},      // Madrid
    {"IT", "EUR", 45.4642, 9.1900, 1, 5},       // Milan
    {"NL", "EUR", 52.3676, 4.9041, 1, 4},       // Amsterdam
    {"IE", "EUR", 53.3498, -6.2603, 0, 3},      // Dublin
    {"AU", "AUD", -33.8688, 151.2093, 10, 4},   // Sydney
    // Fraud locations only: each over 1,000 km from every home city.
    {"RO", "RON", 44.4268, 26.1025, 2, 0},     // Bucharest
    {"NG", "NGN", 6.5244, 3.3792, 1, 0},       // Lagos
    {"BR", "BRL", -23.5505, -46.6333, -3, 0},  // Sao Paulo
    {"IN", "INR", 19.0760, 72.8777, 5, 0},     // Mumbai
    {"ID", "IDR", -6.2088, 106.8456, 7, 0},    // Jakarta
    {"PH", "PHP", 14.5995, 120.9842, 8, 0},    // Manila
    {"MX", "MXN", 19.4326, -99.1332, -6, 0},   // Mexico City
    {"TR", "TRY", 41.0082, 28.9784, 3, 0},     // Istanbul
    {"VN", "VND", 10.8231, 106.6297, 7, 0},    // Ho Chi Minh City
};
constexpr uint32_t kFraudCities[] = {16, 17, 18, 19, 20, 21, 22, 23, 24};

// Merchant names are checked by tests: no genuine name outside gambling may match
// gambling.rules' /casino|poker|bet(ting)?|lotto/i ("Alphabet" would).
constexpr std::string_view kGrocery[] = {"FreshMart", "Daily Greens", "Corner Grocer",
                                         "Harvest Foods", "Value Market"};
constexpr std::string_view kFuel[] = {"QuickFuel", "Roadstar Petrol", "Northway Gas"};
constexpr std::string_view kRestaurants[] = {"Trattoria Roma", "The Golden Fork", "Noodle House",
                                             "Grill & Co", "Blue Olive"};
constexpr std::string_view kFastFood[] = {"Bean There Coffee", "Daily Grind", "Burger Point",
                                          "Taco Corner"};
constexpr std::string_view kPharmacy[] = {"CityPharm", "WellCare Pharmacy"};
constexpr std::string_view kOnline[] = {"ShopHub Online", "Parcel Express Store", "eMart Direct",
                                        "Bookworm Online", "StreamFlix"};
constexpr std::string_view kClothing[] = {"Urban Threads", "Denim & Co"};
constexpr std::string_view kElectronics[] = {"Volt Electronics", "PixelPoint", "GadgetWorld"};
constexpr std::string_view kJewellery[] = {"Golden Carat Jewellers", "Silverline Jewelry"};
constexpr std::string_view kRemittance[] = {"GlobalRemit", "SendHome Money Transfer"};
constexpr std::string_view kGambling[] = {"Lucky Star Casino", "Ace Poker Room", "BetKing Sports",
                                          "National Lotto"};

constexpr Category kCategories[] = {
    // label, mcc, weight, merchants, median, sigma64, min, max, pos%, gamblers only
    {"grocery", 5411, 260, kGrocery, 3800, 64, 150, 40000, 97, false},
    {"fuel", 5541, 110, kFuel, 5200, 40, 500, 20000, 100, false},
    {"restaurants", 5812, 170, kRestaurants, 3200, 64, 400, 60000, 90, false},
    {"fast_food", 5814, 100, kFastFood, 900, 48, 180, 6000, 100, false},
    {"pharmacy", 5912, 50, kPharmacy, 2200, 56, 300, 30000, 95, false},
    {"online", 5999, 190, kOnline, 4500, 72, 100, 200000, 0, false},
    {"clothing", 5651, 30, kClothing, 6000, 64, 500, 100000, 70, false},
    {"electronics", 5732, 50, kElectronics, 18000, 72, 1000, 400000, 50, false},
    {"jewellery", 5944, 10, kJewellery, 30000, 80, 2000, 600000, 100, false},
    {"money_transfer", 4829, 10, kRemittance, 15000, 64, 1000, 150000, 40, false},
    {"gambling", 7995, 20, kGambling, 3000, 56, 500, 40000, 50, true},
};

constexpr std::string_view kOnlineMerchantCountries[] = {"US", "GB", "IE", "NL", "DE", "LU", "CN"};

// 2^(i/64) in Q30, i = 0..64.
constexpr int64_t kPow2Q30[65] = {
    1073741824, 1085434106, 1097253708, 1109202018, 1121280436, 1133490379, 1145833280,
    1158310587, 1170923762, 1183674286, 1196563654, 1209593378, 1222764986, 1236080024,
    1249540052, 1263146652, 1276901417, 1290805962, 1304861917, 1319070932, 1333434672,
    1347954824, 1362633090, 1377471191, 1392470869, 1407633882, 1422962010, 1438457051,
    1454120821, 1469955159, 1485961921, 1502142985, 1518500250, 1535035634, 1551751076,
    1568648537, 1585730000, 1602997467, 1620452965, 1638098541, 1655936265, 1673968228,
    1692196547, 1710623359, 1729250827, 1748081133, 1767116489, 1786359126, 1805811301,
    1825475297, 1845353420, 1865448001, 1885761398, 1906295993, 1927054196, 1948038440,
    1969251188, 1990694927, 2012372174, 2034285470, 2056437387, 2078830522, 2101467502,
    2124350982, 2147483648};

}  // namespace

std::span<const City> Cities() { return kCities; }
std::span<const uint32_t> FraudCities() { return kFraudCities; }
std::span<const Category> Categories() { return kCategories; }
std::span<const std::string_view> OnlineMerchantCountries() { return kOnlineMerchantCountries; }

int64_t LogNormalCents(Random& random, int64_t median_cents, int64_t sigma64, int64_t min_cents,
                       int64_t max_cents) {
  const uint32_t fraction = random.Below(1 << 16);  // interpolates between table steps
  const int64_t steps = random.Normal() * sigma64 / Random::kNormalSd;  // 1/64 octaves
  const int64_t octaves = steps >> 6;                                   // floor
  const int64_t i = steps & 63;
  const int64_t factor =
      kPow2Q30[i] + (((kPow2Q30[i + 1] - kPow2Q30[i]) * static_cast<int64_t>(fraction)) >> 16);
  int64_t cents = (median_cents * factor) >> 30;
  if (octaves > 0) cents <<= octaves;
  if (octaves < 0) cents >>= -octaves;
  return cents < min_cents ? min_cents : cents > max_cents ? max_cents : cents;
}

World::World(uint64_t seed, uint32_t accounts) : seed_(seed), accounts_(accounts) {
  CHECK(accounts > 0, "a world needs at least one account");
  for (const City& city : kCities) home_weight_total_ += city.home_weight;
}

Account World::AccountAt(uint32_t index) const {
  const uint64_t h = Mix(seed_ ^ Mix(index));
  const uint64_t h2 = Mix(h);
  Account a;
  a.index = index;
  uint32_t pick = static_cast<uint32_t>((h & 0xFFFF) * home_weight_total_ >> 16);
  for (uint32_t c = 0; c < std::size(kCities); ++c) {
    if (pick < kCities[c].home_weight) {
      a.city = c;
      break;
    }
    pick -= kCities[c].home_weight;
  }
  a.cards = ((h >> 16) & 0xFF) < 102 ? 2 : 1;    // 40%
  a.devices = ((h >> 24) & 0xFF) < 77 ? 2 : 1;   // 30%
  a.gambler = ((h >> 32) & 0xFF) < 20;           // 8%
  const City& home = kCities[a.city];
  a.lat = home.lat + static_cast<double>(static_cast<int64_t>((h >> 40) % 1601) - 800) / 10000.0;
  a.lon = home.lon + static_cast<double>(static_cast<int64_t>((h2 >> 40) % 1601) - 800) / 10000.0;
  a.ip = PublicIp(h2);
  if (((h2 >> 8) & 0xFF) < 77) {  // 30%
    a.abroad = static_cast<int32_t>((h2 >> 16) % std::size(kOnlineMerchantCountries));
  }
  return a;
}

void SetText(std::string* field, std::string_view text) { field->assign(text.data(), text.size()); }

void SetNumbered(std::string* field, std::string_view prefix, uint64_t n) {
  std::array<char, 32> buffer;
  const size_t p = prefix.copy(buffer.data(), 8);
  const auto end = std::to_chars(buffer.data() + p, buffer.data() + buffer.size(), n).ptr;
  field->assign(buffer.data(), static_cast<size_t>(end - buffer.data()));
}

void SetIp(std::string* field, uint32_t ip) {
  std::array<char, 16> buffer;
  char* out = buffer.data();
  for (int shift = 24; shift >= 0; shift -= 8) {
    out = std::to_chars(out, buffer.data() + buffer.size(), (ip >> shift) & 0xFF).ptr;
    if (shift > 0) *out++ = '.';
  }
  field->assign(buffer.data(), static_cast<size_t>(out - buffer.data()));
}

uint32_t PublicIp(uint64_t bits) {
  uint32_t first = 11 + static_cast<uint32_t>(bits % 213);  // 11..223
  if (first == 127) first = 128;
  return (first << 24) | (static_cast<uint32_t>(bits >> 8) & 0xFFFFFF);
}

void SetAccountFields(cep::v1::Transaction& tx, const World& world, const Account& account,
                      int64_t ts_ms, bool fraud) {
  const City& home = world.HomeOf(account);
  SetNumbered(tx.mutable_account_id(), "a", account.index);
  SetText(tx.mutable_home_country(), home.country);
  SetText(tx.mutable_currency(), home.currency);
  tx.set_ts_ms(ts_ms);
  tx.set_label(fraud ? 1 : 0);
}

void SetCard(cep::v1::Transaction& tx, const Account& account, uint32_t card) {
  SetNumbered(tx.mutable_card_id(), "c", uint64_t{2} * account.index + card);
}

void SetOwnDevice(cep::v1::Transaction& tx, const Account& account, uint32_t device) {
  SetNumbered(tx.mutable_device_id(), "d", uint64_t{2} * account.index + device);
  SetIp(tx.mutable_ip(), account.ip);
}

void SetCardPresent(cep::v1::Transaction& tx, uint32_t city, uint32_t merchant, double lat,
                    double lon) {
  SetText(tx.mutable_channel(), "pos");
  std::array<char, 32> buffer;
  buffer[0] = 'T';
  char* out = std::to_chars(buffer.data() + 1, buffer.data() + buffer.size(), city).ptr;
  *out++ = '-';
  out = std::to_chars(out, buffer.data() + buffer.size(), merchant).ptr;
  tx.mutable_terminal_id()->assign(buffer.data(), static_cast<size_t>(out - buffer.data()));
  tx.set_lat(lat);
  tx.set_lon(lon);
}

void SetAmountCents(cep::v1::Transaction& tx, int64_t cents) { tx.set_amount_micros(cents * 10'000); }

double Jitter(Random& random, double degrees, uint32_t spread) {
  return degrees +
         static_cast<double>(static_cast<int64_t>(random.Below(2 * spread + 1)) -
                             static_cast<int64_t>(spread)) /
             10000.0;
}

}  // namespace engine::gen
