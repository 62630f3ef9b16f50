#include "engine/sink/alert_factory.h"

#include "engine/sink/alert_id.h"

namespace engine {
namespace {

void SetValue(const cep::FieldValue& value, cep::v1::Alert::Value& out) {
  struct Visitor {
    cep::v1::Alert::Value& out;
    void operator()(std::monostate) const { out.set_null_value(true); }
    void operator()(bool b) const { out.set_bool_value(b); }
    void operator()(int64_t i) const { out.set_int_value(i); }
    void operator()(double d) const { out.set_number_value(d); }
    void operator()(const std::string& s) const { out.set_string_value(s); }
  };
  std::visit(Visitor{out}, value);
}

cep::v1::Alert::Kind WireKind(cep::RuleAlert::Kind kind) {
  switch (kind) {
    case cep::RuleAlert::Kind::kMatch: return cep::v1::Alert::KIND_MATCH;
    case cep::RuleAlert::Kind::kTimeout: return cep::v1::Alert::KIND_TIMEOUT;
    case cep::RuleAlert::Kind::kWindow: return cep::v1::Alert::KIND_WINDOW;
  }
  return cep::v1::Alert::KIND_UNSPECIFIED;
}

}  // namespace

cep::v1::Alert MakeWireAlert(const cep::Program& program, const cep::RuleAlert& alert) {
  const cep::Rule& rule = program.rules.at(alert.rule);
  cep::v1::Alert out;
  out.set_ruleset(program.ruleset);
  out.set_version(program.version);
  out.set_rule(rule.name);
  out.set_severity(static_cast<cep::v1::Alert::Severity>(rule.severity));
  out.set_kind(WireKind(alert.kind));
  out.set_key(alert.key);
  out.set_ts_ms(alert.ts.millis());
  out.set_mode(rule.mode == cep::RuleMode::kShadow ? cep::v1::Alert::MODE_SHADOW
                                                   : cep::v1::Alert::MODE_LIVE);
  if (alert.event) out.set_event(std::string(alert.event->id()));
  if (rule.is_pattern()) {
    const cep::Pattern& pattern = std::get<cep::PatternBody>(rule.body).nfa->pattern();
    for (size_t i = 0; i < alert.stages.size() && i < pattern.stages.size(); ++i) {
      if (alert.stages[i].empty()) continue;
      cep::v1::Alert::Stage& stage = *out.add_stages();
      stage.set_name(pattern.stages[i].name);
      for (const auto& event : alert.stages[i]) stage.add_event_ids(std::string(event->id()));
    }
  }
  for (const auto& [name, value] : alert.fields) {
    cep::v1::Alert::Field& field = *out.add_fields();
    field.set_name(name);
    SetValue(value, *field.mutable_value());
  }
  out.set_alert_id(ComputeAlertId(out));
  return out;
}

}  // namespace engine
