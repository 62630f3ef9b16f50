#pragma once

#include <string>
#include <string_view>

#include "engine/replay/internal/backtest_report.h"

// Sections of the HTML replay report (engine/replay/html_report.h) that only
// some reports have, or that stand apart: each appends an <h2> and its content.
namespace engine::html {

// The sweep: precision/recall over the variants (with the Pareto front and the
// selected one; zoomed in again when they sit close together) and the table of
// variants. Nothing without a sweep.
void Sweep(std::string& out, const Report& r);

// `--compare`: alerts per rule here and in the other ruleset. Nothing without it.
void Compare(std::string& out, const Report& r);

// The ruleset source, escaped, with line numbers; beside each `rule NAME {`
// line, that rule's figures.
void Source(std::string& out, const Report& r, std::string_view source);

}  // namespace engine::html
