// Rule text arrives over HTTP: parsing and checking any bytes must return an AST
// or diagnostics, never crash, and a ruleset that parses must print to text that
// parses back to the same ruleset. The body is shared with the corpus replay in
// tests/rules/rules_corpus_test.cc.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "tests/rules/parser_fuzz_body.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  rules::testing::FuzzRulesParserOnce(
      std::string_view(reinterpret_cast<const char*>(data), size));
  return 0;
}
