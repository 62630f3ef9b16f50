#include "api/config/config_loader.h"

#include <algorithm>
#include <cctype>
#include <charconv>
#include <cstdint>
#include <cstdlib>
#include <fstream>
#include <limits>
#include <map>
#include <set>
#include <sstream>
#include <utility>
#include <variant>

#include <CLI/CLI.hpp>
#include <yaml-cpp/yaml.h>

namespace api {
namespace {

using engine::ServiceConfig;
using StringMap = std::map<std::string, std::string>;
using Field = std::variant<std::string*, int*, size_t*, cep::Duration*, std::vector<std::string>*,
                           StringMap*>;

// One configuration key: its dotted path and the struct member it sets. The
// order is the file order of ServiceConfigToYaml and deploy/config/cep.yaml.
struct KeySpec {
  std::string_view key;
  Field (*field)(ServiceConfig&);
};

const KeySpec kKeys[] = {
    {"kafka.brokers", [](ServiceConfig& c) -> Field { return &c.kafka.brokers; }},
    {"kafka.input_topic", [](ServiceConfig& c) -> Field { return &c.kafka.input_topic; }},
    {"kafka.alerts_topic", [](ServiceConfig& c) -> Field { return &c.kafka.alerts_topic; }},
    {"kafka.shadow_topic", [](ServiceConfig& c) -> Field { return &c.kafka.shadow_topic; }},
    {"kafka.late_topic", [](ServiceConfig& c) -> Field { return &c.kafka.late_topic; }},
    {"kafka.dead_letter_topic",
     [](ServiceConfig& c) -> Field { return &c.kafka.dead_letter_topic; }},
    {"kafka.group_id", [](ServiceConfig& c) -> Field { return &c.kafka.group_id; }},
    {"kafka.input_format", [](ServiceConfig& c) -> Field { return &c.kafka.input_format; }},
    {"kafka.alert_format", [](ServiceConfig& c) -> Field { return &c.kafka.alert_format; }},
    {"kafka.exactly_once", [](ServiceConfig& c) -> Field { return &c.kafka.exactly_once; }},
    {"kafka.embedded_partitions",
     [](ServiceConfig& c) -> Field { return &c.kafka.embedded_partitions; }},
    {"kafka.consumer_settings",
     [](ServiceConfig& c) -> Field { return &c.kafka.consumer_settings; }},
    {"kafka.producer_settings",
     [](ServiceConfig& c) -> Field { return &c.kafka.producer_settings; }},
    {"rulesets", [](ServiceConfig& c) -> Field { return &c.rulesets; }},
    {"slots", [](ServiceConfig& c) -> Field { return &c.slots; }},
    {"queue_capacity", [](ServiceConfig& c) -> Field { return &c.queue_capacity; }},
    {"max_out_of_orderness", [](ServiceConfig& c) -> Field { return &c.max_out_of_orderness; }},
    {"idle_timeout", [](ServiceConfig& c) -> Field { return &c.idle_timeout; }},
    {"checkpoint_interval", [](ServiceConfig& c) -> Field { return &c.checkpoint_interval; }},
    {"data_dir", [](ServiceConfig& c) -> Field { return &c.data_dir; }},
    {"state_backend", [](ServiceConfig& c) -> Field { return &c.state_backend; }},
    {"shared_state_dir", [](ServiceConfig& c) -> Field { return &c.shared_state_dir; }},
    {"instance_id", [](ServiceConfig& c) -> Field { return &c.instance_id; }},
    {"rest_address", [](ServiceConfig& c) -> Field { return &c.rest_address; }},
    {"rest_tokens", [](ServiceConfig& c) -> Field { return &c.rest_tokens; }},
    {"rest_tls_cert", [](ServiceConfig& c) -> Field { return &c.rest_tls_cert; }},
    {"rest_tls_key", [](ServiceConfig& c) -> Field { return &c.rest_tls_key; }},
    {"rest_max_body_bytes", [](ServiceConfig& c) -> Field { return &c.rest_max_body_bytes; }},
    {"rest_max_connections", [](ServiceConfig& c) -> Field { return &c.rest_max_connections; }},
    {"rest_timeout", [](ServiceConfig& c) -> Field { return &c.rest_timeout; }},
    {"rest_threads", [](ServiceConfig& c) -> Field { return &c.rest_threads; }},
    {"replay_input_dir", [](ServiceConfig& c) -> Field { return &c.replay_input_dir; }},
    {"id_field", [](ServiceConfig& c) -> Field { return &c.id_field; }},
    {"log_level", [](ServiceConfig& c) -> Field { return &c.log_level; }},
};
constexpr std::string_view kKafkaSection = "kafka";

const KeySpec* FindKey(std::string_view key) {
  for (const KeySpec& spec : kKeys) {
    if (spec.key == key) return &spec;
  }
  return nullptr;
}

// A map-typed key that `key` names one entry of: "kafka.consumer_settings.client.id".
const KeySpec* FindMapKeyOf(std::string_view key, std::string& entry) {
  for (const KeySpec& spec : kKeys) {
    ServiceConfig probe;
    if (!std::holds_alternative<StringMap*>(spec.field(probe))) continue;
    if (key.size() > spec.key.size() + 1 && key.starts_with(spec.key) &&
        key[spec.key.size()] == '.') {
      entry = std::string(key.substr(spec.key.size() + 1));
      return &spec;
    }
  }
  return nullptr;
}

size_t EditDistance(std::string_view a, std::string_view b) {
  std::vector<size_t> row(b.size() + 1);
  for (size_t j = 0; j <= b.size(); ++j) row[j] = j;
  for (size_t i = 1; i <= a.size(); ++i) {
    size_t diagonal = row[0];
    row[0] = i;
    for (size_t j = 1; j <= b.size(); ++j) {
      const size_t above = row[j];
      row[j] = std::min({row[j] + 1, row[j - 1] + 1, diagonal + (a[i - 1] == b[j - 1] ? 0 : 1)});
      diagonal = above;
    }
  }
  return row[b.size()];
}

std::string_view LastPart(std::string_view key) {
  const size_t dot = key.rfind('.');
  return dot == std::string_view::npos ? key : key.substr(dot + 1);
}

// " (did you mean 'kafka.brokers'?)" for a near miss, or for a key put in the
// wrong section (`brokers:` at the top level); empty when nothing is close.
std::string Suggestion(std::string_view unknown) {
  std::vector<std::string_view> candidates = {kKafkaSection};
  for (const KeySpec& spec : kKeys) candidates.push_back(spec.key);
  std::string_view best;
  size_t best_distance = std::numeric_limits<size_t>::max();
  for (std::string_view candidate : candidates) {
    const size_t distance = EditDistance(unknown, candidate);
    if (distance < best_distance) best = candidate, best_distance = distance;
  }
  if (best_distance <= std::max<size_t>(2, unknown.size() / 4)) {
    return " (did you mean '" + std::string(best) + "'?)";
  }
  for (std::string_view candidate : candidates) {
    if (LastPart(candidate) == LastPart(unknown)) {
      return " (did you mean '" + std::string(candidate) + "'?)";
    }
  }
  return "";
}

std::string UnknownKey(std::string_view key) {
  return "unknown key '" + std::string(key) + "'" + Suggestion(key);
}

// --- Text to values -----------------------------------------------------------
// The environment, the flags and the file's scalars all arrive as text; one set
// of conversions keeps their messages the same. Each returns an error message
// without location, or nothing.

std::vector<std::string> SplitCommas(std::string_view text) {
  std::vector<std::string> parts;
  if (text.empty()) return parts;
  size_t start = 0;
  while (true) {
    const size_t comma = text.find(',', start);
    parts.emplace_back(text.substr(start, comma - start));
    if (comma == std::string_view::npos) break;
    start = comma + 1;
  }
  return parts;
}

std::optional<std::string> ParseInt(std::string_view text, int& out) {
  int64_t value = 0;
  const char* end = text.data() + text.size();
  auto [rest, ec] = std::from_chars(text.data(), end, value);
  if (ec != std::errc() || rest != end) {
    return "expected an integer, got '" + std::string(text) + "'";
  }
  if (value < std::numeric_limits<int>::min() || value > std::numeric_limits<int>::max()) {
    return "integer '" + std::string(text) + "' is out of range";
  }
  out = static_cast<int>(value);
  return std::nullopt;
}

std::optional<std::string> ParseSize(std::string_view text, size_t& out) {
  uint64_t value = 0;
  const char* end = text.data() + text.size();
  auto [rest, ec] = std::from_chars(text.data(), end, value);
  if (ec == std::errc::result_out_of_range || value > std::numeric_limits<size_t>::max()) {
    return "integer '" + std::string(text) + "' is out of range";
  }
  if (ec != std::errc() || rest != end) {
    return "expected a non-negative integer, got '" + std::string(text) + "'";
  }
  out = static_cast<size_t>(value);
  return std::nullopt;
}

std::optional<std::string> ParseDurationText(std::string_view text, cep::Duration& out) {
  if (text == "0") {  // a bare zero needs no unit
    out = cep::Duration::Zero();
    return std::nullopt;
  }
  auto parsed = cep::ParseDuration(text);
  if (!parsed) return parsed.error().message();
  out = *parsed;
  return std::nullopt;
}

// "prop=value,prop=value" (environment, or `--set kafka.consumer_settings=...`).
std::optional<std::string> MergeSettings(std::string_view text, StringMap& out) {
  for (const std::string& pair : SplitCommas(text)) {
    const size_t eq = pair.find('=');
    if (eq == std::string::npos || eq == 0) {
      return "expected property=value pairs separated by commas, got '" + pair + "'";
    }
    out[pair.substr(0, eq)] = pair.substr(eq + 1);
  }
  return std::nullopt;
}

// Sets a scalar-typed field; lists and maps are handled by each layer, which
// read them differently.
std::optional<std::string> SetScalar(Field field, std::string_view text) {
  if (auto* s = std::get_if<std::string*>(&field)) {
    **s = std::string(text);
    return std::nullopt;
  }
  if (auto* i = std::get_if<int*>(&field)) return ParseInt(text, **i);
  if (auto* z = std::get_if<size_t*>(&field)) return ParseSize(text, **z);
  if (auto* d = std::get_if<cep::Duration*>(&field)) return ParseDurationText(text, **d);
  return "not a single value";
}

const char* Expected(const Field& field) {
  if (std::holds_alternative<std::string*>(field)) return "a string";
  if (std::holds_alternative<int*>(field)) return "an integer";
  if (std::holds_alternative<size_t*>(field)) return "a non-negative integer";
  if (std::holds_alternative<cep::Duration*>(field)) return "a duration such as \"5s\"";
  if (std::holds_alternative<std::vector<std::string>*>(field)) return "a list of file names";
  return "a mapping of property: value";
}

// --- Loading state ------------------------------------------------------------

// The config being built, where each key got its value (for messages about
// values that turn out invalid), and every problem found so far.
struct Loading {
  ServiceConfig config;
  std::map<std::string, std::string, std::less<>> origin;  // key path -> "cep.yaml:7", "CEP_SLOTS"
  std::vector<std::string> problems;

