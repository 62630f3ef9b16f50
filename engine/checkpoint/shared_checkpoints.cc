#include "engine/checkpoint/shared_checkpoints.h"

#include <fcntl.h>
#include <spdlog/spdlog.h>
#include <unistd.h>

#include <algorithm>
#include <charconv>
#include <map>
#include <optional>
#include <tuple>

namespace engine {
namespace fs = std::filesystem;

namespace {

constexpr std::string_view kPrefix = "checkpoint-";
constexpr std::string_view kTmpSuffix = ".tmp";

std::string DirName(uint64_t id) {
  std::string digits = std::to_string(id);
  return std::string(kPrefix) + std::string(20 - std::min<size_t>(20, digits.size()), '0') + digits;
}

std::optional<uint64_t> IdOf(const std::string& name) {
  if (name.rfind(kPrefix, 0) != 0) return std::nullopt;
  const std::string_view digits = std::string_view(name).substr(kPrefix.size());
  uint64_t id = 0;
  auto [ptr, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), id);
  if (ec != std::errc() || ptr != digits.data() + digits.size()) return std::nullopt;  // *.tmp too
  return id;
}

// The rename that publishes a checkpoint must survive a crash.
void SyncDir(const fs::path& dir) {
  const int fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) return;
  (void)::fsync(fd);
  ::close(fd);
}

}  // namespace

SharedCheckpoints::SharedCheckpoints(fs::path dir, std::string instance, std::string input_topic)
    : dir_(std::move(dir)), instance_(std::move(instance)), topic_(std::move(input_topic)) {}

cep::Status SharedCheckpoints::Publish(const state::CheckpointStorage& storage, uint64_t id) {
  const fs::path own = dir_ / instance_;
  const fs::path final_dir = own / DirName(id);
  const fs::path tmp = own / (DirName(id) + std::string(kTmpSuffix));
  std::error_code ec;
  fs::create_directories(own, ec);
  if (ec) return cep::Unavailable("creating '" + own.string() + "': " + ec.message());
  fs::remove_all(tmp, ec);  // left by a crash mid-export
  RETURN_IF_ERROR(storage.Export(id, tmp));
  fs::remove_all(final_dir, ec);  // the same id again after a local restart
  fs::rename(tmp, final_dir, ec);
  if (ec) return cep::Unavailable("publishing '" + final_dir.string() + "': " + ec.message());
  SyncDir(own);
  spdlog::debug("checkpoint {} published to {}", id, final_dir.string());
  Prune();
  return cep::Status();
}

std::vector<SharedCheckpoints::Published> SharedCheckpoints::List() const {
  std::vector<Published> out;
  std::error_code ec;
  for (const fs::directory_entry& instance : fs::directory_iterator(dir_, ec)) {
    if (!instance.is_directory(ec)) continue;
    std::error_code inner;
    for (const fs::directory_entry& entry : fs::directory_iterator(instance.path(), inner)) {
      const std::optional<uint64_t> id = IdOf(entry.path().filename().string());
      if (!id) continue;
      auto manifest = state::CheckpointStorage::LoadSavepoint(entry.path());
      if (!manifest) {
        // Pruned by another instance while listing, or damaged: not a source.
        if (manifest.error().code() != cep::StatusCode::kNotFound) {
          spdlog::warn("scale-out: skipping {}: {}", entry.path().string(), manifest.error().message());
        }
        continue;
      }
      out.push_back({entry.path(), instance.path().filename().string(), *id, std::move(*manifest)});
    }
  }
  return out;
}

namespace {

// How new a published checkpoint is for one partition: the next offset first,
// then wall time, then names (a total order, the same in every instance).
using Newness = std::tuple<int64_t, int64_t, std::string, uint64_t>;

}  // namespace

cep::Result<std::vector<SharedCheckpoints::Source>> SharedCheckpoints::Find(
    const std::vector<int32_t>& partitions) const {
  std::error_code ec;
  if (!fs::is_directory(dir_, ec)) {
    return cep::Unexpected(cep::Unavailable("shared_state_dir '" + dir_.string() +
                                            "' is not a directory (is the shared volume mounted?)"));
  }
  const std::vector<Published> published = List();
  std::map<int32_t, std::pair<Newness, size_t>> best;  // partition -> newest, index in `published`
  for (size_t i = 0; i < published.size(); ++i) {
    const Published& p = published[i];
    for (const state::SourceOffset& o : p.manifest.offsets) {
      if (o.topic != topic_ ||
          std::find(partitions.begin(), partitions.end(), o.partition) == partitions.end()) {
        continue;
      }
      Newness newness{o.next_offset, p.manifest.created_ms, p.instance, p.id};
      auto it = best.find(o.partition);
      if (it == best.end() || it->second.first < newness) best[o.partition] = {newness, i};
    }
  }
  std::map<size_t, Source> by_checkpoint;
  for (const auto& [partition, chosen] : best) {
    Source& source = by_checkpoint[chosen.second];
    source.dir = published[chosen.second].dir;
    source.manifest = published[chosen.second].manifest;
    source.partitions.push_back(partition);
  }
  std::vector<Source> out;
  for (auto& [index, source] : by_checkpoint) out.push_back(std::move(source));
  return out;
}

void SharedCheckpoints::Prune() const {
  const std::vector<Published> published = List();
  std::map<int32_t, Newness> newest;  // per partition of the input topic
  std::map<std::string, uint64_t> latest;  // per instance: its newest id
  for (const Published& p : published) {
    latest[p.instance] = std::max(latest[p.instance], p.id);
    for (const state::SourceOffset& o : p.manifest.offsets) {
      if (o.topic != topic_) continue;
      Newness newness{o.next_offset, p.manifest.created_ms, p.instance, p.id};
      auto it = newest.find(o.partition);
      if (it == newest.end() || it->second < newness) newest[o.partition] = newness;
    }
  }
  for (const Published& p : published) {
    if (latest[p.instance] == p.id) continue;
    const bool needed = std::any_of(
        p.manifest.offsets.begin(), p.manifest.offsets.end(), [&](const state::SourceOffset& o) {
          return o.topic == topic_ &&
                 newest[o.partition] == Newness{o.next_offset, p.manifest.created_ms, p.instance, p.id};
        });
    if (needed) continue;
    // Renamed first, so that no reader lists it half deleted.
    std::error_code ec;
    fs::path doomed = p.dir;
    doomed += ".deleting";
    fs::rename(p.dir, doomed, ec);
    if (ec == std::errc::no_such_file_or_directory) continue;  // another instance pruned it
    if (!ec) fs::remove_all(doomed, ec);
    if (ec) {
      spdlog::warn("scale-out: could not delete superseded {}: {}", p.dir.string(), ec.message());
    } else {
      spdlog::debug("scale-out: deleted superseded {}", p.dir.string());
    }
  }
}

}  // namespace engine
