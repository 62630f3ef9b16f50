#include "tests/api/metrics/exposition_parser.h"

#include <charconv>
#include <cmath>
#include <limits>
#include <set>
#include <utility>

#include "cep/base/status.h"

namespace api::metrics::test {
namespace {

bool IsLetter(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); }
bool IsDigit(char c) { return c >= '0' && c <= '9'; }

bool IsMetricName(std::string_view s) {
  if (s.empty()) return false;
  for (size_t i = 0; i < s.size(); ++i) {
    if (!(IsLetter(s[i]) || s[i] == '_' || s[i] == ':' || (i > 0 && IsDigit(s[i])))) return false;
  }
  return true;
}

bool IsLabelName(std::string_view s) {
  if (s.empty() || s.starts_with("__")) return false;
  for (size_t i = 0; i < s.size(); ++i) {
    if (!(IsLetter(s[i]) || s[i] == '_' || (i > 0 && IsDigit(s[i])))) return false;
  }
  return true;
}

cep::Status Error(size_t line_number, std::string_view what) {
  return cep::InvalidArgument("line " + std::to_string(line_number) + ": " + std::string(what));
}

// Decimal numbers as Go's ParseFloat reads them (no hex, no underscores), or +Inf, -Inf, NaN.
std::optional<double> ParseValue(std::string_view s) {
  if (s == "+Inf") return std::numeric_limits<double>::infinity();
  if (s == "-Inf") return -std::numeric_limits<double>::infinity();
  if (s == "NaN") return std::numeric_limits<double>::quiet_NaN();
  std::string_view rest = s;
  if (!rest.empty() && (rest[0] == '+' || rest[0] == '-')) rest.remove_prefix(1);
  size_t i = 0, digits = 0;
  while (i < rest.size() && IsDigit(rest[i])) ++i, ++digits;
  if (i < rest.size() && rest[i] == '.') {
    ++i;
    while (i < rest.size() && IsDigit(rest[i])) ++i, ++digits;
  }
  if (digits == 0) return std::nullopt;
  if (i < rest.size() && (rest[i] == 'e' || rest[i] == 'E')) {
    ++i;
    if (i < rest.size() && (rest[i] == '+' || rest[i] == '-')) ++i;
    const size_t exponent_start = i;
    while (i < rest.size() && IsDigit(rest[i])) ++i;
    if (i == exponent_start) return std::nullopt;
  }
  if (i != rest.size()) return std::nullopt;
  double value = 0;
  const char* begin = s.data() + (s[0] == '+' ? 1 : 0);  // from_chars takes no '+'
  auto [end, ec] = std::from_chars(begin, s.data() + s.size(), value);
  if (ec != std::errc() || end != s.data() + s.size()) return std::nullopt;
  return value;
}

// The family a sample name belongs to, given the declared types.
std::string FamilyOf(const std::string& sample, const std::map<std::string, std::string>& types) {
  for (std::string_view suffix : {"_bucket", "_sum", "_count"}) {
    if (sample.size() > suffix.size() && sample.ends_with(suffix)) {
      std::string base = sample.substr(0, sample.size() - suffix.size());
      auto it = types.find(base);
      if (it != types.end() && (it->second == "histogram" || it->second == "summary")) return base;
    }
  }
  return sample;
}

// `{a="x",b="y"}` from `pos` (at '{'); leaves `pos` after '}'.
cep::Result<std::map<std::string, std::string>> ParseLabels(std::string_view line, size_t& pos,
                                                            size_t n) {
  std::map<std::string, std::string> labels;
  ++pos;  // '{'
  while (true) {
    if (pos < line.size() && line[pos] == '}') {
      ++pos;
      return labels;
    }
    const size_t name_start = pos;
    while (pos < line.size() && line[pos] != '=') ++pos;
    const std::string name(line.substr(name_start, pos - name_start));
    if (!IsLabelName(name)) return Error(n, "bad label name '" + name + "'");
    if (pos + 1 >= line.size() || line[pos + 1] != '"') return Error(n, "label value not quoted");
    pos += 2;
    std::string value;
    while (true) {
      if (pos >= line.size()) return Error(n, "unterminated label value");
      const char c = line[pos++];
      if (c == '"') break;
      if (c != '\\') {
        value += c;
        continue;
      }
      if (pos >= line.size()) return Error(n, "dangling escape");
      const char e = line[pos++];
      if (e == '\\' || e == '"') {
        value += e;
      } else if (e == 'n') {
        value += '\n';
      } else {
        return Error(n, "bad escape in label value");
      }
    }
    if (!labels.emplace(name, std::move(value)).second) return Error(n, "label twice: " + name);
    if (pos < line.size() && line[pos] == ',') {
      ++pos;
    } else if (pos >= line.size() || line[pos] != '}') {
      return Error(n, "expected ',' or '}' after a label");
    }
  }
}

cep::Result<std::string> UnescapeHelp(std::string_view text, size_t n) {
  std::string out;
  for (size_t i = 0; i < text.size(); ++i) {
    if (text[i] != '\\') {
      out += text[i];
      continue;
    }
    if (++i >= text.size()) return Error(n, "dangling escape in HELP");
    if (text[i] == '\\') {
      out += '\\';
    } else if (text[i] == 'n') {
      out += '\n';
    } else {
      return Error(n, "bad escape in HELP");
    }
  }
  return out;
}

cep::Status CheckHistogram(const ParsedFamily& family) {
  // Per label set without `le`: the buckets in text order, then _count.
  std::map<std::map<std::string, std::string>, std::vector<std::pair<double, double>>> buckets;
  std::map<std::map<std::string, std::string>, double> counts;
  for (const ParsedSample& sample : family.samples) {
    auto labels = sample.labels;
    if (sample.name == family.name + "_bucket") {
      auto le = labels.find("le");
      if (le == labels.end()) return cep::InvalidArgument(family.name + ": bucket without le");
      const std::optional<double> bound = ParseValue(le->second);
      if (!bound) return cep::InvalidArgument(family.name + ": bad le " + le->second);
      labels.erase(le);
      buckets[labels].emplace_back(*bound, sample.value);
    } else if (sample.name == family.name + "_count") {
      counts[labels] = sample.value;
    } else if (sample.labels.contains("le")) {
      return cep::InvalidArgument(family.name + ": le on " + sample.name);
    }
  }
  for (const auto& [labels, series] : buckets) {
    for (size_t i = 1; i < series.size(); ++i) {
      if (!(series[i - 1].first < series[i].first)) {
        return cep::InvalidArgument(family.name + ": le not increasing");
      }
      if (series[i - 1].second > series[i].second) {
        return cep::InvalidArgument(family.name + ": buckets not cumulative");
      }
    }
    if (!std::isinf(series.back().first)) return cep::InvalidArgument(family.name + ": no +Inf");
    auto count = counts.find(labels);
    if (count == counts.end() || count->second != series.back().second) {
      return cep::InvalidArgument(family.name + ": _count differs from the +Inf bucket");
    }
  }
  return cep::Status::Ok();
}

}  // namespace

