#include "rules/regex/regex_set.h"

#include <hs/hs.h>

#include <algorithm>
#include <chrono>
#include <condition_variable>
#include <mutex>
#include <thread>

namespace rules {
namespace {

// Flags every pattern gets: we only ask *whether* a regex matches, so one match
// per scan is enough, and a pattern that can match the empty string (`a*`)
// simply matches everything, as a search would.
constexpr unsigned kBaseFlags = HS_FLAG_SINGLEMATCH | HS_FLAG_ALLOWEMPTY;

cep::Result<unsigned> TranslateFlags(std::string_view flags) {
  unsigned out = kBaseFlags;
  for (char c : flags) {
    switch (c) {
      case 'i': out |= HS_FLAG_CASELESS; break;
      case 's': out |= HS_FLAG_DOTALL; break;
      case 'm': out |= HS_FLAG_MULTILINE; break;
      default:
        return cep::InvalidArgument(std::string("unknown regex flag '") + c +
                                    "' (expected i, s or m)");
    }
  }
  return out;
}

// The largest bound of any {n}, {n,} or {n,m} outside a character class.
uint64_t LargestRepeat(std::string_view pattern) {
  uint64_t largest = 0;
  bool in_class = false;
  for (size_t i = 0; i < pattern.size(); ++i) {
    const char c = pattern[i];
    if (c == '\\') {
      ++i;  // an escaped character is literal
    } else if (in_class) {
      in_class = c != ']';
    } else if (c == '[') {
      in_class = true;
    } else if (c == '{') {
      uint64_t bound = 0;
      for (size_t j = i + 1; j < pattern.size() && bound <= UINT32_MAX; ++j) {
        const char d = pattern[j];
        if (d >= '0' && d <= '9') {
          bound = bound * 10 + static_cast<uint64_t>(d - '0');
        } else {
          if (d != ',' && d != '}') bound = 0;  // not a repetition: a literal '{'
          if (d == ',' || d == '}') largest = std::max(largest, bound);
          if (d != ',') break;
          bound = 0;
        }
      }
    }
  }
  return largest;
}

// The caps, checked before Hyperscan sees the pattern.
cep::Status CheckCaps(const RegexSpec& spec, const RegexLimits& limits) {
  if (spec.pattern.size() > limits.max_pattern_length) {
    return cep::InvalidArgument("regex is " + std::to_string(spec.pattern.size()) +
                                " characters long; the limit is " +
                                std::to_string(limits.max_pattern_length));
  }
  if (const uint64_t repeat = LargestRepeat(spec.pattern); repeat > limits.max_repeat) {
    return cep::InvalidArgument("repetition {" + std::to_string(repeat) + "} exceeds the limit of " +
                                std::to_string(limits.max_repeat));
  }
  return cep::Status::Ok();
}

// Hyperscan's own verdict on one pattern (syntax, unsupported constructs).
std::string HyperscanError(const RegexSpec& spec, unsigned flags) {
  hs_expr_info_t* info = nullptr;
  hs_compile_error_t* error = nullptr;
  if (hs_expression_info(spec.pattern.c_str(), flags, &info, &error) == HS_SUCCESS) {
    std::free(info);  // allocated with Hyperscan's default (malloc) allocator
    return "";
  }
  std::string message = std::string("invalid regex: ") + error->message;
  hs_free_compile_error(error);
  return message;
}

// The compile runs on its own thread so that the caller can stop waiting; this
// state outlives whichever of the two finishes last.
struct CompileJob {
  std::mutex mutex;
  std::condition_variable done_signal;
  bool done = false;
  bool abandoned = false;
  hs_database_t* database = nullptr;
  std::vector<RegexError> errors;
};

// Validates each pattern that passed the caps (`checked`), collecting every
// error, then compiles them all together if nothing failed (`compile`).
void RunCompile(CompileJob& job, const std::vector<RegexSpec>& specs,
                const std::vector<unsigned>& flags, const std::vector<bool>& checked,
                bool compile) {
  std::vector<RegexError> errors;
  for (size_t i = 0; i < specs.size(); ++i) {
    if (!checked[i]) continue;
    if (std::string message = HyperscanError(specs[i], flags[i]); !message.empty()) {
      errors.push_back({i, std::move(message)});
    }
  }
  hs_database_t* database = nullptr;
  if (errors.empty() && compile) {
    std::vector<const char*> patterns;
    std::vector<unsigned> ids;
    for (size_t i = 0; i < specs.size(); ++i) {
      patterns.push_back(specs[i].pattern.c_str());
      ids.push_back(static_cast<unsigned>(i));
    }
    hs_compile_error_t* error = nullptr;
    if (hs_compile_multi(patterns.data(), flags.data(), ids.data(),
                         static_cast<unsigned>(specs.size()), HS_MODE_BLOCK, nullptr, &database,
                         &error) != HS_SUCCESS) {
      const int index = error != nullptr && error->expression >= 0 ? error->expression : 0;
      errors.push_back({static_cast<size_t>(index),
                        std::string("invalid regex: ") + (error ? error->message : "compile failed")});
      hs_free_compile_error(error);
      database = nullptr;
    }
  }
  std::lock_guard lock(job.mutex);
  if (job.abandoned) {
    hs_free_database(database);  // nobody waits for it any more
  } else {
    job.database = database;
    job.errors = std::move(errors);
  }
  job.done = true;
  job.done_signal.notify_all();
}

}  // namespace

cep::Result<std::shared_ptr<const RegexSet>, std::vector<RegexError>> RegexSet::Compile(
    const std::vector<RegexSpec>& specs, const RegexLimits& limits) {
  std::vector<RegexError> errors;
  if (specs.size() > limits.max_patterns) {
    errors.push_back({0, "a ruleset has at most " + std::to_string(limits.max_patterns) +
                             " regexes per field"});
    return cep::Unexpected(std::move(errors));
  }
  std::vector<unsigned> flags(specs.size());
  std::vector<bool> checked(specs.size(), false);
  for (size_t i = 0; i < specs.size(); ++i) {
    auto translated = TranslateFlags(specs[i].flags);
    cep::Status status = translated ? CheckCaps(specs[i], limits) : translated.error();
    if (!status.ok()) {
      errors.push_back({i, status.message()});
    } else {
      flags[i] = *translated;
      checked[i] = true;
    }
  }
  if (specs.empty()) return std::shared_ptr<const RegexSet>(new RegexSet(nullptr, 0));

  // Hyperscan cannot be interrupted, so it runs on its own thread and we stop
  // waiting when the budget is spent; an abandoned compile frees its result.
  auto job = std::make_shared<CompileJob>();
  std::thread([job, specs, flags, checked, compile = errors.empty()] {
    RunCompile(*job, specs, flags, checked, compile);
  }).detach();
  std::unique_lock lock(job->mutex);
  const auto budget = std::chrono::milliseconds(limits.compile_budget.millis());
  if (!job->done_signal.wait_for(lock, budget, [&] { return job->done; })) {
    job->abandoned = true;
    errors.push_back({0, "compiling the ruleset's regexes took longer than " +
                             cep::FormatDuration(limits.compile_budget) +
                             "; simplify the patterns (large repetitions and alternations)"});
    return cep::Unexpected(std::move(errors));
  }
  if (job->database == nullptr) {
    errors.insert(errors.end(), job->errors.begin(), job->errors.end());
    std::sort(errors.begin(), errors.end(),
              [](const RegexError& a, const RegexError& b) { return a.index < b.index; });
    return cep::Unexpected(std::move(errors));
  }
  return std::shared_ptr<const RegexSet>(new RegexSet(job->database, specs.size()));
}

RegexSet::~RegexSet() { hs_free_database(static_cast<hs_database_t*>(database_)); }

RegexSet::Scratch::~Scratch() { hs_free_scratch(static_cast<hs_scratch_t*>(scratch_)); }

std::unique_ptr<RegexSet::Scratch> RegexSet::NewScratch() const {
  hs_scratch_t* scratch = nullptr;
  if (database_ != nullptr) {
    CHECK(hs_alloc_scratch(static_cast<hs_database_t*>(database_), &scratch) == HS_SUCCESS,
          "Hyperscan scratch allocation");
  }
  return std::unique_ptr<Scratch>(new Scratch(scratch));
}

cep::Status RegexSet::Scan(std::string_view text, Scratch& scratch,
                           cep::FunctionRef<void(uint32_t)> on_match) const {
  if (database_ == nullptr) return cep::Status::Ok();
  auto callback = [](unsigned id, unsigned long long, unsigned long long, unsigned,
                     void* context) -> int {
    (*static_cast<cep::FunctionRef<void(uint32_t)>*>(context))(id);
    return 0;  // keep scanning: other regexes may match too
  };
  const hs_error_t rc =
      hs_scan(static_cast<hs_database_t*>(database_), text.data(),
              static_cast<unsigned>(text.size()), 0, static_cast<hs_scratch_t*>(scratch.scratch_),
              callback, &on_match);
  if (rc != HS_SUCCESS) return cep::Internal("Hyperscan scan failed with code " + std::to_string(rc));
  return cep::Status::Ok();
}

}  // namespace rules
