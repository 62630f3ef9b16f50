// ParseReplayRequest: the `POST /v1/replays` body, field by field.
#include <cstdint>
#include <nlohmann/json.hpp>
#include <set>
#include <string>
#include <vector>

#include "api/replay_jobs/replay_jobs.h"
#include "cep/base/time.h"

namespace api::replay_jobs {
namespace {

const std::set<std::string, std::less<>> kFields = {
    "ruleset",  "version",     "input",          "format",
    "csv_map",  "label_field", "label_scope",    "feedback_delay",
    "max_out_of_orderness",    "set",            "threads",
    "topic",    "from",        "to"};

// Collects every problem of one body, so a client fixes them all at once.
class Checker {
 public:
  explicit Checker(const nlohmann::json& body) : body_(body) {}

  void String(const char* field, std::string& out) {
    auto it = body_.find(field);
    if (it == body_.end() || it->is_null()) return;
    if (!it->is_string()) return Problem(field, "expected a string");
    out = it->get<std::string>();
  }
  void OneOf(const char* field, const std::string& value, std::initializer_list<const char*> allowed) {
    if (value.empty()) return;
    std::string list;
    for (const char* a : allowed) {
      if (value == a) return;
      list += list.empty() ? a : std::string(", ") + a;
    }
    Problem(field, "expected one of " + list + ", got '" + value + "'");
  }
  void Duration(const char* field, const std::string& value) {
    if (value.empty()) return;
    if (auto parsed = cep::ParseDuration(value); !parsed || parsed->millis() < 0) {
      Problem(field, "expected a duration such as 250ms, 5s, 7d, got '" + value + "'");
    }
  }
  void Time(const char* field, int64_t& out) {
    auto it = body_.find(field);
    if (it == body_.end() || it->is_null()) return;
    if (it->is_number_integer()) {
      out = it->get<int64_t>();
    } else if (it->is_string()) {
      auto parsed = cep::ParseIso8601(it->get<std::string>());
      if (!parsed) return Problem(field, parsed.error().message());
      out = parsed->millis();
    } else {
      Problem(field, "expected milliseconds since the epoch or an ISO-8601 time");
    }
  }
  void Problem(std::string_view field, std::string_view message) {
    problems_.push_back("'" + std::string(field) + "': " + std::string(message));
  }
  bool has(const char* field) const { return body_.contains(field) && !body_[field].is_null(); }
  cep::Status status() const {
    if (problems_.empty()) return cep::Status::Ok();
    std::string message = "invalid replay request: ";
    for (size_t i = 0; i < problems_.size(); ++i) message += (i > 0 ? "; " : "") + problems_[i];
    return cep::InvalidArgument(message);
  }

 private:
  const nlohmann::json& body_;
  std::vector<std::string> problems_;
};

}  // namespace

cep::Result<ReplayRequest> ParseReplayRequest(const nlohmann::json& body) {
  if (!body.is_object()) return cep::InvalidArgument("a replay request is a JSON object");
  Checker check(body);
  for (const auto& [name, value] : body.items()) {
    if (!kFields.contains(name)) check.Problem(name, "unknown field");
  }
  ReplayRequest r;
  check.String("ruleset", r.ruleset);
  if (r.ruleset.empty()) check.Problem("ruleset", "required: the ruleset's name");
  if (check.has("version")) {
    const auto& v = body["version"];
    if (!v.is_number_integer() || v.get<int64_t>() < 1 || v.get<int64_t>() > int64_t{UINT32_MAX}) {
      check.Problem("version", "expected a version number >= 1");
    } else {
      r.version = v.get<uint32_t>();
    }
  }
  check.String("input", r.input);
  check.String("topic", r.topic);
  check.String("format", r.format);
  check.String("csv_map", r.csv_map);
  check.String("label_field", r.label_field);
  check.String("label_scope", r.label_scope);
  check.String("feedback_delay", r.feedback_delay);
  check.String("max_out_of_orderness", r.max_out_of_orderness);
  check.OneOf("format", r.format, {"jsonl", "csv", "protobuf"});
  check.OneOf("label_scope", r.label_scope, {"transaction", "key"});
  check.Duration("feedback_delay", r.feedback_delay);
  check.Duration("max_out_of_orderness", r.max_out_of_orderness);
  if (!r.feedback_delay.empty() && r.label_field.empty()) {
    check.Problem("feedback_delay", "needs label_field (feedback is made from the labels)");
  }
  if (check.has("threads")) {
    const auto& t = body["threads"];
    if (!t.is_number_integer() || t.get<int64_t>() < 0 || t.get<int64_t>() > 256) {
      check.Problem("threads", "expected an integer 0..256 (0: one per core)");
    } else {
      r.threads = t.get<int>();
    }
  }
  if (check.has("set")) {
    const auto& set = body["set"];
    static const nlohmann::json kNone = nlohmann::json::object();
    if (!set.is_object()) check.Problem("set", "expected an object {\"NAME\": value}");
    for (const auto& [name, value] : (set.is_object() ? set : kNone).items()) {
      if (name.empty() || name.find('=') != std::string::npos || name.find('.') != std::string::npos) {
        check.Problem("set", "'" + name + "' is not a const name");
      } else if (value.is_string()) {
        r.set[name] = value.get<std::string>();
      } else if (value.is_number() || value.is_boolean()) {
        r.set[name] = value.dump();
      } else {
        check.Problem("set", "the value of '" + name + "' must be a string, number or boolean");
      }
    }
  }
  if (r.input.empty() == r.topic.empty()) {
    check.Problem(r.input.empty() ? "input" : "topic",
                  "give exactly one of 'input' (a file) and 'topic' (a Kafka topic and time range)");
  }
  if (!r.topic.empty()) {
    check.Time("from", r.from_ms);
    check.Time("to", r.to_ms);
    if (r.from_ms >= r.to_ms) check.Problem("to", "must be after 'from'");
    if (!r.format.empty()) check.Problem("format", "a topic's format is the service's kafka.input_format");
    if (!r.csv_map.empty()) check.Problem("csv_map", "applies to CSV files, not to a topic");
  } else {
    if (check.has("from")) check.Problem("from", "applies to 'topic' input only");
    if (check.has("to")) check.Problem("to", "applies to 'topic' input only");
  }
  RETURN_IF_ERROR(check.status());
  return r;
}

}  // namespace api::replay_jobs