const ParsedFamily* Exposition::Family(std::string_view name) const {
  for (const ParsedFamily& family : families) {
    if (family.name == name) return &family;
  }
  return nullptr;
}

std::optional<double> Exposition::Value(std::string_view name,
                                        const std::map<std::string, std::string>& labels) const {
  for (const ParsedFamily& family : families) {
    for (const ParsedSample& sample : family.samples) {
      if (sample.name == name && sample.labels == labels) return sample.value;
    }
  }
  return std::nullopt;
}

cep::Result<Exposition> ParseExposition(std::string_view text) {
  if (!text.empty() && text.back() != '\n') return cep::InvalidArgument("no final newline");
  Exposition out;
  std::map<std::string, std::string> types;  // family -> type, as declared
  std::set<std::string> helps, closed, series;
  // The family a line is about (always the last one); opens it, closing the
  // one before, if new.
  auto enter = [&](const std::string& name, size_t n) -> cep::Result<ParsedFamily*> {
    if (!out.families.empty() && out.families.back().name == name) return &out.families.back();
    if (closed.contains(name)) return Error(n, "family " + name + " is not contiguous");
    if (!out.families.empty()) closed.insert(out.families.back().name);
    out.families.push_back({.name = name, .type = "untyped", .help = {}, .samples = {}});
    return &out.families.back();
  };

  size_t n = 0, start = 0;
  while (start < text.size()) {
    const size_t end = text.find('\n', start);
    const std::string_view line = text.substr(start, end - start);
    start = end + 1;
    ++n;
    if (line.empty()) continue;
    if (line[0] == '#') {
      const bool help = line.starts_with("# HELP ");
      if (!help && !line.starts_with("# TYPE ")) continue;  // a comment
      const std::string_view rest = line.substr(7);
      const size_t space = rest.find(' ');
      if (space == std::string_view::npos) return Error(n, "HELP/TYPE without text");
      const std::string name(rest.substr(0, space));
      if (!IsMetricName(name)) return Error(n, "bad metric name '" + name + "'");
      ASSIGN_OR_RETURN(ParsedFamily * family, enter(name, n));
      if (!family->samples.empty()) return Error(n, "HELP/TYPE after samples of " + name);
      if (help) {
        if (!helps.insert(name).second) return Error(n, "second HELP for " + name);
        ASSIGN_OR_RETURN(family->help, UnescapeHelp(rest.substr(space + 1), n));
      } else {
        const std::string type(rest.substr(space + 1));
        if (types.contains(name)) return Error(n, "second TYPE for " + name);
        if (type != "counter" && type != "gauge" && type != "histogram" && type != "summary" &&
            type != "untyped") {
          return Error(n, "unknown type '" + type + "'");
        }
        types[name] = type;
        family->type = type;
      }
      continue;
    }

    ParsedSample sample;
    size_t pos = 0;
    while (pos < line.size() && line[pos] != '{' && line[pos] != ' ') ++pos;
    sample.name = std::string(line.substr(0, pos));
    if (!IsMetricName(sample.name)) return Error(n, "bad metric name '" + sample.name + "'");
    if (pos < line.size() && line[pos] == '{') {
      ASSIGN_OR_RETURN(sample.labels, ParseLabels(line, pos, n));
    }
    if (pos >= line.size() || line[pos] != ' ') return Error(n, "expected ' ' before the value");
    const std::string_view value_text = line.substr(pos + 1);
    if (value_text.find(' ') != std::string_view::npos) return Error(n, "timestamp or junk");
    const std::optional<double> value = ParseValue(value_text);
    if (!value) return Error(n, "bad value '" + std::string(value_text) + "'");
    sample.value = *value;

    std::string key = sample.name;
    for (const auto& [label, label_value] : sample.labels)
      key += "\x1f" + label + "=" + label_value;
    if (!series.insert(key).second) return Error(n, "series twice: " + sample.name);
    ASSIGN_OR_RETURN(ParsedFamily * family, enter(FamilyOf(sample.name, types), n));
    if (family->type != "histogram" && family->type != "summary" && sample.name != family->name) {
      return Error(n, "sample " + sample.name + " outside its family");
    }
    if (family->type == "counter" && sample.value < 0) return Error(n, "negative counter");
    family->samples.push_back(std::move(sample));
  }

  for (const ParsedFamily& family : out.families) {
    if (family.type == "histogram") RETURN_IF_ERROR(CheckHistogram(family));
  }
  return out;
}

}  // namespace api::metrics::test
