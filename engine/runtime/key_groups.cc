#include "engine/runtime/key_groups.h"

#include <algorithm>
#include <bit>
#include <string_view>

namespace engine {

std::vector<KeyGroup> SplitByKey(const cep::Program& program) {
  std::vector<KeyGroup> groups;
  std::vector<std::shared_ptr<cep::Program>> programs;
  for (uint32_t i = 0; i < program.rules.size(); ++i) {
    const cep::Rule& rule = program.rules[i];
    auto it = std::find_if(groups.begin(), groups.end(),
                           [&](const KeyGroup& g) { return g.key_slots == rule.key_slots; });
    if (it == groups.end()) {
      auto sub = std::make_shared<cep::Program>();
      sub->ruleset = program.ruleset;
      sub->version = program.version;
      sub->schema = program.schema;
      sub->regex = program.regex;
      programs.push_back(sub);
      groups.push_back({rule.key_slots, nullptr, {}});
      it = groups.end() - 1;
    }
    const size_t g = static_cast<size_t>(it - groups.begin());
    programs[g]->rules.push_back(rule);
    it->rule_index.push_back(i);
  }
  for (size_t g = 0; g < groups.size(); ++g) groups[g].program = programs[g];
  return groups;
}

namespace {

uint64_t Mix(uint64_t h, uint64_t v) {
  // splitmix64 finaliser over the running hash: cheap and well spread.
  h ^= v + 0x9e3779b97f4a7c15ULL + (h << 6) + (h >> 2);
  h ^= h >> 30;
  h *= 0xbf58476d1ce4e5b9ULL;
  h ^= h >> 27;
  h *= 0x94d049bb133111ebULL;
  return h ^ (h >> 31);
}

uint64_t HashBytes(std::string_view s) {
  uint64_t h = 0xcbf29ce484222325ULL;  // FNV-1a
  for (char c : s) h = (h ^ static_cast<unsigned char>(c)) * 0x100000001b3ULL;
  return h;
}

}  // namespace

uint32_t SlotOf(const KeyGroup& group, const cep::Event& event, uint32_t slots) {
  if (slots <= 1 || group.key_slots.empty()) return 0;
  uint64_t h = 0;
  for (cep::SlotIndex slot : group.key_slots) {
    const cep::Value& v = event.field(slot);
    switch (v.type()) {
      case cep::Type::kNull: return 0;
      case cep::Type::kString: h = Mix(h, HashBytes(v.string_value())); break;
      case cep::Type::kBool: h = Mix(h, v.bool_value() ? 1 : 0); break;
      case cep::Type::kFloat: h = Mix(h, std::bit_cast<uint64_t>(v.float_value())); break;
      case cep::Type::kInt: h = Mix(h, static_cast<uint64_t>(v.int_value())); break;
      case cep::Type::kDecimal: h = Mix(h, static_cast<uint64_t>(v.decimal_micros())); break;
      case cep::Type::kTime: h = Mix(h, static_cast<uint64_t>(v.time_value().millis())); break;
      case cep::Type::kDuration: h = Mix(h, static_cast<uint64_t>(v.duration_value().millis())); break;
    }
  }
  return static_cast<uint32_t>(h % slots);
}

}  // namespace engine
