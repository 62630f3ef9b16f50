// RulesetRunner checkpoints: BeginSnapshot / ContinueSnapshot (copy on write)
// and Restore / FinishRestore. The record format is in cep/README.md
// ("Checkpoints"). Restore trusts nothing: every record's checksum first, then
// every field; the NFA and window states check their own bytes.
#include <algorithm>
#include <cstring>
#include <string>
#include <utility>

#include "cep/internal/runner_state.h"
#include "cep/nfa/internal/event_codec.h"

namespace cep {

using internal::AsFiring;
using internal::AsLast;
using internal::AsPattern;
using internal::ByteReader;
using internal::ByteWriter;
using internal::FiringState;
using internal::LastState;
using internal::PatternState;
using internal::StateKind;

namespace {

constexpr uint32_t kMagic = 0x31435252;  // "RRC1" little-endian
constexpr uint32_t kVersion = 2;  // 2: key records and events carry their input partition

enum RecordType : uint8_t { kHeaderRecord = 1, kKeyRecord = 2, kEndRecord = 3 };

// u64 checksum, u32 payload size, u8 type; the checksum covers size, type, payload.
constexpr size_t kRecordHeaderSize = 8 + 4 + 1;
// Bounds what Restore believes before it allocates (a record, not the snapshot).
constexpr uint32_t kMaxRecordSize = 1u << 30;

size_t BeginRecord(ByteWriter& w, RecordType type) {
  const size_t start = w.bytes().size();
  w.Put(uint64_t{0});
  w.Put(uint32_t{0});
  w.Put(static_cast<uint8_t>(type));
  return start;
}

// Fills in the size and checksum of the record started at `start`; its size.
size_t EndRecord(ByteWriter& w, size_t start) {
  std::string& bytes = w.bytes();
  const size_t size = bytes.size() - start;
  CHECK(size - kRecordHeaderSize <= kMaxRecordSize, "a checkpoint record is at most 1 GiB");
  const auto payload = static_cast<uint32_t>(size - kRecordHeaderSize);
  std::memcpy(&bytes[start + 8], &payload, sizeof(payload));
  const uint64_t checksum = internal::Fnv1a(std::string_view(bytes).substr(start + 8));
  std::memcpy(&bytes[start], &checksum, sizeof(checksum));
  return size;
}

// Ties pending events to the slot layout they were written with.
uint64_t SchemaFingerprint(const Program& program) {
  std::string text;
  if (program.schema != nullptr) {
    for (const FieldDef& field : program.schema->fields()) {
      text += field.name;
      text += ':';
      text += std::to_string(static_cast<int>(field.type));
      text += ';';
    }
  }
  return internal::Fnv1a(text);
}

}  // namespace

// ---------------------------------------------------------------- writing

void RulesetRunner::BeginSnapshot() {
  CHECK(!snapshotting_, "one snapshot at a time");
  CHECK(late_alerts_.empty(), "late alerts are waiting: AdvanceWatermark(watermark()) first");
  CHECK(restore_ == nullptr, "a restore is in progress: FinishRestore first");
  if (snapshot_ == nullptr) snapshot_ = std::make_unique<SnapshotProgress>();
  SnapshotProgress& s = *snapshot_;
  // Every state now differs from the new epoch: all are owed to this snapshot.
  ++snapshot_epoch_;
  s.rule = 0;
  s.key = 0;
  s.keys = 0;
  s.continued = 0;
  s.stats = SnapshotStats();
  s.stats.rules.resize(rules_.size());
  for (size_t r = 0; r < rules_.size(); ++r) s.stats.rules[r].name = rules_[r]->rule->name;
  WriteHeaderRecord();
  snapshotting_ = true;
}

void RulesetRunner::WriteHeaderRecord() {
  SnapshotProgress& s = *snapshot_;
  ByteWriter& w = s.writer;
  const size_t start = BeginRecord(w, kHeaderRecord);
  w.Put(kMagic);
  w.Put(kVersion);
  w.PutString(program_->ruleset);
  w.Put(program_->version);
  w.Put(SchemaFingerprint(*program_));
  w.Put(watermark_.millis());
  w.Put(static_cast<uint32_t>(rules_.size()));
  for (const auto& runtime : rules_) {
    w.PutString(runtime->rule->name);
    w.Put(runtime->rule->fingerprint);
    w.Put(static_cast<uint8_t>(runtime->kind));
  }
  w.Put(static_cast<uint32_t>(pending_.size()));
  pending_.ForEach([&](const std::shared_ptr<const Event>& event) { PutEvent(w, *event); });
  s.stats.pending_events = pending_.size();
  s.stats.bytes += EndRecord(w, start);
}

void RulesetRunner::WriteKeyRecord(uint32_t r, uint32_t key, KeyState& state) {
  SnapshotProgress& s = *snapshot_;
  ByteWriter& w = s.writer;
  const size_t start = BeginRecord(w, kKeyRecord);
  w.Put(r);
  w.PutString(KeyText(r, key));
  w.Put(state.suppressed_until.millis());
  w.Put(state.armed.millis());
  w.Put(state.partition);
  SnapshotStats::PerRule& stats = s.stats.rules[r];
  switch (rules_[r]->kind) {
    case StateKind::kPattern: {
      const PatternState& pattern = AsPattern(state);
      w.Put(static_cast<uint32_t>(pattern.deadlines.size()));
      for (size_t i = 0; i < pattern.deadlines.size(); ++i) w.Put(pattern.deadlines[i].millis());
      w.PutString(pattern.nfa.Snapshot());
      stats.partial_matches += pattern.nfa.partial_match_count();
      break;
    }
    case StateKind::kLast: w.PutString(AsLast(state).last.Snapshot()); break;
    case StateKind::kFiring: w.PutString(AsFiring(state).firing.Snapshot()); break;
  }
  const size_t bytes = EndRecord(w, start);
  state.snapshot_epoch = snapshot_epoch_;
  ++stats.keys;
  stats.bytes += bytes;
  s.stats.bytes += bytes;
  ++s.keys;
}

bool RulesetRunner::ContinueSnapshot(size_t max_keys) {
  CHECK(snapshotting_, "ContinueSnapshot without BeginSnapshot");
  SnapshotProgress& s = *snapshot_;
  // Free and already written slots cost a look each: bound those too, so one
  // call stays short however sparse the key ids are.
  size_t writes = 0;
  size_t looks = 0;
  const size_t max_looks = std::max<size_t>(max_keys, 1) * 16;
  for (; s.rule < rules_.size(); ++s.rule, s.key = 0) {
    RuleRuntime& runtime = *rules_[s.rule];
    for (; s.key < runtime.states.size(); ++s.key) {
      if (writes == max_keys || looks == max_looks) return false;
      ++looks;
      KeyState* state = runtime.states[s.key];
      if (state == nullptr || state->snapshot_epoch == snapshot_epoch_) continue;
      WriteKeyRecord(s.rule, s.key, *state);
      ++s.continued;
      ++writes;
    }
  }
  ByteWriter& w = s.writer;
  const size_t start = BeginRecord(w, kEndRecord);
  w.Put(s.keys);
  s.stats.bytes += EndRecord(w, start);
  s.stats.copied_on_write = s.keys - s.continued;  // the others were about to change
  snapshotting_ = false;
  s.last = std::move(s.stats);
  s.stats = SnapshotStats();
  return true;
}

void RulesetRunner::TakeSnapshotBytes(std::string& out) {
  out.clear();
  if (snapshot_ != nullptr) out.swap(snapshot_->writer.bytes());
}

const SnapshotStats& RulesetRunner::last_snapshot_stats() const {
  static const SnapshotStats kNone;
  return snapshot_ != nullptr ? snapshot_->last : kNone;
}

// ---------------------------------------------------------------- reading

Status RulesetRunner::Restore(std::string_view records, const std::vector<int32_t>& partitions) {
  if (restore_ == nullptr) {
    // Keys are allowed when earlier restores put them there: a scale-out
    // instance restores each assigned partition from the checkpoint that holds
    // it newest, one snapshot after another.
    CHECK(stats_.events == 0 && !snapshotting_ && (key_count() == 0 || restores_finished_ > 0),
          "Restore needs a runner that has seen no event");
    restore_ = std::make_unique<RestoreProgress>();
    restore_->restored_rules.assign(rules_.size(), false);
    restore_->partitions = partitions;
  }
  RestoreProgress& p = *restore_;
  // A record cut by the piece boundary waits for the rest in `carry` (pieces of
  // a savepoint file are fixed-size reads, not whole records).
  std::string joined;
  if (!p.carry.empty()) {
    joined = std::move(p.carry);
    p.carry.clear();
    joined.append(records);
    records = joined;
  }
  while (!records.empty()) {
    const std::string at = "checkpoint: record at byte " + std::to_string(p.offset);
    if (records.size() < kRecordHeaderSize) break;
    ByteReader head(records.substr(0, kRecordHeaderSize));
    const uint64_t checksum = head.Get<uint64_t>();
    const uint32_t size = head.Get<uint32_t>();
    const uint8_t type = head.Get<uint8_t>();
    if (size > kMaxRecordSize) {
      return DataLoss(at + " announces " + std::to_string(size) + " bytes, more than a record has");
    }
    if (records.size() - kRecordHeaderSize < size) break;
    if (internal::Fnv1a(records.substr(8, kRecordHeaderSize - 8 + size)) != checksum) {
      return DataLoss(at + ": checksum mismatch");
    }
    if (Status status = RestoreRecord(type, records.substr(kRecordHeaderSize, size));
        !status.ok()) {
      return Status(status.code(), at + ": " + status.message());
    }
    records.remove_prefix(kRecordHeaderSize + size);
    p.offset += kRecordHeaderSize + size;
  }
  p.carry.assign(records);
  return Status::Ok();
}

Status RulesetRunner::RestoreRecord(uint8_t type, std::string_view payload) {
  RestoreProgress& p = *restore_;
  if (p.end) return DataLoss("a record after the end record");
  if (!p.header && type != kHeaderRecord) return DataLoss("the first record is not a header");
  switch (type) {
    case kHeaderRecord:
      if (p.header) return DataLoss("a second header");
      return RestoreHeader(payload);
    case kKeyRecord: return RestoreKey(payload);
    case kEndRecord: {
      ByteReader r(payload);
      p.end_keys = r.Get<uint64_t>();
      if (r.failed() || r.remaining() != 0) return DataLoss("bad end record");
      p.end = true;
      return Status::Ok();
    }
    default: return DataLoss("unknown record type " + std::to_string(type));
  }
}

Status RulesetRunner::RestoreHeader(std::string_view payload) {
  RestoreProgress& p = *restore_;
  ByteReader r(payload);
  if (r.Get<uint32_t>() != kMagic) return DataLoss("not a ruleset runner checkpoint (magic)");
  if (const uint32_t version = r.Get<uint32_t>(); version != kVersion) {
    return DataLoss("unknown checkpoint version " + std::to_string(version));
  }
  (void)r.GetString();  // ruleset and version: informative, rules match by name
  (void)r.Get<uint32_t>();
  const bool same_schema = r.Get<uint64_t>() == SchemaFingerprint(*program_);
  const int64_t watermark = r.Get<int64_t>();
  const uint32_t rule_count = r.Get<uint32_t>();
  if (r.failed() || rule_count > r.remaining()) return DataLoss("bad header");
  for (uint32_t i = 0; i < rule_count; ++i) {
    const std::string_view name = r.GetString();
    const uint64_t fingerprint = r.Get<uint64_t>();
    const uint8_t kind = r.Get<uint8_t>();
    if (r.failed() || kind > static_cast<uint8_t>(StateKind::kFiring)) {
      return DataLoss("bad rule table in the header");
    }
    uint32_t target = RestoreProgress::kSkip;
    for (uint32_t rule = 0; rule < rules_.size(); ++rule) {
      if (rules_[rule]->rule->name != name) continue;
      if (p.restored_rules[rule]) return DataLoss("rule '" + std::string(name) + "' twice");
      if (rules_[rule]->rule->fingerprint == fingerprint &&
          static_cast<uint8_t>(rules_[rule]->kind) == kind) {
        target = rule;
        p.restored_rules[rule] = true;
      }
    }
    if (target == RestoreProgress::kSkip &&
        std::none_of(rules_.begin(), rules_.end(),
                     [&](const auto& rt) { return rt->rule->name == name; })) {
      p.stats.rules_dropped.emplace_back(name);
    }
    p.rule_map.push_back(target);
    p.kinds.push_back(static_cast<StateKind>(kind));
  }
  const uint32_t pending = r.Get<uint32_t>();
  if (r.failed() || pending > r.remaining()) return DataLoss("bad pending event count");
  if (pending > 0 && !same_schema) {
    return FailedPrecondition(std::to_string(pending) +
                              " buffered events were written under another schema");
  }
  for (uint32_t i = 0; i < pending; ++i) {
    ASSIGN_OR_RETURN(std::shared_ptr<const Event> event, internal::GetEvent(r));
    if (event->ts() <= EventTime::FromMillis(watermark)) {
      return DataLoss("a buffered event is behind the watermark");
    }
    if (p.Wanted(event->partition())) pending_.Add(std::move(event));
  }
  if (r.failed() || r.remaining() != 0) {
    return DataLoss("truncated or trailing bytes in the header");
  }
  // After an earlier snapshot: the lower of the two, so that neither's
  // buffered events or timers are behind it.
  const EventTime restored_watermark = EventTime::FromMillis(watermark);
  watermark_ = restores_finished_ == 0 ? restored_watermark : std::min(watermark_, restored_watermark);
  p.stats.pending_events = pending_.size();
  p.header = true;
  return Status::Ok();
}

Status RulesetRunner::RestoreKey(std::string_view payload) {
  RestoreProgress& p = *restore_;
  ++p.keys;
  ByteReader r(payload);
  const uint32_t snapshot_rule = r.Get<uint32_t>();
  if (r.failed() || snapshot_rule >= p.rule_map.size()) return DataLoss("bad rule index");
  const uint32_t rule = p.rule_map[snapshot_rule];
  if (rule == RestoreProgress::kSkip) {
    ++p.stats.keys_skipped;
    return Status::Ok();
  }
  const std::string_view key_text = r.GetString();
  const EventTime suppressed_until = EventTime::FromMillis(r.Get<int64_t>());
  const EventTime armed = EventTime::FromMillis(r.Get<int64_t>());
  const int32_t partition = r.Get<int32_t>();
  if (r.failed()) return DataLoss("truncated key record");
  if (!p.Wanted(partition)) {
    ++p.stats.keys_of_other_partitions;
    return Status::Ok();
  }
  RuleRuntime& runtime = *rules_[rule];
  std::unique_ptr<KeyState, std::function<void(KeyState*)>> state(
      nullptr, [&runtime](KeyState* s) { runtime.Delete(s); });
  switch (runtime.kind) {
    case StateKind::kPattern: {
      const auto& nfa = std::get<PatternBody>(runtime.rule->body).nfa;
      auto pattern = std::make_unique<PatternState>(nfa);
      const uint32_t deadlines = r.Get<uint32_t>();
      if (r.failed() || deadlines > r.remaining() / sizeof(int64_t)) {
        return DataLoss("bad deadline count");
      }
      for (uint32_t i = 0; i < deadlines; ++i) {
        const EventTime deadline = EventTime::FromMillis(r.Get<int64_t>());
        if (!pattern->deadlines.empty() && deadline < pattern->deadlines.back()) {
          return DataLoss("deadlines out of order");
        }
        pattern->deadlines.push_back(deadline);
      }
      const std::string_view bytes = r.GetString();
      if (r.failed()) return DataLoss("truncated key record");
      auto restored = NfaMatcher::Restore(nfa, bytes);
      if (!restored.ok()) return DataLoss(restored.error().message());
      pattern->nfa = std::move(restored).value();
      state.reset(pattern.release());
      break;
    }
    case StateKind::kLast:
    case StateKind::kFiring: {
      const WindowSpec& spec = *std::get<WindowBody>(runtime.rule->body).spec;
      const std::string_view bytes = r.GetString();
      if (r.failed()) return DataLoss("truncated key record");
      if (runtime.kind == StateKind::kLast) {
        auto restored = LastWindowState::Restore(spec, bytes);
        if (!restored.ok()) return DataLoss("last window: " + restored.error().message());
        auto last = std::make_unique<LastState>(spec);
        last->last = std::move(restored).value();
        state.reset(last.release());
      } else {
        auto restored = FiringWindowState::Restore(spec, bytes);
        if (!restored.ok()) return DataLoss("window: " + restored.error().message());
        auto firing = std::make_unique<FiringState>(spec);
        firing->firing = std::move(restored).value();
        state.reset(firing.release());
      }
      break;
    }
  }
  if (r.remaining() != 0) return DataLoss("trailing bytes in a key record");
  state->suppressed_until = suppressed_until;
  state->armed = armed;
  state->partition = partition;
  state->snapshot_epoch = snapshot_epoch_;
  KeyTable& table = *key_tables_[runtime.table];
  const uint32_t key = table.Intern(key_text);
  if (key >= runtime.states.size()) runtime.states.resize(std::max<size_t>(table.id_limit(), 16));
  if (runtime.states[key] != nullptr) {
    // Sessions restore disjoint partitions: a key of one of this session's is
    // twice in this snapshot.
    if (restores_finished_ == 0 || p.partitions.empty() || p.Wanted(runtime.states[key]->partition)) {
      return DataLoss("key '" + std::string(key_text) + "' of rule '" + runtime.rule->name +
                      "' twice");
    }
    // An earlier snapshot restored it for another partition: the key's events
    // came from two partitions (not scoped by partition); the first one stays.
    ++p.stats.keys_conflicting;
    return Status::Ok();
  }
  runtime.states[key] = state.release();
  table.AddHolder(key);
  ++runtime.live;
  ++p.stats.keys_restored;
  return Status::Ok();
}

Result<RestoreStats> RulesetRunner::FinishRestore() {
  if (restore_ == nullptr) return DataLoss("checkpoint: no records");
  std::unique_ptr<RestoreProgress> p = std::move(restore_);
  if (!p->carry.empty()) {
    return DataLoss("checkpoint: record at byte " + std::to_string(p->offset) + " is truncated (" +
                    std::to_string(p->carry.size()) + " bytes of it)");
  }
  if (!p->header) return DataLoss("checkpoint: no header record");
  if (!p->end) return DataLoss("checkpoint: no end record (the snapshot was not complete)");
  if (p->keys != p->end_keys) {
    return DataLoss("checkpoint: " + std::to_string(p->keys) +
                    " key records, the end record says " + std::to_string(p->end_keys));
  }
  ++restores_finished_;
  timers_.clear();
  for (uint32_t r = 0; r < rules_.size(); ++r) {
    const RuleRuntime& runtime = *rules_[r];
    if (!p->restored_rules[r]) p->stats.rules_started_empty.push_back(runtime.rule->name);
    for (uint32_t key = 0; key < runtime.states.size(); ++key) {
      const KeyState* state = runtime.states[key];
      if (state != nullptr && state->armed != EventTime::Max()) {
        timers_.push_back({state->armed, r, key});
      }
    }
  }
  std::make_heap(timers_.begin(), timers_.end());
  return std::move(p->stats);
}

}  // namespace cep