  void Problem(std::string_view where, std::string_view message) {
    problems.push_back(std::string(where) + ": " + std::string(message));
  }
};

// --- The file -----------------------------------------------------------------

std::string Where(const std::string& path, const YAML::Node& node) {
  const YAML::Mark mark = node.Mark();
  if (mark.is_null() || mark.line < 0) return path;
  return path + ":" + std::to_string(mark.line + 1);
}

const char* Describe(const YAML::Node& node) {
  switch (node.Type()) {
    case YAML::NodeType::Sequence:
      return "a list";
    case YAML::NodeType::Map:
      return "a mapping";
    case YAML::NodeType::Null:
      return "nothing";
    default:
      return "a value";
  }
}

class FileReader {
 public:
  FileReader(const std::string& path, Loading& loading) : path_(path), loading_(loading) {}

  // Applies every key of `map` (the document, or a section) under `prefix`.
  void ApplyMap(const YAML::Node& map, const std::string& prefix) {
    // Copies, not references: yaml-cpp's iterator hands out a temporary pair.
    for (auto it = map.begin(); it != map.end(); ++it) {
      const YAML::Node key_node = it->first;
      const YAML::Node value = it->second;
      if (!key_node.IsScalar()) {
        loading_.Problem(Where(path_, key_node), "keys must be plain names");
        continue;
      }
      const std::string key = prefix + key_node.Scalar();
      if (!seen_.insert(key).second) {
        loading_.Problem(Where(path_, key_node), "duplicate key '" + key + "'");
        continue;
      }
      if (prefix.empty() && key == kKafkaSection) {
        if (value.IsMap()) {
          ApplyMap(value, key + ".");
        } else if (!value.IsNull()) {
          loading_.Problem(Where(path_, value), "kafka: expected a mapping of keys, got " +
                                                    std::string(Describe(value)));
        }
        continue;
      }
      const KeySpec* spec = FindKey(key);
      if (spec == nullptr) {
        loading_.Problem(Where(path_, key_node), UnknownKey(key));
        continue;
      }
      ApplyValue(key, spec->field(loading_.config), key_node, value);
    }
  }

