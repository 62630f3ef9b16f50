#pragma once

#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "cep/base/result.h"
#include "engine/runtime/service_config.h"

namespace CLI {
class App;
}  // namespace CLI

namespace api {

// Reads one environment variable; nullopt when it is not set. Tests pass a fake.
using EnvironmentLookup = std::function<std::optional<std::string>(std::string_view name)>;

// The real process environment (getenv).
EnvironmentLookup ProcessEnvironment();

// One `key=value` from the command line. `key` is dotted like the file's nesting
// ("kafka.brokers", "slots", "kafka.consumer_settings.fetch.min.bytes"); `value`
// is text, parsed by the key's type. For `rulesets` each override is one file:
// the first one replaces the list from lower layers, later ones append.
struct ConfigOverride {
  std::string key;
  std::string value;
  std::string origin;  // for messages: the flag that gave it, e.g. "--slots"; empty: "--set"
};

// Where the configuration comes from, lowest precedence first:
// defaults < file < environment < overrides.
struct ConfigSources {
  std::optional<std::string> file;                       // YAML; nullopt: no file
  EnvironmentLookup environment = ProcessEnvironment();  // nullptr: no environment
  std::vector<ConfigOverride> overrides;                 // applied in order
};

// Builds the service configuration from `sources` and validates it.
//
// File keys mirror engine::ServiceConfig (snake_case, `kafka:` nested; durations
// as strings like "5s" or "250ms"). Environment variables are CEP_ + the dotted key
// upper-cased with dots as underscores: CEP_KAFKA_BROKERS, CEP_SLOTS, ... (full
// list in api/README.md); CEP_RULESETS is comma-separated and the two settings
// maps take "prop=value,prop=value".
//
// Failure is InvalidArgument (NotFound for a missing file) with every problem
// found, one per line, each naming the key path and where it came from:
// "cep.yaml:7: unknown key 'kafka.broker' (did you mean 'kafka.brokers'?)",
// "CEP_SLOTS: slots: expected an integer, got 'many'",
// "--set queue_capacity=8: queue_capacity: must be at least 16, got 8".
cep::Result<engine::ServiceConfig> LoadServiceConfig(const ConfigSources& sources);

// The checks LoadServiceConfig applies after merging, for a struct built in code.
// Messages name the key path: "kafka.input_format: must be protobuf or json, got 'avro'".
cep::Status ValidateServiceConfig(const engine::ServiceConfig& config);

// The effective configuration as YAML, every key present; LoadServiceConfig reads
// it back to an equal struct. What `cep serve --print-config` prints.
std::string ServiceConfigToYaml(const engine::ServiceConfig& config);

// Every key LoadServiceConfig accepts, dotted, in file order ("kafka.brokers", ...),
// and the environment variable naming each: "kafka.brokers" -> "CEP_KAFKA_BROKERS".
std::vector<std::string> ServiceConfigKeys();
std::string EnvironmentVariableFor(std::string_view key);

// The flags `cep serve` and `cep demo` share. AddServiceConfigFlags registers them
// on a subcommand and fills this struct while CLI11 parses, so `flags` must
// outlive parsing (hold it in a shared_ptr captured by the command's callback, as
// api/cli/replay_command.cc does with its options).
struct ServiceConfigFlags {
  std::string config_file;                // --config FILE
  std::vector<ConfigOverride> overrides;  // --brokers ... --rules ... then --set, in that order
  bool print_config = false;              // --print-config
};

// Declares on `command`: --config FILE, --brokers, --input-topic, --alerts-topic,
// --group-id, --slots, --max-out-of-orderness, --idle-timeout,
// --checkpoint-interval, --data-dir, --rest-address, --rules FILE (repeatable),
// --set KEY=VALUE (repeatable, any key), --print-config. Values are checked by
// LoadServiceConfig, not by CLI11, so every bad value gets the same message; only
// a --set without '=' is a usage error at parse time.
void AddServiceConfigFlags(CLI::App& command, ServiceConfigFlags& flags);

// The sources the parsed flags describe: the file of --config, else of
// CEP_CONFIG in `environment`; the environment; the flags' overrides.
ConfigSources ServiceConfigSourcesFromFlags(const ServiceConfigFlags& flags,
                                            EnvironmentLookup environment = ProcessEnvironment());

}  // namespace api
