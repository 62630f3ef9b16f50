#pragma once

#include <string>
#include <vector>

namespace api {

// The flags of `cep replay`, as typed (api/cli/replay_command.cc registers
// them; replay_run.h parses and checks them).
struct ReplayOptions {
  std::string rules;
  std::string input;
  std::string format;
  std::string csv_map;
  std::string id_field = "id";
  std::string max_out_of_orderness = "0s";
  std::string alerts = "-";
  std::string report;
  std::string html;
  int threads = 0;  // 0: one per core
  std::string label_field;  // ground truth: alerts are scored against it
  std::string label_scope = "transaction";  // or "key"
  std::string feedback_delay;
  std::string score_from, score_to;  // score only [from, to)
  std::string compare;  // a second ruleset: alerts added and removed per rule
  std::vector<std::string> set, sweep;
  std::string progress;  // --progress FILE: progress JSON, replaced atomically (replay jobs)
};

}  // namespace api
