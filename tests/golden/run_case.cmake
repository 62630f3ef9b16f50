# Runs one golden case: cmake -DCEP=<cep binary> -DCASE_DIR=<case folder>
#   -DSOURCE_DIR=<repo root> -DOUT_DIR=<scratch folder> -P run_case.cmake
# Replays CASE_DIR/events.jsonl (or the input.ref input) through the case's rules and compares the alerts
# with CASE_DIR/expected_alerts.jsonl byte for byte; on a mismatch prints a
# unified diff (expected -> actual) and fails. It never writes into CASE_DIR.
foreach(_var CEP CASE_DIR SOURCE_DIR OUT_DIR)
  if(NOT DEFINED ${_var})
    message(FATAL_ERROR "run_case.cmake: -D${_var}=... is required")
  endif()
endforeach()

# The rules: CASE_DIR/rules.rules, or CASE_DIR/rules.ref naming a file relative
# to the repository root (e.g. rulesets/card_fraud.rules).
if(EXISTS "${CASE_DIR}/rules.rules")
  set(_rules "${CASE_DIR}/rules.rules")
elseif(EXISTS "${CASE_DIR}/rules.ref")
  file(STRINGS "${CASE_DIR}/rules.ref" _ref REGEX "^[^#]")
  list(GET _ref 0 _ref)
  string(STRIP "${_ref}" _ref)
  set(_rules "${SOURCE_DIR}/${_ref}")
else()
  message(FATAL_ERROR "${CASE_DIR}: neither rules.rules nor rules.ref")
endif()

# Extra replay flags: CASE_DIR/args, whitespace-separated, '#' lines ignored.
set(_args "")
if(EXISTS "${CASE_DIR}/args")
  file(STRINGS "${CASE_DIR}/args" _lines REGEX "^[^#]")
  foreach(_line IN LISTS _lines)
    separate_arguments(_split UNIX_COMMAND "${_line}")
    list(APPEND _args ${_split})
  endforeach()
endif()

file(MAKE_DIRECTORY "${OUT_DIR}")

# The input: CASE_DIR/events.jsonl, or CASE_DIR/input.ref naming a data file
# outside the repository (relative to the repository root, e.g. ../shared/data/...;
# never copied into it) and, on a line `lines N`, how many of its first lines to
# replay; those are unpacked into OUT_DIR. A missing data file skips the case
# (ctest SKIP_REGULAR_EXPRESSION "GOLDEN_SKIP").
set(_input "${CASE_DIR}/events.jsonl")
if(EXISTS "${CASE_DIR}/input.ref")
  file(STRINGS "${CASE_DIR}/input.ref" _ref_lines REGEX "^[^#]")
  list(GET _ref_lines 0 _data)
  string(STRIP "${_data}" _data)
  get_filename_component(_data "${SOURCE_DIR}/${_data}" ABSOLUTE)
  if(NOT EXISTS "${_data}")
    message(STATUS "GOLDEN_SKIP: the case's input ${_data} is not on this machine")
    return()
  endif()
  set(_input "${_data}")
  foreach(_line IN LISTS _ref_lines)
    if(_line MATCHES "^lines[ \t]+([0-9]+)")
      set(_head_lines "${CMAKE_MATCH_1}")
      get_filename_component(_name "${_data}" NAME)
      string(REGEX REPLACE "\\.gz$" "" _name "${_name}")
      set(_input "${OUT_DIR}/${_name}")
      # No pipefail: head closing the pipe early is how this is meant to end.
      execute_process(
        COMMAND bash -c "gzip -cdf -- \"$0\" | head -n \"$1\" > \"$2\"" "${_data}"
                "${_head_lines}" "${_input}"
        RESULT_VARIABLE _unpack_rc)
      if(NOT _unpack_rc EQUAL 0)
        message(FATAL_ERROR "cannot unpack the first ${_head_lines} lines of ${_data}")
      endif()
    endif()
  endforeach()
endif()

set(_actual "${OUT_DIR}/actual_alerts.jsonl")
file(REMOVE "${_actual}")
# From the repository root, so that paths in `args` (--csv-map rulesets/...) resolve.
execute_process(
  COMMAND "${CEP}" replay --rules "${_rules}" --input "${_input}"
          --alerts "${_actual}" ${_args}
  WORKING_DIRECTORY "${SOURCE_DIR}"
  RESULT_VARIABLE _rc
  OUTPUT_VARIABLE _stdout
  ERROR_VARIABLE _stderr)
if(NOT _rc EQUAL 0)
  message(FATAL_ERROR "cep replay exited with ${_rc}\n${_stdout}${_stderr}")
endif()

# The diff goes straight to the test's output, unmangled.
execute_process(
  COMMAND diff -u --label expected_alerts.jsonl --label actual_alerts.jsonl
          "${CASE_DIR}/expected_alerts.jsonl" "${_actual}"
  RESULT_VARIABLE _diff_rc)
if(NOT _diff_rc EQUAL 0)
  message(FATAL_ERROR "alerts differ from ${CASE_DIR}/expected_alerts.jsonl (diff above; "
                      "actual output kept in ${_actual})\nreplay summary:\n${_stderr}")
endif()
message(STATUS "golden case ok: ${CASE_DIR}")
