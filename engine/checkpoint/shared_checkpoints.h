#pragma once

#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

#include "cep/base/result.h"
#include "state/checkpoint_manifest.h"
#include "state/checkpoint_storage.h"

namespace engine {

// Scale-out (config `scale_out`, deploy/README.md "Scaling out"): the directory
// on shared storage through which instances of one consumer group hand input
// partitions' state to each other. Each instance publishes every checkpoint it
// completes there as a savepoint (a manifest and one file per state stream):
//
//   <shared_state_dir>/<instance>/checkpoint-<id, 20 digits>/manifest.json, *.state
//
// written under a ".tmp" name and renamed, so a directory with that name is
// complete. An instance assigned partitions restores each one from the
// published checkpoint that holds it newest (the highest next offset; on a tie
// the later one), whoever wrote it. Key state carries the partition of its
// latest event (cep::RulesetRunner::Restore), so a checkpoint of several
// partitions restores one of them alone.
//
// Threading: one owner (the service's source thread). Several processes share
// the directory: each writes only its own <instance> directory and deletes
// only checkpoints that no partition needs any more (Prune).
class SharedCheckpoints {
 public:
  SharedCheckpoints(std::filesystem::path dir, std::string instance, std::string input_topic);

  // Publishes checkpoint `id` of `storage` (this instance's), then prunes.
  cep::Status Publish(const state::CheckpointStorage& storage, uint64_t id);

  // Where to restore partitions from: one published checkpoint and the
  // partitions it is the newest for.
  struct Source {
    std::filesystem::path dir;
    state::Manifest manifest;
    std::vector<int32_t> partitions;  // sorted
  };
  // For `partitions`, the published checkpoints to restore them from; a
  // partition none holds is in no Source (it starts empty, at the group's
  // offset). Unreadable checkpoint directories are skipped with a warning.
  cep::Result<std::vector<Source>> Find(const std::vector<int32_t>& partitions) const;

  // Deletes every published checkpoint (of any instance) that some other one
  // supersedes for each input partition it holds, keeping each instance's
  // newest: nothing restores from those any more. Errors are logged.
  void Prune() const;

  const std::filesystem::path& dir() const { return dir_; }
  const std::string& instance() const { return instance_; }

 private:
  struct Published {
    std::filesystem::path dir;
    std::string instance;
    uint64_t id = 0;
    state::Manifest manifest;
  };
  std::vector<Published> List() const;

  std::filesystem::path dir_;
  std::string instance_;
  std::string topic_;
};

}  // namespace engine