 private:
  void ApplyValue(const std::string& key, Field field, const YAML::Node& key_node,
                  const YAML::Node& value) {
    const std::string where = Where(path_, value.Mark().is_null() ? key_node : value);
    auto wrong_type = [&] {
      loading_.Problem(where, key + ": expected " + Expected(field) + ", got " + Describe(value));
    };
    loading_.origin[key] = where;
    if (auto* list = std::get_if<std::vector<std::string>*>(&field)) {
      (*list)->clear();
      if (value.IsNull()) return;
      if (!value.IsSequence()) return wrong_type();
      for (const YAML::Node& item : value) {
        if (!item.IsScalar()) {
          loading_.Problem(Where(path_, item),
                           key + ": expected a file name, got " + Describe(item));
          continue;
        }
        (*list)->push_back(item.Scalar());
      }
      return;
    }
    if (auto* settings = std::get_if<StringMap*>(&field)) {
      if (value.IsNull()) return;
      if (!value.IsMap()) return wrong_type();
      for (auto it = value.begin(); it != value.end(); ++it) {
        const YAML::Node property = it->first;
        const YAML::Node setting = it->second;
        if (!property.IsScalar() || !setting.IsScalar()) {
          loading_.Problem(Where(path_, property),
                           key + ": expected property: value, each a plain value");
          continue;
        }
        loading_.origin[key + "." + property.Scalar()] = Where(path_, property);
        (**settings)[property.Scalar()] = setting.Scalar();
      }
      return;
    }
    if (value.IsNull() && std::holds_alternative<std::string*>(field)) {
      *std::get<std::string*>(field) = "";  // `brokers:` with nothing after it
      return;
    }
    if (!value.IsScalar()) return wrong_type();
    if (auto problem = SetScalar(field, value.Scalar()))
      loading_.Problem(where, key + ": " + *problem);
  }

