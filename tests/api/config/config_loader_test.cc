#include "api/config/config_loader.h"

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <string>
#include <vector>

#include <CLI/CLI.hpp>
#include <gmock/gmock.h>
#include <gtest/gtest.h>

namespace api {
namespace {

using ::testing::HasSubstr;

// A fake environment: only the variables the test sets.
EnvironmentLookup FakeEnvironment(std::map<std::string, std::string> vars) {
  return [vars = std::move(vars)](std::string_view name) -> std::optional<std::string> {
    auto it = vars.find(std::string(name));
    if (it == vars.end()) return std::nullopt;
    return it->second;
  };
}

// Writes `text` to a file named after the running test; returns its path.
std::string WriteConfig(const std::string& text, const std::string& name = "cep.yaml") {
  const auto* info = ::testing::UnitTest::GetInstance()->current_test_info();
  const std::filesystem::path dir =
      std::filesystem::path(::testing::TempDir()) /
      (std::string("config_tests_") + info->test_suite_name() + "_" + info->name());
  std::filesystem::create_directories(dir);
  const std::filesystem::path path = dir / name;
  std::ofstream(path) << text;
  return path.string();
}

ConfigSources Sources(std::optional<std::string> file = std::nullopt,
                      std::map<std::string, std::string> env = {},
                      std::vector<ConfigOverride> overrides = {}) {
  return {std::move(file), FakeEnvironment(std::move(env)), std::move(overrides)};
}

// The message of a failed load; fails the test if the load succeeded.
std::string LoadError(const ConfigSources& sources) {
  auto loaded = LoadServiceConfig(sources);
  EXPECT_FALSE(loaded.has_value()) << ServiceConfigToYaml(*loaded);
  return loaded ? "" : loaded.error().message();
}

std::string FileError(const std::string& yaml) { return LoadError(Sources(WriteConfig(yaml))); }

std::string SetError(const std::string& key, const std::string& value) {
  return LoadError(Sources(std::nullopt, {}, {{key, value, ""}}));
}

TEST(ConfigLoaderTest, NoSourcesGiveTheDefaults) {
  auto loaded = LoadServiceConfig(Sources());
  ASSERT_TRUE(loaded.has_value()) << loaded.error().message();
  EXPECT_EQ(*loaded, engine::ServiceConfig{});
  EXPECT_EQ(loaded->kafka.brokers, "");
  EXPECT_EQ(loaded->kafka.input_topic, "transactions");
  EXPECT_EQ(loaded->slots, 0);
  EXPECT_EQ(loaded->queue_capacity, 4096u);
  EXPECT_EQ(loaded->idle_timeout, cep::Duration::Seconds(10));
  EXPECT_EQ(loaded->checkpoint_interval, cep::Duration::Seconds(10));
  EXPECT_EQ(loaded->max_out_of_orderness, cep::Duration::Zero());
  EXPECT_EQ(loaded->data_dir, "./cep-data");
  EXPECT_EQ(loaded->rest_address, "127.0.0.1:8080");
  EXPECT_TRUE(ValidateServiceConfig(engine::ServiceConfig{}).ok());
}

TEST(ConfigLoaderTest, FileOverridesDefaults) {
  const std::string path = WriteConfig(R"(
kafka:
  brokers: kafka-1:9092,kafka-2:9092
  input_topic: payments
  input_format: json
  consumer_settings:
    fetch.min.bytes: 1
    client.id: cep-eu
rulesets:
  - rulesets/card_fraud.rules
  - rulesets/velocity.rules
slots: 6
queue_capacity: 1024
max_out_of_orderness: 250ms
idle_timeout: 1m
data_dir: /var/lib/cep
rest_address: "[::1]:9090"
log_level: debug
)");
  auto loaded = LoadServiceConfig(Sources(path));
  ASSERT_TRUE(loaded.has_value()) << loaded.error().message();
  EXPECT_EQ(loaded->kafka.brokers, "kafka-1:9092,kafka-2:9092");
  EXPECT_EQ(loaded->kafka.input_topic, "payments");
  EXPECT_EQ(loaded->kafka.input_format, "json");
  EXPECT_EQ(loaded->kafka.alerts_topic, "alerts");  // untouched keys keep their default
  EXPECT_EQ(
      loaded->kafka.consumer_settings,
      (std::map<std::string, std::string>{{"client.id", "cep-eu"}, {"fetch.min.bytes", "1"}}));
  EXPECT_EQ(loaded->rulesets,
            (std::vector<std::string>{"rulesets/card_fraud.rules", "rulesets/velocity.rules"}));
  EXPECT_EQ(loaded->slots, 6);
  EXPECT_EQ(loaded->queue_capacity, 1024u);
  EXPECT_EQ(loaded->max_out_of_orderness, cep::Duration::Millis(250));
  EXPECT_EQ(loaded->idle_timeout, cep::Duration::Minutes(1));
  EXPECT_EQ(loaded->checkpoint_interval, cep::Duration::Seconds(10));
  EXPECT_EQ(loaded->data_dir, "/var/lib/cep");
  EXPECT_EQ(loaded->rest_address, "[::1]:9090");
  EXPECT_EQ(loaded->log_level, "debug");
}

TEST(ConfigLoaderTest, EmptyFileAndEmptyValuesMeanDefaultsAndEmpty) {
  auto empty = LoadServiceConfig(Sources(WriteConfig("# nothing yet\n")));
  ASSERT_TRUE(empty.has_value()) << empty.error().message();
  EXPECT_EQ(*empty, engine::ServiceConfig{});

  auto blank = LoadServiceConfig(Sources(WriteConfig("kafka:\n  brokers:\nrulesets:\n")));
  ASSERT_TRUE(blank.has_value()) << blank.error().message();
  EXPECT_EQ(*blank, engine::ServiceConfig{});
}

TEST(ConfigLoaderTest, EnvironmentOverridesFile) {
  const std::string path = WriteConfig("kafka:\n  brokers: file:9092\nslots: 2\ndata_dir: /file\n");
  auto loaded =
      LoadServiceConfig(Sources(path, {{"CEP_KAFKA_BROKERS", "env:9092"},
                                       {"CEP_SLOTS", "3"},
                                       {"CEP_MAX_OUT_OF_ORDERNESS", "5s"},
                                       {"CEP_RULESETS", "a.rules,b.rules"},
                                       {"CEP_KAFKA_PRODUCER_SETTINGS", "linger.ms=5,acks=all"},
                                       {"CEP_REST_ADDRESS", "0.0.0.0:0"}}));
  ASSERT_TRUE(loaded.has_value()) << loaded.error().message();
  EXPECT_EQ(loaded->kafka.brokers, "env:9092");
  EXPECT_EQ(loaded->slots, 3);
  EXPECT_EQ(loaded->data_dir, "/file");  // not in the environment: the file's value
  EXPECT_EQ(loaded->max_out_of_orderness, cep::Duration::Seconds(5));
  EXPECT_EQ(loaded->rulesets, (std::vector<std::string>{"a.rules", "b.rules"}));
  EXPECT_EQ(loaded->kafka.producer_settings,
            (std::map<std::string, std::string>{{"acks", "all"}, {"linger.ms", "5"}}));
  EXPECT_EQ(loaded->rest_address, "0.0.0.0:0");
}

TEST(ConfigLoaderTest, EveryKeyHasItsEnvironmentVariable) {
  EXPECT_EQ(EnvironmentVariableFor("kafka.brokers"), "CEP_KAFKA_BROKERS");
  EXPECT_EQ(EnvironmentVariableFor("max_out_of_orderness"), "CEP_MAX_OUT_OF_ORDERNESS");
  // Setting every variable to a distinct valid value changes every key.
  std::map<std::string, std::string> env;
  for (const std::string& key : ServiceConfigKeys()) env[EnvironmentVariableFor(key)] = "";
  env["CEP_KAFKA_BROKERS"] = "k:1";
  env["CEP_KAFKA_INPUT_TOPIC"] = "in";
  env["CEP_KAFKA_ALERTS_TOPIC"] = "out";
  env["CEP_KAFKA_SHADOW_TOPIC"] = "shadow";
  env["CEP_KAFKA_LATE_TOPIC"] = "late2";
  env["CEP_KAFKA_DEAD_LETTER_TOPIC"] = "dlq";
  env["CEP_KAFKA_GROUP_ID"] = "g";
  env["CEP_KAFKA_INPUT_FORMAT"] = "json";
  env["CEP_KAFKA_ALERT_FORMAT"] = "json";
  env["CEP_KAFKA_EXACTLY_ONCE"] = "transactions";
  env["CEP_KAFKA_EMBEDDED_PARTITIONS"] = "8";
  env["CEP_KAFKA_CONSUMER_SETTINGS"] = "a=1";
  env["CEP_KAFKA_PRODUCER_SETTINGS"] = "b=2";
  env["CEP_RULESETS"] = "r.rules";
  env["CEP_SLOTS"] = "2";
  env["CEP_QUEUE_CAPACITY"] = "64";
  env["CEP_MAX_OUT_OF_ORDERNESS"] = "1s";
  env["CEP_IDLE_TIMEOUT"] = "2s";
  env["CEP_CHECKPOINT_INTERVAL"] = "3s";
  env["CEP_DATA_DIR"] = "/d";
  env["CEP_STATE_BACKEND"] = "memory";
  env["CEP_REST_ADDRESS"] = "h:1";
  env["CEP_REST_TOKENS"] = "tok-0123456789abcdef=read";
  env["CEP_REST_TLS_CERT"] = "c.pem";
  env["CEP_REST_TLS_KEY"] = "k.pem";
  env["CEP_REST_MAX_BODY_BYTES"] = "4096";
  env["CEP_REST_MAX_CONNECTIONS"] = "9";
  env["CEP_REST_TIMEOUT"] = "5s";
  env["CEP_REST_THREADS"] = "3";
  env["CEP_REPLAY_INPUT_DIR"] = "/in";
  env["CEP_ID_FIELD"] = "tx";
  env["CEP_LOG_LEVEL"] = "warn";
  ASSERT_EQ(env.size(), ServiceConfigKeys().size()) << "a key without a test value";
  auto loaded = LoadServiceConfig(Sources(std::nullopt, env));
  ASSERT_TRUE(loaded.has_value()) << loaded.error().message();
  const engine::ServiceConfig defaults;
  EXPECT_NE(loaded->kafka.brokers, defaults.kafka.brokers);
  EXPECT_NE(loaded->kafka.input_topic, defaults.kafka.input_topic);
  EXPECT_NE(loaded->kafka.alerts_topic, defaults.kafka.alerts_topic);
  EXPECT_NE(loaded->kafka.shadow_topic, defaults.kafka.shadow_topic);
  EXPECT_NE(loaded->kafka.late_topic, defaults.kafka.late_topic);
  EXPECT_NE(loaded->kafka.dead_letter_topic, defaults.kafka.dead_letter_topic);
  EXPECT_NE(loaded->kafka.group_id, defaults.kafka.group_id);
  EXPECT_NE(loaded->kafka.input_format, defaults.kafka.input_format);
  EXPECT_NE(loaded->kafka.alert_format, defaults.kafka.alert_format);
  EXPECT_NE(loaded->kafka.exactly_once, defaults.kafka.exactly_once);
  EXPECT_NE(loaded->kafka.embedded_partitions, defaults.kafka.embedded_partitions);
  EXPECT_NE(loaded->kafka.consumer_settings, defaults.kafka.consumer_settings);
  EXPECT_NE(loaded->kafka.producer_settings, defaults.kafka.producer_settings);
  EXPECT_NE(loaded->rulesets, defaults.rulesets);
  EXPECT_NE(loaded->slots, defaults.slots);
  EXPECT_NE(loaded->queue_capacity, defaults.queue_capacity);
  EXPECT_NE(loaded->max_out_of_orderness, defaults.max_out_of_orderness);
  EXPECT_NE(loaded->idle_timeout, defaults.idle_timeout);
  EXPECT_NE(loaded->checkpoint_interval, defaults.checkpoint_interval);
  EXPECT_NE(loaded->data_dir, defaults.data_dir);
  EXPECT_NE(loaded->state_backend, defaults.state_backend);
  EXPECT_NE(loaded->rest_address, defaults.rest_address);
  EXPECT_NE(loaded->id_field, defaults.id_field);
  EXPECT_NE(loaded->log_level, defaults.log_level);
  EXPECT_EQ(loaded->rest_tokens.at("tok-0123456789abcdef"), "read");
  EXPECT_EQ(loaded->rest_tls_key, "k.pem");
  EXPECT_EQ(loaded->rest_max_body_bytes, 4096u);
  EXPECT_EQ(loaded->rest_timeout, cep::Duration::Seconds(5));
  EXPECT_EQ(loaded->replay_input_dir, "/in");
}

TEST(ConfigLoaderTest, FlagsOverrideEnvironment) {
  const std::string path = WriteConfig("slots: 2\nrulesets: [file.rules]\n");
  auto loaded = LoadServiceConfig(
      Sources(path, {{"CEP_SLOTS", "3"}, {"CEP_RULESETS", "env.rules"}, {"CEP_DATA_DIR", "/env"}},
              {{"slots", "4", "--slots"},
               {"rulesets", "flag1.rules", "--rules"},
               {"rulesets", "flag2.rules", "--rules"},
               {"kafka.consumer_settings.client.id", "flagged", ""}}));
  ASSERT_TRUE(loaded.has_value()) << loaded.error().message();
  EXPECT_EQ(loaded->slots, 4);
  EXPECT_EQ(loaded->rulesets, (std::vector<std::string>{"flag1.rules", "flag2.rules"}));
  EXPECT_EQ(loaded->data_dir, "/env");
  EXPECT_EQ(loaded->kafka.consumer_settings.at("client.id"), "flagged");
}

TEST(ConfigLoaderTest, MissingFileIsNotFound) {
  auto loaded = LoadServiceConfig(Sources("/nonexistent/cep.yaml"));
  ASSERT_FALSE(loaded.has_value());
  EXPECT_EQ(loaded.error().code(), cep::StatusCode::kNotFound);
  EXPECT_THAT(loaded.error().message(), HasSubstr("'/nonexistent/cep.yaml'"));
}

TEST(ConfigLoaderTest, UnknownKeyNamesPathLineAndSuggestion) {
  const std::string path = WriteConfig("slots: 2\n\nkafka:\n  input_topic: t\n  broker: k:9092\n");
  EXPECT_EQ(LoadError(Sources(path)),
            path + ":5: unknown key 'kafka.broker' (did you mean 'kafka.brokers'?)");
}

TEST(ConfigLoaderTest, KeyInTheWrongSectionSuggestsTheRightOne) {
  EXPECT_THAT(FileError("group_id: cep\n"),
              HasSubstr(":1: unknown key 'group_id' (did you mean 'kafka.group_id'?)"));
  EXPECT_THAT(FileError("kafka:\n  slots: 3\n"),
              HasSubstr(":2: unknown key 'kafka.slots' (did you mean 'slots'?)"));
  EXPECT_THAT(FileError("colour: blue\n"), HasSubstr(":1: unknown key 'colour'"));
  EXPECT_THAT(FileError("colour: blue\n"), ::testing::Not(HasSubstr("did you mean")));
}

TEST(ConfigLoaderTest, UnknownFlagKeySuggests) {
  EXPECT_EQ(SetError("kafka.input_topics", "x"),
            "--set kafka.input_topics=x: unknown key 'kafka.input_topics' (did you mean "
            "'kafka.input_topic'?)");
}

TEST(ConfigLoaderTest, WrongTypesNameKeyAndLine) {
  EXPECT_THAT(FileError("slots: many\n"), HasSubstr(":1: slots: expected an integer, got 'many'"));
  EXPECT_THAT(FileError("\nslots: [1, 2]\n"),
              HasSubstr(":2: slots: expected an integer, got a list"));
  EXPECT_THAT(FileError("queue_capacity: -5\n"),
              HasSubstr(":1: queue_capacity: expected a non-negative integer, got '-5'"));
  EXPECT_THAT(FileError("rulesets: a.rules\n"),
              HasSubstr(":1: rulesets: expected a list of file names, got a value"));
  EXPECT_THAT(FileError("kafka: 3\n"), HasSubstr(":1: kafka: expected a mapping of keys"));
  EXPECT_THAT(FileError("kafka:\n  brokers: [a, b]\n"),
              HasSubstr(":2: kafka.brokers: expected a string, got a list"));
  EXPECT_THAT(FileError("kafka:\n  consumer_settings: [a]\n"),
              HasSubstr(":2: kafka.consumer_settings: expected a mapping of property: value"));
  EXPECT_THAT(FileError("idle_timeout: 10\n"),
              HasSubstr(":1: idle_timeout: invalid duration unit in '10'"));
  EXPECT_THAT(FileError("slots: 99999999999\n"),
              HasSubstr(":1: slots: integer '99999999999' is out of range"));
  EXPECT_THAT(FileError("- slots\n"), HasSubstr(":1: expected a mapping of keys at the top level"));
}

TEST(ConfigLoaderTest, InvalidYamlNamesLineAndColumn) {
  EXPECT_THAT(FileError("slots: 2\nkafka: [\n"), HasSubstr("invalid YAML"));
  EXPECT_THAT(FileError("slots: 2\n  bad indent: 3\n"), HasSubstr(":2:"));
}

TEST(ConfigLoaderTest, DuplicateKeyIsAnError) {
  EXPECT_THAT(FileError("slots: 2\nslots: 3\n"), HasSubstr(":2: duplicate key 'slots'"));
}

TEST(ConfigLoaderTest, ValidationErrorsNameKeyAndWhereTheValueCameFrom) {
  EXPECT_THAT(FileError("\n\nqueue_capacity: 8\n"),
              HasSubstr(":3: queue_capacity: must be at least 16, got 8"));
  EXPECT_THAT(FileError("kafka:\n  input_format: avro\n"),
              HasSubstr(":2: kafka.input_format: must be protobuf or json, got 'avro'"));
  EXPECT_EQ(LoadError(Sources(std::nullopt, {{"CEP_SLOTS", "-1"}})),
            "CEP_SLOTS: slots: must be 0 (one per core) or more, got -1");
  EXPECT_EQ(LoadError(Sources(std::nullopt, {}, {{"slots", "x", "--slots"}})),
            "--slots: slots: expected an integer, got 'x'");
}

TEST(ConfigLoaderTest, EveryValidationRuleHasAClearMessage) {
  EXPECT_THAT(SetError("slots", "-2"),
              HasSubstr("slots: must be 0 (one per core) or more, got -2"));
  EXPECT_THAT(SetError("queue_capacity", "15"), HasSubstr("queue_capacity: must be at least 16"));
  EXPECT_THAT(SetError("kafka.alert_format", "xml"),
              HasSubstr("kafka.alert_format: must be protobuf or json, got 'xml'"));
  EXPECT_THAT(SetError("kafka.embedded_partitions", "0"),
              HasSubstr("kafka.embedded_partitions: must be at least 1, got 0"));
  EXPECT_THAT(SetError("kafka.brokers", "kafka"), HasSubstr("kafka.brokers: expected host:port"));
  EXPECT_THAT(SetError("kafka.brokers", "a:9092,b:0"),
              HasSubstr("kafka.brokers: expected a port 1..65535"));
  EXPECT_THAT(SetError("kafka.input_topic", ""), HasSubstr("kafka.input_topic: must not be empty"));
  EXPECT_THAT(SetError("kafka.late_topic", "a topic"),
              HasSubstr("kafka.late_topic: 'a topic' is not a Kafka topic name"));
  EXPECT_THAT(SetError("kafka.alerts_topic", "transactions"),
              HasSubstr("kafka.alerts_topic: must differ from kafka.input_topic"));
  EXPECT_THAT(SetError("kafka.group_id", ""), HasSubstr("kafka.group_id: must not be empty"));
  EXPECT_THAT(SetError("kafka.consumer_settings.bootstrap.servers", "x:1"),
              HasSubstr("kafka.consumer_settings.bootstrap.servers: set kafka.brokers instead"));
  EXPECT_THAT(SetError("kafka.consumer_settings.group.id", "g"),
              HasSubstr("kafka.consumer_settings.group.id: set kafka.group_id instead"));
  EXPECT_THAT(SetError("kafka.producer_settings", "acks"),
              HasSubstr("kafka.producer_settings: expected property=value pairs"));
  EXPECT_THAT(SetError("max_out_of_orderness", "-5s"),
              HasSubstr("max_out_of_orderness: invalid duration '-5s'"));
  EXPECT_THAT(SetError("checkpoint_interval", "soon"),
              HasSubstr("checkpoint_interval: invalid duration 'soon'"));
  EXPECT_THAT(SetError("data_dir", ""), HasSubstr("data_dir: must not be empty"));
  EXPECT_THAT(SetError("rest_address", "8080"), HasSubstr("rest_address: expected host:port"));
  EXPECT_THAT(SetError("rest_address", "localhost:99999"),
              HasSubstr("rest_address: expected a port 0..65535"));
  EXPECT_THAT(SetError("rest_address", "::1:80"), HasSubstr("IPv6 hosts in brackets"));
  EXPECT_THAT(SetError("id_field", ""), HasSubstr("id_field: must not be empty"));
  EXPECT_THAT(SetError("log_level", "loud"), HasSubstr("log_level: must be one of trace"));
  EXPECT_THAT(SetError("state_backend", "disk"), HasSubstr("state_backend: must be one of rocksdb"));
  EXPECT_THAT(SetError("kafka.exactly_once", "twice"), HasSubstr("must be read_back or transactions"));
  EXPECT_THAT(SetError("rulesets", ""), HasSubstr("rulesets[0]: the file name is empty"));
  EXPECT_THAT(SetError("", "x"), HasSubstr("expected KEY=VALUE"));
}

TEST(ConfigLoaderTest, ScalingOutNeedsCheckpointsReadBackAndEagerRebalances) {
  engine::ServiceConfig config;
  config.shared_state_dir = "/mnt/cep-shared";
  config.instance_id = "cep-0";
  EXPECT_TRUE(ValidateServiceConfig(config).ok());
  config.state_backend = "none";
  config.kafka.exactly_once = "transactions";
  config.kafka.consumer_settings["partition.assignment.strategy"] = "cooperative-sticky";
  config.instance_id = "../etc";
  const cep::Status status = ValidateServiceConfig(config);
  EXPECT_THAT(status.message(), HasSubstr("shared_state_dir: scaling out hands checkpoints over"));
  EXPECT_THAT(status.message(), HasSubstr("scaling out (shared_state_dir) uses read_back"));
  EXPECT_THAT(status.message(), HasSubstr("must not be cooperative"));
  EXPECT_THAT(status.message(), HasSubstr("instance_id: at most 100 of A-Z a-z 0-9 . _ -"));
}

TEST(ConfigLoaderTest, ValidateRejectsStructsBuiltInCode) {
  engine::ServiceConfig config;
  config.idle_timeout = cep::Duration::Millis(-1);
  config.checkpoint_interval = cep::Duration::Infinite();
  const cep::Status status = ValidateServiceConfig(config);
  EXPECT_THAT(status.message(), HasSubstr("idle_timeout: must not be negative, got -1ms"));
  EXPECT_THAT(status.message(), HasSubstr("checkpoint_interval: must be finite"));
}

TEST(ConfigLoaderTest, ReportsEveryProblemAtOnce) {
  const std::string message = FileError("slots: x\nqueue_capacity: 1\nkafka:\n  brokerz: a\n");
  EXPECT_THAT(message, HasSubstr(":1: slots: expected an integer"));
  EXPECT_THAT(message, HasSubstr(":2: queue_capacity: must be at least 16"));
  EXPECT_THAT(message, HasSubstr(":4: unknown key 'kafka.brokerz'"));
}

engine::ServiceConfig Unusual() {
  engine::ServiceConfig config;
  config.kafka.brokers = "a:1,b:2";
  config.kafka.input_topic = "in.topic_1";
  config.kafka.group_id = "yes";  // YAML 1.1 would read a bare yes as a boolean
  config.kafka.alert_format = "json";
  config.kafka.embedded_partitions = 16;
  config.kafka.consumer_settings = {{"fetch.min.bytes", "1"}, {"security.protocol", "ssl"}};
  config.kafka.producer_settings = {{"compression.type", "zstd"}, {"client.id", "null"}};
  config.rulesets = {"rulesets/card fraud.rules", "#odd: name.rules", "~"};
  config.slots = 12;
  config.queue_capacity = 100'000;
  config.max_out_of_orderness = cep::Duration::Millis(1500);
  config.idle_timeout = cep::Duration::Minutes(5);
  config.checkpoint_interval = cep::Duration::Zero();
  config.data_dir = "/var/lib/cep: data";
  config.rest_address = "[::]:0";
  config.id_field = "null";
  config.log_level = "off";
  return config;
}

TEST(ConfigLoaderTest, YamlRoundTripsToTheSameConfig) {
  for (const engine::ServiceConfig& config : {engine::ServiceConfig{}, Unusual()}) {
    ASSERT_TRUE(ValidateServiceConfig(config).ok()) << ValidateServiceConfig(config).message();
    const std::string yaml = ServiceConfigToYaml(config);
    auto loaded = LoadServiceConfig(Sources(WriteConfig(yaml)));
    ASSERT_TRUE(loaded.has_value()) << loaded.error().message() << "\n" << yaml;
    EXPECT_EQ(*loaded, config) << yaml;
    EXPECT_EQ(ServiceConfigToYaml(*loaded), yaml);
  }
  // Quoted so that YAML 1.1 tools do not read them as booleans.
  EXPECT_THAT(ServiceConfigToYaml(Unusual()), HasSubstr("log_level: \"off\""));
  EXPECT_THAT(ServiceConfigToYaml(Unusual()), HasSubstr("group_id: \"yes\""));
}

TEST(ConfigLoaderTest, YamlListsEveryKey) {
  const std::string yaml = ServiceConfigToYaml(engine::ServiceConfig{});
  for (const std::string& key : ServiceConfigKeys()) {
    const std::string last = key.substr(key.rfind('.') + 1);
    EXPECT_THAT(yaml, HasSubstr(last + ":")) << key;
  }
  EXPECT_THAT(yaml, HasSubstr("idle_timeout: 10s"));
}

std::string SourceDir() {
  const char* dir = std::getenv("CEP_SOURCE_DIR");
  return dir != nullptr ? dir : ".";
}

TEST(ConfigLoaderTest, ExampleDeployConfigEqualsTheDefaults) {
  const std::string path = SourceDir() + "/deploy/config/cep.yaml";
  ASSERT_TRUE(std::filesystem::exists(path)) << path << " (is CEP_SOURCE_DIR set?)";
  auto loaded = LoadServiceConfig(Sources(path));
  ASSERT_TRUE(loaded.has_value()) << loaded.error().message();
  EXPECT_EQ(*loaded, engine::ServiceConfig{}) << ServiceConfigToYaml(*loaded);
  // And it names every key, so a new key cannot be left out of the example.
  std::ifstream in(path);
  const std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  for (const std::string& key : ServiceConfigKeys()) {
    const std::string last = key.substr(key.rfind('.') + 1);
    EXPECT_THAT(text,
                HasSubstr("\n" + std::string(key.starts_with("kafka.") ? "  " : "") + last + ":"))
        << key;
  }
}

// --- Flags ----------------------------------------------------------------------

struct Parsed {
  ServiceConfigFlags flags;
  std::string usage_error;  // empty when parsing succeeded
};

Parsed ParseFlags(std::vector<std::string> args) {
  Parsed parsed;
  CLI::App app("cep");
  CLI::App* serve = app.add_subcommand("serve");
  AddServiceConfigFlags(*serve, parsed.flags);
  args.insert(args.begin(), "serve");
  std::reverse(args.begin(), args.end());  // CLI11 takes a reversed vector
  try {
    app.parse(args);
  } catch (const CLI::ParseError& e) {
    parsed.usage_error = e.what();
  }
  return parsed;
}

TEST(ServiceConfigFlagsTest, FlagsBecomeOverrides) {
  Parsed parsed = ParseFlags({"--config",
                              "my.yaml",
                              "--brokers",
                              "k:9092",
                              "--input-topic=in",
                              "--alerts-topic",
                              "out",
                              "--group-id",
                              "g",
                              "--slots",
                              "4",
                              "--max-out-of-orderness",
                              "5s",
                              "--idle-timeout",
                              "30s",
                              "--checkpoint-interval",
                              "1m",
                              "--data-dir",
                              "/d",
                              "--rest-address",
                              "0.0.0.0:0",
                              "--rules",
                              "a.rules",
                              "--rules",
                              "b.rules",
                              "--set",
                              "kafka.late_topic=late2",
                              "--set",
                              "kafka.consumer_settings.client.id=c=1",
                              "--print-config"});
  ASSERT_EQ(parsed.usage_error, "");
  EXPECT_EQ(parsed.flags.config_file, "my.yaml");
  EXPECT_TRUE(parsed.flags.print_config);

  const ConfigSources sources =
      ServiceConfigSourcesFromFlags(parsed.flags, FakeEnvironment({{"CEP_SLOTS", "9"}}));
  EXPECT_EQ(sources.file, "my.yaml");
  ConfigSources without_file = sources;
  without_file.file.reset();
  auto loaded = LoadServiceConfig(without_file);
  ASSERT_TRUE(loaded.has_value()) << loaded.error().message();
  EXPECT_EQ(loaded->kafka.brokers, "k:9092");
  EXPECT_EQ(loaded->kafka.input_topic, "in");
  EXPECT_EQ(loaded->kafka.alerts_topic, "out");
  EXPECT_EQ(loaded->kafka.group_id, "g");
  EXPECT_EQ(loaded->kafka.late_topic, "late2");
  EXPECT_EQ(loaded->kafka.consumer_settings.at("client.id"), "c=1");
  EXPECT_EQ(loaded->slots, 4);  // the flag beats CEP_SLOTS
  EXPECT_EQ(loaded->max_out_of_orderness, cep::Duration::Seconds(5));
  EXPECT_EQ(loaded->idle_timeout, cep::Duration::Seconds(30));
  EXPECT_EQ(loaded->checkpoint_interval, cep::Duration::Minutes(1));
  EXPECT_EQ(loaded->data_dir, "/d");
  EXPECT_EQ(loaded->rest_address, "0.0.0.0:0");
  EXPECT_EQ(loaded->rulesets, (std::vector<std::string>{"a.rules", "b.rules"}));
}

TEST(ServiceConfigFlagsTest, SetWinsOverTypedFlags) {
  Parsed parsed = ParseFlags({"--set", "slots=8", "--slots", "4"});
  ASSERT_EQ(parsed.usage_error, "");
  auto loaded = LoadServiceConfig(ServiceConfigSourcesFromFlags(parsed.flags, FakeEnvironment({})));
  ASSERT_TRUE(loaded.has_value()) << loaded.error().message();
  EXPECT_EQ(loaded->slots, 8);
}

TEST(ServiceConfigFlagsTest, SetWithoutEqualsIsAUsageError) {
  EXPECT_THAT(ParseFlags({"--set", "slots"}).usage_error, HasSubstr("expected KEY=VALUE"));
}

TEST(ServiceConfigFlagsTest, ConfigFileComesFromCepConfigWhenNoFlag) {
  Parsed parsed = ParseFlags({});
  ASSERT_EQ(parsed.usage_error, "");
  EXPECT_FALSE(parsed.flags.print_config);
  EXPECT_EQ(
      ServiceConfigSourcesFromFlags(parsed.flags, FakeEnvironment({{"CEP_CONFIG", "e.yaml"}})).file,
      "e.yaml");
  EXPECT_EQ(ServiceConfigSourcesFromFlags(parsed.flags, FakeEnvironment({})).file, std::nullopt);
}

TEST(ServiceConfigFlagsTest, BadFlagValuesAreReportedByTheLoader) {
  Parsed parsed = ParseFlags({"--slots", "lots", "--idle-timeout", "1 hour"});
  ASSERT_EQ(parsed.usage_error, "");
  const std::string message =
      LoadError(ServiceConfigSourcesFromFlags(parsed.flags, FakeEnvironment({})));
  EXPECT_THAT(message, HasSubstr("--slots: slots: expected an integer, got 'lots'"));
  EXPECT_THAT(message, HasSubstr("--idle-timeout: idle_timeout: invalid duration"));
}

}  // namespace
}  // namespace api
