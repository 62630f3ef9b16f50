#pragma once

#include "api/cli/replay_options.h"

namespace api {

// `cep replay --sweep NAME=FROM..TO:STEP` (repeatable: a grid): replays every
// combination of const values in ONE pass over the input (one decode; rules
// that read no swept const run once, the others once per variant; see
// engine/replay/sweep_program.h) and reports one row per variant, the Pareto
// front of precision vs recall marked. The JSON report describes the selected
// variant (highest F1; without labels the first) and adds "selected" and
// "sweep". The alerts file gets every variant's alerts, variant by variant,
// each in the usual order and with a "variant" field ({"NAME": "VALUE"}).
// Returns the exit code. Threading: the calling thread (plus the replay's own).
int RunSweep(const ReplayOptions& o);

}  // namespace api
