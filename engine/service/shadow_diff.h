#pragma once

#include <cstdint>
#include <map>
#include <mutex>
#include <string>
#include <unordered_map>
#include <vector>

#include "api/proto/alert.pb.h"
#include "cep/base/time.h"

namespace engine {

// Live shadow diff (GET /v1/rulesets/{name}/shadow-diff): the alerts a
// ruleset's shadow version raised that its live version did not (added) and
// the reverse (removed), per rule, since the shadow version was activated.
// Alerts are matched by what they say (AlertSignature: rule, kind, key, ts,
// events), not by id, which hashes the version.
//
// An alert seen on one side only is not final until both sides are past its
// ts by their ordering holdback: the other side may still raise it. Until
// then it counts as pending. At most `max_pending` alerts wait; beyond, the
// oldest are settled as they stand (counted in `overflowed`).
//
// Threading: any thread (the two lanes' sink threads feed it, the REST
// handler reads it); one mutex, taken per alert and per collect, never per event.
class ShadowDiff {
 public:
  enum class Side : uint8_t { kLive, kShadow };

  struct RuleFigures {
    std::string rule;
    uint64_t live = 0;
    uint64_t shadow = 0;
    uint64_t both = 0;
    uint64_t added = 0;    // shadow only, final
    uint64_t removed = 0;  // live only, final
    uint64_t pending = 0;  // one side only so far
  };
  struct Report {
    uint32_t live_version = 0;
    uint32_t shadow_version = 0;
    int64_t since_ms = 0;  // wall time the shadow version was activated
    std::vector<RuleFigures> rules;  // by rule name
    uint64_t overflowed = 0;
  };

  ShadowDiff(uint32_t shadow_version, int64_t since_ms, size_t max_pending = 1'000'000);

  void Add(Side side, const cep::v1::Alert& alert);
  // Every alert of `side` stamped before `settled` has been added.
  void SettledUpTo(Side side, cep::EventTime settled);
  void SetLiveVersion(uint32_t version);
  void SetShadowVersion(uint32_t version);
  Report report() const;

 private:
  struct Pending {
    std::string rule;
    int64_t ts_ms = 0;
    uint64_t live = 0;
    uint64_t shadow = 0;
  };
  void Settle(int64_t before_ms);  // mutex held
  void Count(const Pending& pending);  // mutex held

  mutable std::mutex mutex_;
  uint32_t live_version_ = 0;
  uint32_t shadow_version_;
  const int64_t since_ms_;
  const size_t max_pending_;
  std::unordered_map<std::string, Pending> pending_;    // by signature
  std::multimap<int64_t, std::string> by_ts_;           // ts -> signature, for settling
  std::map<std::string, RuleFigures> rules_;            // final figures
  cep::EventTime settled_[2] = {cep::EventTime::Min(), cep::EventTime::Min()};
  uint64_t overflowed_ = 0;
};

}  // namespace engine