  const std::string& path_;
  Loading& loading_;
  std::set<std::string> seen_;
};

// NotFound when the file cannot be read; problems inside it go to `loading`.
cep::Status ApplyFile(const std::string& path, Loading& loading) {
  std::ifstream in(path);
  if (!in) return cep::NotFound("cannot read config file '" + path + "'");
  std::stringstream text;
  text << in.rdbuf();
  // yaml-cpp throws; STYLE.md §3 wants the exception turned into a value here.
  try {
    const YAML::Node root = YAML::Load(text.str());
    if (root.IsNull()) return cep::Status::Ok();  // an empty file: all defaults
    if (!root.IsMap()) {
      loading.Problem(Where(path, root), "expected a mapping of keys at the top level, got " +
                                             std::string(Describe(root)));
    } else {
      FileReader(path, loading).ApplyMap(root, "");
    }
  } catch (const YAML::ParserException& e) {
    loading.Problem(
        path + ":" + std::to_string(e.mark.line + 1) + ":" + std::to_string(e.mark.column + 1),
        "invalid YAML: " + e.msg);
  } catch (const std::exception& e) {
    loading.Problem(path, std::string("cannot read the config: ") + e.what());
  }
  return cep::Status::Ok();
}

// --- Environment and flags --------------------------------------------------

void ApplyEnvironment(const EnvironmentLookup& environment, Loading& loading) {
  for (const KeySpec& spec : kKeys) {
    const std::string name = EnvironmentVariableFor(spec.key);
    const std::optional<std::string> value = environment(name);
    if (!value) continue;
    const std::string key(spec.key);
    loading.origin[key] = name;
    Field field = spec.field(loading.config);
    std::optional<std::string> problem;
    if (auto* list = std::get_if<std::vector<std::string>*>(&field)) {
      **list = SplitCommas(*value);
    } else if (auto* settings = std::get_if<StringMap*>(&field)) {
      problem = MergeSettings(*value, **settings);
      for (const auto& pair : SplitCommas(*value)) {
        loading.origin[key + "." + pair.substr(0, pair.find('='))] = name;
      }
    } else {
      problem = SetScalar(field, *value);
    }
    if (problem) loading.Problem(name, key + ": " + *problem);
  }
}

std::string OverrideOrigin(const ConfigOverride& o) {
  return o.origin.empty() ? "--set " + o.key + "=" + o.value : o.origin;
}

void ApplyOverrides(const std::vector<ConfigOverride>& overrides, Loading& loading) {
  std::set<std::string> lists_replaced;
  for (const ConfigOverride& o : overrides) {
    const std::string where = OverrideOrigin(o);
    std::string entry;
    if (const KeySpec* map_spec = FindMapKeyOf(o.key, entry)) {
      (*std::get<StringMap*>(map_spec->field(loading.config)))[entry] = o.value;
      loading.origin[o.key] = where;
      continue;
    }
    const KeySpec* spec = FindKey(o.key);
    if (spec == nullptr) {
      loading.Problem(where, o.key.empty() ? "expected KEY=VALUE" : UnknownKey(o.key));
      continue;
    }
    loading.origin[o.key] = where;
    Field field = spec->field(loading.config);
    std::optional<std::string> problem;
    if (auto* list = std::get_if<std::vector<std::string>*>(&field)) {
      if (lists_replaced.insert(o.key).second) (*list)->clear();
      (*list)->push_back(o.value);
    } else if (auto* settings = std::get_if<StringMap*>(&field)) {
      problem = MergeSettings(o.value, **settings);
    } else {
      problem = SetScalar(field, o.value);
    }
    if (problem) loading.Problem(where, o.key + ": " + *problem);
  }
}

// --- Validation ---------------------------------------------------------------

struct Invalid {
  std::string key;      // whose origin to name
  std::string message;  // starts with the key path
};

bool IsTopicChar(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' ||
         c == '_' || c == '-';
}

// "host:port" or "[v6]:port"; the problem, or nothing.
std::optional<std::string> CheckHostPort(std::string_view text, bool allow_port_zero) {
  const size_t colon = text.rfind(':');
  if (colon == std::string_view::npos) return "expected host:port, got '" + std::string(text) + "'";
  std::string_view host = text.substr(0, colon);
  const std::string_view port = text.substr(colon + 1);
  if (host.size() >= 2 && host.front() == '[' && host.back() == ']') {
    host = host.substr(1, host.size() - 2);
  } else if (host.find(':') != std::string_view::npos) {
    return "expected host:port (IPv6 hosts in brackets: [::1]:8080), got '" + std::string(text) +
           "'";
  }
  if (host.empty()) return "expected host:port, the host is missing in '" + std::string(text) + "'";
  for (char c : host) {
    if (c == ' ' || c == ',' || c == '/' || c == '[' || c == ']') {
      return "invalid host in '" + std::string(text) + "'";
    }
  }
  unsigned value = 0;
  auto [rest, ec] = std::from_chars(port.data(), port.data() + port.size(), value);
  if (port.empty() || ec != std::errc() || rest != port.data() + port.size() || value > 65535 ||
      (value == 0 && !allow_port_zero)) {
    return std::string("expected a port ") + (allow_port_zero ? "0" : "1") +
           "..65535 after the colon, got '" + std::string(text) + "'";
  }
  return std::nullopt;
}

void CheckTopics(const engine::KafkaConfig& kafka, std::vector<Invalid>& out) {
  const std::pair<const char*, const std::string*> topics[] = {
      {"kafka.input_topic", &kafka.input_topic},
      {"kafka.alerts_topic", &kafka.alerts_topic},
      {"kafka.shadow_topic", &kafka.shadow_topic},
      {"kafka.late_topic", &kafka.late_topic},
      {"kafka.dead_letter_topic", &kafka.dead_letter_topic}};
  for (const auto& [key, topic] : topics) {
    if (topic->empty()) {
      out.push_back({key, std::string(key) + ": must not be empty"});
    } else if (topic->size() > 249 || *topic == "." || *topic == ".." ||
               !std::all_of(topic->begin(), topic->end(), IsTopicChar)) {
      out.push_back({key, std::string(key) + ": '" + *topic +
                              "' is not a Kafka topic name (letters, digits, '.', '_', '-'; "
                              "at most 249)"});
    } else if (topic != &kafka.input_topic && *topic == kafka.input_topic) {
      out.push_back({key, std::string(key) + ": must differ from kafka.input_topic ('" +
                              kafka.input_topic + "'), or the service would read its own output"});
    }
  }
}

void CheckKafka(const engine::KafkaConfig& kafka, std::vector<Invalid>& out) {
  for (const std::string& broker : SplitCommas(kafka.brokers)) {
    if (auto problem = CheckHostPort(broker, /*allow_port_zero=*/false)) {
      out.push_back({"kafka.brokers", "kafka.brokers: " + *problem +
                                          " (a comma-separated list; empty = embedded broker)"});
    }
  }
  CheckTopics(kafka, out);
  if (kafka.group_id.empty())
    out.push_back({"kafka.group_id", "kafka.group_id: must not be empty"});
  for (const auto& [key, format] : {std::pair{"kafka.input_format", &kafka.input_format},
                                    std::pair{"kafka.alert_format", &kafka.alert_format}}) {
    if (*format != "protobuf" && *format != "json") {
      out.push_back({key, std::string(key) + ": must be protobuf or json, got '" + *format + "'"});
    }
  }
  if (kafka.exactly_once != "read_back" && kafka.exactly_once != "transactions") {
    out.push_back({"kafka.exactly_once", "kafka.exactly_once: must be read_back or transactions, got '" +
                                             kafka.exactly_once + "'"});
  }
  if (kafka.embedded_partitions < 1) {
    out.push_back(
        {"kafka.embedded_partitions", "kafka.embedded_partitions: must be at least 1, got " +
                                          std::to_string(kafka.embedded_partitions)});
  }
  const std::tuple<const char*, const StringMap*, const char*> settings[] = {
      {"kafka.consumer_settings", &kafka.consumer_settings, "group.id"},
      {"kafka.producer_settings", &kafka.producer_settings, nullptr}};
  for (const auto& [key, map, group] : settings) {
    for (const auto& [property, value] : *map) {
      const std::string path = std::string(key) + "." + property;
      if (property.empty()) {
        out.push_back({key, std::string(key) + ": a property name is empty"});
      } else if (property == "bootstrap.servers" || property == "metadata.broker.list") {
        out.push_back({path, path + ": set kafka.brokers instead"});
      } else if (group != nullptr && property == group) {
        out.push_back({path, path + ": set kafka.group_id instead"});
      }
    }
  }
}

void CheckDuration(const char* key, cep::Duration d, std::vector<Invalid>& out) {
  if (d < cep::Duration::Zero()) {
    out.push_back({key, std::string(key) + ": must not be negative, got " +
                            std::to_string(d.millis()) + "ms"});
  } else if (d.is_infinite()) {
    out.push_back({key, std::string(key) + ": must be finite"});
  }
}

std::vector<Invalid> Check(const ServiceConfig& c) {
  std::vector<Invalid> out;
  CheckKafka(c.kafka, out);
  for (size_t i = 0; i < c.rulesets.size(); ++i) {
    if (c.rulesets[i].empty()) {
      out.push_back({"rulesets", "rulesets[" + std::to_string(i) + "]: the file name is empty"});
    }
  }
  if (c.slots < 0) {
    out.push_back(
        {"slots", "slots: must be 0 (one per core) or more, got " + std::to_string(c.slots)});
  }
  if (c.queue_capacity < 16) {
    out.push_back({"queue_capacity",
                   "queue_capacity: must be at least 16, got " + std::to_string(c.queue_capacity)});
  }
  CheckDuration("max_out_of_orderness", c.max_out_of_orderness, out);
  CheckDuration("idle_timeout", c.idle_timeout, out);
  CheckDuration("checkpoint_interval", c.checkpoint_interval, out);
  if (c.data_dir.empty()) out.push_back({"data_dir", "data_dir: must not be empty"});
  if (c.state_backend != "rocksdb" && c.state_backend != "memory" && c.state_backend != "none") {
    out.push_back({"state_backend", "state_backend: must be one of rocksdb, memory, none; got '" +
                                        c.state_backend + "'"});
  } else if (c.state_backend == "none" && c.kafka.exactly_once == "transactions") {
    out.push_back({"kafka.exactly_once",
                   "kafka.exactly_once: transactions commit with checkpoints; state_backend none "
                   "takes none"});
  }
  if (!c.shared_state_dir.empty()) {
    if (c.state_backend == "none") {
      out.push_back({"shared_state_dir", "shared_state_dir: scaling out hands checkpoints over; "
                                         "state_backend none takes none"});
    }
    if (c.kafka.exactly_once == "transactions") {
      out.push_back({"kafka.exactly_once",
                     "kafka.exactly_once: transactions need one transactional producer per input; "
                     "scaling out (shared_state_dir) uses read_back"});
    }
    auto strategy = c.kafka.consumer_settings.find("partition.assignment.strategy");
    if (strategy != c.kafka.consumer_settings.end() &&
        strategy->second.find("cooperative") != std::string::npos) {
      out.push_back({"kafka.consumer_settings",
                     "kafka.consumer_settings: scaling out hands state over on eager rebalances; "
                     "partition.assignment.strategy must not be cooperative"});
    }
  }
  const bool id_ok = c.instance_id.size() <= 100 &&
                     std::all_of(c.instance_id.begin(), c.instance_id.end(), [](char ch) {
                       return std::isalnum(static_cast<unsigned char>(ch)) != 0 || ch == '-' ||
                              ch == '_' || ch == '.';
                     }) &&
                     c.instance_id != "." && c.instance_id != "..";
  if (!id_ok) {
    out.push_back({"instance_id", "instance_id: at most 100 of A-Z a-z 0-9 . _ - (it names a "
                                  "directory), got '" + c.instance_id + "'"});
  }
  if (auto problem = CheckHostPort(c.rest_address, /*allow_port_zero=*/true)) {
    out.push_back({"rest_address", "rest_address: " + *problem});
  }
  for (const auto& [token, scope] : c.rest_tokens) {
    // The token itself never goes into a message: it is a secret.
    if (scope != "read" && scope != "admin") {
      out.push_back({"rest_tokens", "rest_tokens: a token's scope must be read or admin, got '" +
                                        scope + "'"});
    }
    if (token.size() < 16) {
      out.push_back({"rest_tokens", "rest_tokens: a token is shorter than 16 characters (use "
                                    "e.g. `openssl rand -hex 32`)"});
    }
  }
  if (c.rest_tls_cert.empty() != c.rest_tls_key.empty()) {
    out.push_back({"rest_tls_cert", "rest_tls_cert, rest_tls_key: give both for HTTPS, or neither"});
  }
  if (c.rest_max_body_bytes < 1024) {
    out.push_back({"rest_max_body_bytes", "rest_max_body_bytes: must be at least 1024, got " +
                                              std::to_string(c.rest_max_body_bytes)});
  }
  if (c.rest_max_connections < 1) {
    out.push_back({"rest_max_connections", "rest_max_connections: must be at least 1"});
  }
  CheckDuration("rest_timeout", c.rest_timeout, out);
  if (c.rest_timeout == cep::Duration::Zero()) {
    out.push_back({"rest_timeout", "rest_timeout: must be more than 0"});
  }
  if (c.rest_threads < 1 || c.rest_threads > 64) {
    out.push_back({"rest_threads", "rest_threads: must be 1..64, got " + std::to_string(c.rest_threads)});
  }
  if (c.replay_input_dir.empty()) {
    out.push_back({"replay_input_dir", "replay_input_dir: must not be empty"});
  }
  if (c.id_field.empty()) out.push_back({"id_field", "id_field: must not be empty"});
  static const std::set<std::string, std::less<>> kLevels = {"trace", "debug",    "info", "warn",
                                                             "error", "critical", "off"};
  if (!kLevels.contains(c.log_level)) {
    out.push_back({"log_level",
                   "log_level: must be one of trace, debug, info, warn, error, "
                   "critical, off; got '" +
                       c.log_level + "'"});
  }
  return out;
}

std::string Join(const std::vector<std::string>& lines) {
  std::string out;
  for (const std::string& line : lines) {
    if (!out.empty()) out += '\n';
    out += line;
  }
  return out;
}

// --- Emitting -----------------------------------------------------------------

// Words YAML 1.1 readers (PyYAML, Kubernetes tooling) take for booleans; yaml-cpp
// writes them bare, and `log_level: off` would then read as false elsewhere.
bool LooksBoolean(const std::string& text) {
  static const std::set<std::string, std::less<>> kWords = {
      "y",    "Y",    "yes",   "Yes",   "YES",   "n",  "N",  "no", "No",  "NO",  "true",
      "True", "TRUE", "false", "False", "FALSE", "on", "On", "ON", "off", "Off", "OFF"};
  return kWords.contains(text);
}

void EmitString(YAML::Emitter& out, const std::string& text) {
  if (LooksBoolean(text)) out << YAML::DoubleQuoted;
  out << text;
}

void EmitField(YAML::Emitter& out, const Field& field) {
  if (auto* s = std::get_if<std::string*>(&field)) {
    EmitString(out, **s);
  } else if (auto* i = std::get_if<int*>(&field)) {
    out << **i;
  } else if (auto* z = std::get_if<size_t*>(&field)) {
    out << static_cast<unsigned long long>(**z);
  } else if (auto* d = std::get_if<cep::Duration*>(&field)) {
    out << cep::FormatDuration(**d);
  } else if (auto* list = std::get_if<std::vector<std::string>*>(&field)) {
    if ((*list)->empty()) out << YAML::Flow;
    out << YAML::BeginSeq;
    for (const std::string& item : **list) EmitString(out, item);
    out << YAML::EndSeq;
  } else if (auto* settings = std::get_if<StringMap*>(&field)) {
    if ((*settings)->empty()) out << YAML::Flow;
    out << YAML::BeginMap;
    for (const auto& [property, value] : **settings) {
      out << YAML::Key << property << YAML::Value;
      EmitString(out, value);
    }
    out << YAML::EndMap;
  }
}

}  // namespace

EnvironmentLookup ProcessEnvironment() {
  return [](std::string_view name) -> std::optional<std::string> {
    const char* value = std::getenv(std::string(name).c_str());
    if (value == nullptr) return std::nullopt;
    return std::string(value);
  };
}

std::string EnvironmentVariableFor(std::string_view key) {
  std::string name = "CEP_";
  for (char c : key) {
    name += c == '.' ? '_' : static_cast<char>(c >= 'a' && c <= 'z' ? c - 'a' + 'A' : c);
  }
  return name;
}

std::vector<std::string> ServiceConfigKeys() {
  std::vector<std::string> keys;
  for (const KeySpec& spec : kKeys) keys.emplace_back(spec.key);
  return keys;
}

cep::Result<ServiceConfig> LoadServiceConfig(const ConfigSources& sources) {
  Loading loading;
  if (sources.file) RETURN_IF_ERROR(ApplyFile(*sources.file, loading));
  if (sources.environment) ApplyEnvironment(sources.environment, loading);
  ApplyOverrides(sources.overrides, loading);
  // Values that failed to parse kept their previous value; checking the merged
  // config anyway still reports every independent problem in one go.
  for (const Invalid& invalid : Check(loading.config)) {
    auto origin = loading.origin.find(invalid.key);
    if (origin == loading.origin.end()) {
      loading.problems.push_back(invalid.message);
    } else {
      loading.Problem(origin->second, invalid.message);
    }
  }
  if (!loading.problems.empty()) return cep::InvalidArgument(Join(loading.problems));
  return std::move(loading.config);
}

cep::Status ValidateServiceConfig(const ServiceConfig& config) {
  std::vector<std::string> messages;
  for (const Invalid& invalid : Check(config)) messages.push_back(invalid.message);
  if (messages.empty()) return cep::Status::Ok();
  return cep::InvalidArgument(Join(messages));
}

std::string ServiceConfigToYaml(const ServiceConfig& config) {
  ServiceConfig copy = config;  // KeySpec hands out mutable pointers; nothing is changed
  YAML::Emitter out;
  out << YAML::BeginMap;
  bool in_kafka = false;
  for (const KeySpec& spec : kKeys) {
    const bool kafka_key = spec.key.starts_with("kafka.");
    if (kafka_key && !in_kafka) {
      out << YAML::Key << std::string(kKafkaSection) << YAML::Value << YAML::BeginMap;
      in_kafka = true;
    } else if (!kafka_key && in_kafka) {
      out << YAML::EndMap;
      in_kafka = false;
    }
    out << YAML::Key << std::string(kafka_key ? LastPart(spec.key) : spec.key) << YAML::Value;
    EmitField(out, spec.field(copy));
  }
  if (in_kafka) out << YAML::EndMap;
  out << YAML::EndMap;
  return std::string(out.c_str()) + "\n";
}

// --- Flags --------------------------------------------------------------------

void AddServiceConfigFlags(CLI::App& command, ServiceConfigFlags& flags) {
  const char* const kGroup = "Configuration (defaults < --config file < CEP_* environment < flags)";
  command.add_option("--config", flags.config_file, "YAML config file (default: $CEP_CONFIG)")
      ->type_name("FILE")
      ->group(kGroup);
  struct Typed {
    const char* flag;
    const char* key;
    const char* type;
    const char* help;
  };
  static const Typed kTyped[] = {
      {"--brokers", "kafka.brokers", "HOST:PORT,...",
       "Kafka bootstrap servers; empty: embedded broker"},
      {"--input-topic", "kafka.input_topic", "TOPIC", "topic of transactions"},
      {"--alerts-topic", "kafka.alerts_topic", "TOPIC", "topic alerts are written to"},
      {"--group-id", "kafka.group_id", "ID", "Kafka consumer group"},
      {"--slots", "slots", "N", "worker slots; 0 = one per core"},
      {"--max-out-of-orderness", "max_out_of_orderness", "DURATION",
       "how late events may arrive, e.g. 5s"},
      {"--idle-timeout", "idle_timeout", "DURATION",
       "idle partitions stop holding the watermark back after this"},
      {"--checkpoint-interval", "checkpoint_interval", "DURATION", "time between checkpoints"},
      {"--data-dir", "data_dir", "DIR", "state and checkpoints (RocksDB)"},
      {"--state-backend", "state_backend", "rocksdb|memory|none", "where checkpoints go"},
      {"--rest-address", "rest_address", "HOST:PORT", "REST API address; port 0 = any"},
  };
  for (const Typed& typed : kTyped) {
    command
        .add_option_function<std::string>(
            typed.flag,
            [&flags, typed](const std::string& value) {
              flags.overrides.push_back({typed.key, value, typed.flag});
            },
            typed.help)
        ->type_name(typed.type)
        ->group(kGroup);
  }
  command
      .add_option_function<std::vector<std::string>>(
          "--rules",
          [&flags](const std::vector<std::string>& files) {
            for (const std::string& file : files)
              flags.overrides.push_back({"rulesets", file, "--rules"});
          },
          "ruleset file loaded at start (repeatable; replaces the configured list)")
      ->type_name("FILE")
      ->group(kGroup);
  // Declared last: CLI11 runs option callbacks in declaration order, so --set
  // wins over the typed flags above.
  command
      .add_option_function<std::vector<std::string>>(
          "--set",
          [&flags](const std::vector<std::string>& pairs) {
            for (const std::string& pair : pairs) {
              const size_t eq = pair.find('=');
              if (eq == std::string::npos || eq == 0) {
                throw CLI::ValidationError("--set", "expected KEY=VALUE, got '" + pair + "'");
              }
              flags.overrides.push_back({pair.substr(0, eq), pair.substr(eq + 1), ""});
            }
          },
          "any config key, dotted: kafka.late_topic=late2, kafka.consumer_settings.client.id=x")
      ->type_name("KEY=VALUE")
      ->group(kGroup);
  command
      .add_flag("--print-config", flags.print_config,
                "print the effective configuration as YAML and exit")
      ->group(kGroup);
}

ConfigSources ServiceConfigSourcesFromFlags(const ServiceConfigFlags& flags,
                                            EnvironmentLookup environment) {
  ConfigSources sources;
  if (!flags.config_file.empty()) {
    sources.file = flags.config_file;
  } else if (environment) {
    if (std::optional<std::string> file = environment("CEP_CONFIG"); file && !file->empty()) {
      sources.file = *file;
    }
  }
  sources.environment = std::move(environment);
  sources.overrides = flags.overrides;
  return sources;
}

}  // namespace api
