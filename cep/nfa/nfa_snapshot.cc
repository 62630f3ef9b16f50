// NfaMatcher::Snapshot / Restore: the byte format is documented in
// cep/nfa/README.md. Restore trusts nothing: a checksum first, then every index,
// state and reference count is checked against the structure it describes, so
// corrupt bytes give kDataLoss instead of a matcher that crashes later.
#include <string>
#include <utility>
#include <vector>

#include "cep/nfa/internal/byte_io.h"
#include "cep/nfa/internal/event_codec.h"
#include "cep/nfa/nfa_matcher.h"

namespace cep {

using internal::ByteReader;
using internal::ByteWriter;
using internal::GetEvent;
using internal::PutEvent;
using internal::SharedBuffer;

namespace {

constexpr uint32_t kMagic = 0x3141464E;  // "NFA1" little-endian
constexpr uint32_t kVersion = 2;  // 2: events carry their input partition

// Ties a snapshot to the program it was taken with.
uint64_t ProgramFingerprint(const NfaProgram& program) {
  return (uint64_t{program.stage_count()} << 48) ^ (uint64_t{program.states().size()} << 24) ^
         uint64_t{program.edges().size()};
}

}  // namespace

// Friend of NfaMatcher: reads and writes its private state.
class NfaSnapshotCodec {
 public:
  static std::string Encode(const NfaMatcher& m);
  static Result<NfaMatcher> Decode(std::shared_ptr<const NfaProgram> program, std::string_view bytes,
                                   NfaOptions options);

