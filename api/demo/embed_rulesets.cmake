# Writes OUTPUT: a C++ source defining api::EmbeddedRulesets() from every
# INPUT_DIR/*.rules file, as raw string literals. Run at build time (see
# api/CMakeLists.txt), so editing a ruleset rebuilds the binary's copy.
file(GLOB rule_files "${INPUT_DIR}/*.rules")
# fdh.rules is tuned to the FDH history's fields and amounts, not to `cep gen`
# traffic (its `amount > 220` would fire on every large generated purchase).
list(FILTER rule_files EXCLUDE REGEX "/fdh\\.rules$")
list(SORT rule_files)
set(body "")
foreach(path IN LISTS rule_files)
  get_filename_component(name "${path}" NAME)
  file(READ "${path}" text)
  string(FIND "${text}" ")cep_rules\"" clash)
  if(NOT clash EQUAL -1)
    message(FATAL_ERROR "${path} contains the raw-string delimiter )cep_rules\"")
  endif()
  string(APPEND body "      {\"${name}\", R\"cep_rules(${text})cep_rules\"},\n")
endforeach()
file(WRITE "${OUTPUT}.tmp"
"// Generated from ${INPUT_DIR}/*.rules by api/demo/embed_rulesets.cmake. Do not edit.
#include \"api/demo/embedded_rulesets.h\"

namespace api {

const std::vector<EmbeddedRuleset>& EmbeddedRulesets() {
  static const std::vector<EmbeddedRuleset> rulesets = {
${body}  };
  return rulesets;
}

}  // namespace api
")
execute_process(COMMAND ${CMAKE_COMMAND} -E copy_if_different "${OUTPUT}.tmp" "${OUTPUT}")
