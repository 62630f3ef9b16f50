// `cep savepoint create|restore|list`: checkpoints as portable directories, for
// upgrades and for moving state to another machine (state/checkpoint_storage.h).
// They work on the data directory of a stopped service: RocksDB's lock tells
// when one is still running there.
#include <spdlog/spdlog.h>

#include <CLI/CLI.hpp>
#include <cstdio>
#include <filesystem>
#include <iostream>
#include <memory>
#include <optional>
#include <string>

#include "api/cli/cli.h"
#include "api/cli/command.h"
#include "state/checkpoint_storage.h"
#include "state/state_store.h"

namespace api {
namespace {

struct SavepointOptions {
  std::string data_dir = "./cep-data";
  std::string dir;  // the savepoint directory: created by create, read by restore
  std::optional<uint64_t> checkpoint;
};

// The data directory's store and checkpoints, as `cep serve` lays them out.
struct DataDir {
  std::unique_ptr<state::StateStore> store;
  std::unique_ptr<state::CheckpointStorage> checkpoints;
};

std::optional<DataDir> OpenDataDir(const std::string& command, const std::string& data_dir,
                                   bool create) {
  const std::filesystem::path root = data_dir;
  if (!create && !std::filesystem::exists(root / "checkpoints")) {
    std::cerr << "cep savepoint " << command << ": no checkpoints in " << data_dir
              << " (is --data-dir the service's data_dir?)\n";
    return std::nullopt;
  }
  DataDir out;
  auto store = state::OpenRocksDbStore(root / "state");
  if (!store) {
    std::cerr << "cep savepoint " << command << ": " << store.error().message()
              << " (a service still running on this data directory holds it: stop it first)\n";
    return std::nullopt;
  }
  out.store = std::move(*store);
  auto checkpoints = state::CheckpointStorage::Open(root / "checkpoints", *out.store);
  if (!checkpoints) {
    std::cerr << "cep savepoint " << command << ": " << checkpoints.error().message() << "\n";
    return std::nullopt;
  }
  out.checkpoints = std::move(*checkpoints);
  return out;
}

int Create(const SavepointOptions& o) {
  auto data = OpenDataDir("create", o.data_dir, /*create=*/false);
  if (!data) return kExitUserError;
  uint64_t id = 0;
  if (o.checkpoint) {
    auto manifest = data->checkpoints->Load(*o.checkpoint);
    if (!manifest) {
      std::cerr << "cep savepoint create: checkpoint " << *o.checkpoint << ": "
                << manifest.error().message() << "\n";
      return kExitUserError;
    }
    id = manifest->id;
  } else {
    auto latest = data->checkpoints->LoadLatestValid();
    if (!latest || !*latest) {
      std::cerr << "cep savepoint create: no valid checkpoint in " << o.data_dir << "\n";
      return kExitUserError;
    }
    id = (*latest)->id;
  }
  if (cep::Status s = data->checkpoints->Export(id, o.dir); !s.ok()) {
    std::cerr << "cep savepoint create: " << s.message() << "\n";
    return kExitUserError;
  }
  std::printf("savepoint of checkpoint %llu written to %s\n", static_cast<unsigned long long>(id),
              o.dir.c_str());
  return kExitOk;
}

int Restore(const SavepointOptions& o) {
  auto data = OpenDataDir("restore", o.data_dir, /*create=*/true);
  if (!data) return kExitUserError;
  auto id = data->checkpoints->Import(o.dir);
  if (!id) {
    std::cerr << "cep savepoint restore: " << id.error().message() << "\n";
    return kExitUserError;
  }
  std::printf("savepoint %s restored as checkpoint %llu of %s: the service starts from it\n",
              o.dir.c_str(), static_cast<unsigned long long>(*id), o.data_dir.c_str());
  return kExitOk;
}

int List(const SavepointOptions& o) {
  auto data = OpenDataDir("list", o.data_dir, /*create=*/false);
  if (!data) return kExitUserError;
  for (uint64_t id : data->checkpoints->List()) {
    auto manifest = data->checkpoints->Load(id);
    if (!manifest) {
      std::printf("%llu\tunusable: %s\n", static_cast<unsigned long long>(id),
                  manifest.error().message().c_str());
      continue;
    }
    std::printf("%llu\tcreated_ms=%lld\twatermark_ms=%lld\tstate_bytes=%llu\tstreams=%zu\n",
                static_cast<unsigned long long>(id), static_cast<long long>(manifest->created_ms),
                static_cast<long long>(manifest->watermark_ms),
                static_cast<unsigned long long>(manifest->state_bytes()), manifest->streams.size());
  }
  return kExitOk;
}

}  // namespace

void AddSavepointCommand(CLI::App& app, Action& action) {
  auto options = std::make_shared<SavepointOptions>();
  CLI::App* command = app.add_subcommand(
      "savepoint", "state snapshots for upgrades and for moving state (service stopped)");
  command->require_subcommand(1);
  auto data_dir = [options](CLI::App* sub) {
    sub->add_option("--data-dir", options->data_dir, "the service's data_dir")->capture_default_str();
  };
  CLI::App* create = command->add_subcommand("create", "write the newest checkpoint to DIR");
  data_dir(create);
  create->add_option("--to", options->dir, "savepoint directory to write (must not exist)")->required();
  create->add_option("--checkpoint", options->checkpoint, "a given checkpoint id instead of the newest");
  create->callback([&action, options] { action = [options] { return Create(*options); }; });

  CLI::App* restore = command->add_subcommand(
      "restore", "make a savepoint the data directory's newest checkpoint");
  data_dir(restore);
  restore->add_option("--from", options->dir, "savepoint directory to read")
      ->required()
      ->check(CLI::ExistingDirectory);
  restore->callback([&action, options] { action = [options] { return Restore(*options); }; });

  CLI::App* list = command->add_subcommand("list", "list the data directory's checkpoints");
  data_dir(list);
  list->callback([&action, options] { action = [options] { return List(*options); }; });
}

}  // namespace api