 private:
  static Status DecodeBody(NfaMatcher& m, ByteReader& r);
  static Status CheckConsistency(const NfaMatcher& m);
};

std::string NfaSnapshotCodec::Encode(const NfaMatcher& m) {
  ByteWriter w;
  w.Put(kMagic);
  w.Put(kVersion);
  w.Put(ProgramFingerprint(*m.program_));
  w.Put(m.stats_.matches);
  w.Put(m.stats_.timeouts);
  w.Put(m.stats_.pruned);
  w.Put(m.stats_.dropped_partial_matches);
  const auto& events = m.buffer_.events();
  w.Put(static_cast<uint32_t>(events.size()));
  for (const auto& entry : events) {
    w.Put(static_cast<uint8_t>(entry.event != nullptr));
    if (entry.event == nullptr) continue;
    w.Put(entry.refs);
    PutEvent(w, *entry.event);
  }
  const auto& nodes = m.buffer_.nodes();
  w.Put(static_cast<uint32_t>(nodes.size()));
  for (const auto& node : nodes) {
    w.Put(node.event);
    w.Put(node.event == SharedBuffer::kNil ? SharedBuffer::kNil : node.parent);
    w.Put(node.refs);
    w.Put(node.stage);
  }
  w.Put(static_cast<uint32_t>(m.partials_.size()));
  for (const auto& run : m.partials_) {
    w.Put(run.state);
    w.Put(run.node);
    w.Put(run.start_ts.millis());
    w.Put(run.start_seq);
  }
  w.Put(static_cast<uint32_t>(m.held_.size()));
  for (const auto& held : m.held_) {
    w.Put(held.node);
    w.Put(held.start_ts.millis());
    w.Put(held.start_seq);
    w.Put(held.ts.millis());
  }
  w.Put(internal::Fnv1a(w.bytes()));
  return std::move(w.bytes());
}

Result<NfaMatcher> NfaSnapshotCodec::Decode(std::shared_ptr<const NfaProgram> program,
                                            std::string_view bytes, NfaOptions options) {
  if (bytes.size() < sizeof(uint64_t)) return DataLoss("snapshot: too short");
  const std::string_view body = bytes.substr(0, bytes.size() - sizeof(uint64_t));
  ByteReader tail(bytes.substr(body.size()));
  if (tail.Get<uint64_t>() != internal::Fnv1a(body)) return DataLoss("snapshot: checksum mismatch");
  NfaMatcher m(std::move(program), options);
  ByteReader r(body);
  if (r.Get<uint32_t>() != kMagic || r.Get<uint32_t>() != kVersion) {
    return DataLoss("snapshot: not an NFA snapshot of version 1");
  }
  if (r.Get<uint64_t>() != ProgramFingerprint(*m.program_)) {
    return DataLoss("snapshot: taken with a different pattern");
  }
  RETURN_IF_ERROR(DecodeBody(m, r));
  if (r.failed() || r.remaining() != 0) return DataLoss("snapshot: truncated or trailing bytes");
  RETURN_IF_ERROR(CheckConsistency(m));
  return m;
}

Status NfaSnapshotCodec::DecodeBody(NfaMatcher& m, ByteReader& r) {
  m.stats_.matches = r.Get<uint64_t>();
  m.stats_.timeouts = r.Get<uint64_t>();
  m.stats_.pruned = r.Get<uint64_t>();
  m.stats_.dropped_partial_matches = r.Get<uint64_t>();
  const uint32_t event_count = r.Get<uint32_t>();
  if (r.failed() || event_count > r.remaining()) return DataLoss("snapshot: bad event table");
  std::vector<SharedBuffer::EventEntry> events(event_count);
  for (auto& entry : events) {
    if (r.Get<uint8_t>() == 0) continue;
    entry.refs = r.Get<uint32_t>();
    ASSIGN_OR_RETURN(entry.event, GetEvent(r));
  }
  const uint32_t node_count = r.Get<uint32_t>();
  if (r.failed() || node_count > r.remaining()) return DataLoss("snapshot: bad node table");
  std::vector<SharedBuffer::Node> nodes(node_count);
  for (auto& node : nodes) {
    node.event = r.Get<uint32_t>();
    node.parent = r.Get<uint32_t>();
    node.refs = r.Get<uint32_t>();
    node.stage = r.Get<StageIndex>();
  }
  const uint32_t run_count = r.Get<uint32_t>();
  if (r.failed() || run_count > r.remaining()) return DataLoss("snapshot: bad run table");
  m.partials_.resize(run_count);
  for (auto& run : m.partials_) {
    run.state = r.Get<uint32_t>();
    run.node = r.Get<uint32_t>();
    run.start_ts = EventTime::FromMillis(r.Get<int64_t>());
    run.start_seq = r.Get<uint64_t>();
  }
  const uint32_t held_count = r.Get<uint32_t>();
  if (r.failed() || held_count > r.remaining()) return DataLoss("snapshot: bad held table");
  m.held_.resize(held_count);
  for (auto& held : m.held_) {
    held.node = r.Get<uint32_t>();
    held.start_ts = EventTime::FromMillis(r.Get<int64_t>());
    held.start_seq = r.Get<uint64_t>();
    held.ts = EventTime::FromMillis(r.Get<int64_t>());
  }
  if (r.failed()) return DataLoss("snapshot: truncated");
  m.buffer_.Restore(std::move(nodes), std::move(events));
  return Status::Ok();
}

// Recounts every reference from the structure and compares: the buffer must be
// exactly what the runs and held matches need.
Status NfaSnapshotCodec::CheckConsistency(const NfaMatcher& m) {
  const auto& nodes = m.buffer_.nodes();
  const auto& events = m.buffer_.events();
  std::vector<uint32_t> node_refs(nodes.size(), 0), event_refs(events.size(), 0);
  auto ref_node = [&](uint32_t node) {
    if (node == SharedBuffer::kNil) return true;
    if (node >= nodes.size() || nodes[node].event == SharedBuffer::kNil) return false;
    ++node_refs[node];
    return true;
  };
  for (size_t i = 0; i < nodes.size(); ++i) {
    const auto& node = nodes[i];
    if (node.event == SharedBuffer::kNil) continue;
    if (node.event >= events.size() || events[node.event].event == nullptr ||
        node.stage >= m.program_->stage_count() || node.parent == i || !ref_node(node.parent)) {
      return DataLoss("snapshot: bad node " + std::to_string(i));
    }
    ++event_refs[node.event];
  }
  // Parent chains must end: 0 = unvisited, 1 = on the current chain, 2 = ends.
  std::vector<uint8_t> mark(nodes.size(), 0);
  for (size_t i = 0; i < nodes.size(); ++i) {
    uint32_t n = static_cast<uint32_t>(i);
    while (n != SharedBuffer::kNil && nodes[n].event != SharedBuffer::kNil && mark[n] == 0) {
      mark[n] = 1;
      n = nodes[n].parent;
    }
    if (n != SharedBuffer::kNil && mark[n] == 1) return DataLoss("snapshot: cyclic path");
    for (n = static_cast<uint32_t>(i); n != SharedBuffer::kNil && mark[n] == 1; n = nodes[n].parent) {
      mark[n] = 2;
    }
  }
  for (const auto& run : m.partials_) {
    if (run.state >= m.program_->states().size() || !ref_node(run.node)) {
      return DataLoss("snapshot: bad run");
    }
  }
  for (const auto& held : m.held_) {
    if (!ref_node(held.node)) return DataLoss("snapshot: bad held match");
  }
  for (size_t i = 0; i < nodes.size(); ++i) {
    if (nodes[i].event != SharedBuffer::kNil && nodes[i].refs != node_refs[i]) {
      return DataLoss("snapshot: reference count mismatch at node " + std::to_string(i));
    }
  }
  for (size_t i = 0; i < events.size(); ++i) {
    if (events[i].event != nullptr && (events[i].refs != event_refs[i] || event_refs[i] == 0)) {
      return DataLoss("snapshot: reference count mismatch at event " + std::to_string(i));
    }
  }
  return Status::Ok();
}

std::string NfaMatcher::Snapshot() const { return NfaSnapshotCodec::Encode(*this); }

Result<NfaMatcher> NfaMatcher::Restore(std::shared_ptr<const NfaProgram> program,
                                       std::string_view bytes, NfaOptions options) {
  CHECK(program != nullptr, "Restore needs a program");
  return NfaSnapshotCodec::Decode(std::move(program), bytes, options);
}

}  // namespace cep
