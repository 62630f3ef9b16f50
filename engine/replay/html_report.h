#pragma once

#include <string>
#include <string_view>

#include "cep/base/result.h"

namespace engine {

// The self-contained HTML report of `cep replay --html`: `report_json` is the JSON
// report (`--report`, sweep included), `ruleset_source` the ruleset's text. Returns
// an error for a report it cannot read.
//
// The page is one file: inline CSS and inline SVG, no script, no external font,
// image or link, so it opens anywhere and can be mailed. It is written as
// XHTML-compatible markup (every element closed, attributes quoted), so an XML
// parser reads it too. Every string taken from the report or the source (rule
// names, input path, the ruleset text) is escaped; invalid UTF-8 and control
// characters become U+FFFD. Sections: headline figures and a one-sentence
// reading, the per-rule table, the precision/recall chart (sweep variants with
// the Pareto front, or one point per rule), alerts per day, the time-to-detect
// histogram, the sweep variants, the `--compare` diff when present, and the
// ruleset source with each rule's figures beside it. A report without labels,
// events, alerts or sweep leaves the matching charts out and says why.
//
// "Cannot read": not JSON, or not an object with `ruleset` and a `rules` array
// (InvalidArgument). Missing optional fields degrade; they are not errors.
// Threading: a pure function.
cep::Result<std::string> RenderHtmlReport(std::string_view report_json,
                                          std::string_view ruleset_source);

}  // namespace engine
