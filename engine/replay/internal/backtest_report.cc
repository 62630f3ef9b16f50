#include "engine/replay/internal/backtest_report.h"

#include <cstdio>
#include <iterator>

#include <nlohmann/json.hpp>

namespace engine::html {
namespace {

// ordered_json: a sweep's parameters and values keep the order the report gives.
using Json = nlohmann::ordered_json;

// Okabe-Ito: told apart with the common colour blindnesses; yellow is left out
// (unreadable on white). More rules than colours repeat them.
constexpr const char* kPalette[] = {"#0072B2", "#E69F00", "#009E73", "#CC79A7",
                                    "#56B4E9", "#D55E00", "#8C6D31", "#7F7F7F"};

// Getters that never throw: a missing field or one of another type is absent.
const Json* Find(const Json& j, const char* key) {
  if (!j.is_object()) return nullptr;
  auto it = j.find(key);
  return it == j.end() ? nullptr : &*it;
}

std::optional<double> OptNum(const Json& j, const char* key) {
  const Json* v = Find(j, key);
  if (v == nullptr || !v->is_number()) return std::nullopt;
  return v->get<double>();
}

double Num(const Json& j, const char* key) { return OptNum(j, key).value_or(0.0); }

// A string as it is, a number or bool as JSON text, anything else "".
std::string Text(const Json& v) {
  if (v.is_string()) return v.get<std::string>();
  if (v.is_number() || v.is_boolean()) return v.dump();
  return "";
}

std::string Text(const Json& j, const char* key) {
  const Json* v = Find(j, key);
  return v == nullptr ? "" : Text(*v);
}

Pairs TextPairs(const Json* object) {
  Pairs out;
  if (object == nullptr || !object->is_object()) return out;
  for (auto it = object->begin(); it != object->end(); ++it) out.emplace_back(it.key(), Text(*it));
  return out;
}

// H. Hinnant's days_from_civil (proleptic Gregorian).
int64_t DaysFromCivil(int64_t y, int64_t m, int64_t d) {
  y -= m <= 2 ? 1 : 0;
  const int64_t era = (y >= 0 ? y : y - 399) / 400;
  const int64_t yoe = y - era * 400;
  const int64_t doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
  const int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + doe - 719468;
}

Days ReadDays(const Json* object) {
  Days days;
  if (object == nullptr || !object->is_object()) return days;
  for (auto it = object->begin(); it != object->end(); ++it) {
    std::optional<int64_t> day = ParseDay(it.key());
    if (day && it->is_number()) days[*day] += it->get<double>();
  }
  return days;
}

Score ReadScore(const Json& j) {
  Score s{.true_positives = Num(j, "true_positives"),
          .false_positives = Num(j, "false_positives"),
          .precision = Num(j, "precision"),
          .recall = Num(j, "recall"),
          .f1 = Num(j, "f1"),
          .caught_alone = OptNum(j, "caught_alone"),
          .ttd = {}};
  if (const Json* t = Find(j, "time_to_detect"); t != nullptr) {
    s.ttd.keys_with_fraud = Num(*t, "keys_with_fraud");
    s.ttd.keys_detected = Num(*t, "keys_detected");
    s.ttd.median_ms = Num(*t, "median_ms");
    s.ttd.p90_ms = Num(*t, "p90_ms");
    if (const Json* h = Find(*t, "histogram"); h != nullptr && h->is_array()) {
      for (const Json& b : *h) s.ttd.histogram.push_back({OptNum(b, "le_ms"), Num(b, "keys")});
    }
  }
  return s;
}

void ReadRules(const Json& rules, Report& r) {
  size_t i = 0;
  for (const Json& rule : rules) {
    RuleFigures f{.name = Text(rule, "rule"),
                  .alerts = Num(rule, "alerts"),
                  .per_1000 = Num(rule, "alerts_per_1000_events"),
                  .per_day = Num(rule, "alerts_per_day_mean"),
                  .by_day = ReadDays(Find(rule, "alerts_per_day")),
                  .score = std::nullopt,
                  .color = kPalette[i++ % std::size(kPalette)]};
    if (const Json* labels = Find(rule, "labels"); labels != nullptr && r.has_labels()) {
      f.score = ReadScore(*labels);
    }
    r.rules.push_back(std::move(f));
  }
}

void ReadSweep(const Json& j, Report& r) {
  const Json* sweep = Find(j, "sweep");
  if (sweep == nullptr) return;
  if (const Json* p = Find(*sweep, "parameters"); p != nullptr && p->is_array()) {
    for (const Json& name : *p) r.parameters.push_back(Text(name));
  }
  r.sweep_seconds = OptNum(*sweep, "seconds");
  const Json* variants = Find(*sweep, "variants");
  if (variants == nullptr || !variants->is_array()) return;
  for (const Json& v : *variants) {
    Variant out{.set = TextPairs(Find(v, "set")),
                .alerts = Num(v, "alerts"),
                .per_day = Num(v, "alerts_per_day_mean"),
                .precision = OptNum(v, "precision"),
                .recall = OptNum(v, "recall"),
                .f1 = OptNum(v, "f1"),
                .pareto = false,
                .selected = false};
    if (const Json* p = Find(v, "pareto"); p != nullptr && p->is_boolean()) {
      out.pareto = p->get<bool>();
    }
    out.selected = !r.selected.empty() && out.set == r.selected;
    r.variants.push_back(std::move(out));
  }
  // Parameters missing from the report: take them from the first variant.
  if (r.parameters.empty() && !r.variants.empty()) {
    for (const auto& [name, value] : r.variants.front().set) r.parameters.push_back(name);
  }
}

void ReadCompare(const Json& j, Report& r) {
  const Json* c = Find(j, "compare");
  if (c == nullptr || !c->is_object()) return;
  r.compare_with = Text(*c, "ruleset") + " v" + Text(*c, "version");
  if (const Json* rows = Find(*c, "rules"); rows != nullptr && rows->is_array()) {
    for (const Json& row : *rows) {
      r.compare.push_back({Text(row, "rule"), Num(row, "alerts"), Num(row, "alerts_compared"),
                           Num(row, "both"), Num(row, "added"), Num(row, "removed")});
    }
  }
}

void ReadTopLevel(const Json& j, Report& r) {
  r.ruleset = Text(j, "ruleset");
  r.version = Text(j, "version");
  r.input = Text(j, "input");
  r.events = Num(j, "events");
  r.rejected = Num(j, "rejected");
  r.late = Num(j, "late");
  r.alerts = Num(j, "alerts");
  r.days = Num(j, "days");
  r.per_day_mean = Num(j, "alerts_per_day_mean");
  r.seconds = OptNum(j, "seconds");
  r.by_day = ReadDays(Find(j, "alerts_per_day"));
  if (const Json* period = Find(j, "score_period"); period != nullptr) {
    r.score_from = Text(*period, "from");
    r.score_to = Text(*period, "to");
  }
  if (const Json* set = Find(j, "set"); set != nullptr && set->is_array()) {
    for (const Json& s : *set) r.set.push_back(Text(s));
  }
  r.selected = TextPairs(Find(j, "selected"));
  if (const Json* labels = Find(j, "labels"); labels != nullptr && labels->is_object()) {
    r.label_field = Text(*labels, "field");
    r.label_scope = Text(*labels, "scope");
    r.fraud_events = Num(*labels, "fraud_events");
    const Json* overall = Find(*labels, "overall");
    r.overall = ReadScore(overall != nullptr ? *overall : Json::object());
  }
}

}  // namespace

Civil CivilFromDays(int64_t z) {
  z += 719468;
  const int64_t era = (z >= 0 ? z : z - 146096) / 146097;
  const int64_t doe = z - era * 146097;
  const int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  const int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  const int64_t mp = (5 * doy + 2) / 153;
  const int64_t d = doy - (153 * mp + 2) / 5 + 1;
  const int64_t m = mp < 10 ? mp + 3 : mp - 9;
  return {yoe + era * 400 + (m <= 2 ? 1 : 0), m, d};
}

std::optional<int64_t> ParseDay(std::string_view s) {
  if (s.size() < 10 || s[4] != '-' || s[7] != '-') return std::nullopt;
  int64_t parts[3] = {0, 0, 0};
  const size_t begin[3] = {0, 5, 8};
  const size_t length[3] = {4, 2, 2};
  for (size_t p = 0; p < 3; ++p) {
    for (size_t i = begin[p]; i < begin[p] + length[p]; ++i) {
      if (s[i] < '0' || s[i] > '9') return std::nullopt;
      parts[p] = parts[p] * 10 + (s[i] - '0');
    }
  }
  if (parts[1] < 1 || parts[1] > 12 || parts[2] < 1 || parts[2] > 31) return std::nullopt;
  return DaysFromCivil(parts[0], parts[1], parts[2]);
}

std::string DayText(int64_t days) {
  const Civil c = CivilFromDays(days);
  char buf[72];  // room for three 20-digit numbers: no -Wformat-truncation
  std::snprintf(buf, sizeof buf, "%04lld-%02lld-%02lld", static_cast<long long>(c.year),
                static_cast<long long>(c.month), static_cast<long long>(c.day));
  return buf;
}

cep::Result<Report> ReadBacktestReport(std::string_view text) {
  // The getters above check every type; the catch turns anything they missed
  // into an error, as every call into a throwing library must (STYLE.md §3).
  try {
    const Json j = Json::parse(text, nullptr, /*allow_exceptions=*/false);
    if (j.is_discarded()) return cep::InvalidArgument("the report is not valid JSON");
    const Json* rules = Find(j, "rules");
    if (!j.is_object() || Find(j, "ruleset") == nullptr || rules == nullptr || !rules->is_array()) {
      return cep::InvalidArgument(
          "not a cep replay report: it needs \"ruleset\" and a \"rules\" array");
    }
    Report r;
    ReadTopLevel(j, r);
    ReadRules(*rules, r);
    ReadSweep(j, r);
    ReadCompare(j, r);
    return r;
  } catch (const nlohmann::json::exception& e) {
    return cep::InvalidArgument(std::string("cannot read the report: ") + e.what());
  }
}

}  // namespace engine::html
