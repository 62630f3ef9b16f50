// engine/replay/html_report.h: the page of `cep replay --html`, rendered from the
// report fixtures in testdata/ (see testdata/README.md) and read back as XML.
#include "engine/replay/html_report.h"

#include <cctype>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <string_view>
#include <vector>

#include <gtest/gtest.h>

namespace engine {
namespace {

std::filesystem::path SourceDir() {
  const char* root = std::getenv("CEP_SOURCE_DIR");
  return root != nullptr ? root : CEP_SOURCE_DIR_FALLBACK;
}

std::string ReadFile(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  EXPECT_TRUE(in.good()) << path;
  std::stringstream buffer;
  buffer << in.rdbuf();
  return buffer.str();
}

std::string Fixture(std::string_view name) {
  return ReadFile(SourceDir() / "tests/engine/replay/testdata" / (std::string(name) + ".json"));
}

std::string FdhSource() { return ReadFile(SourceDir() / "rulesets/fdh.rules"); }

size_t Count(std::string_view haystack, std::string_view needle) {
  size_t n = 0;
  for (size_t pos = haystack.find(needle); pos != std::string_view::npos;
       pos = haystack.find(needle, pos + needle.size())) {
    ++n;
  }
  return n;
}

bool ValidUtf8(std::string_view s) {
  for (size_t i = 0; i < s.size();) {
    const auto c = static_cast<unsigned char>(s[i]);
    const size_t n = c < 0x80 ? 1 : c >= 0xF0 ? 4 : c >= 0xE0 ? 3 : c >= 0xC2 ? 2 : 0;
    if (n == 0 || i + n > s.size()) return false;
    for (size_t k = 1; k < n; ++k) {
      if ((static_cast<unsigned char>(s[i + k]) & 0xC0) != 0x80) return false;
    }
    if (n == 1 && c < 0x20 && c != '\t' && c != '\n' && c != '\r') return false;
    i += n;
  }
  return true;
}

// '&' must start one of XML's five entities or a numeric reference; '<' never
// appears raw. Returns what is wrong, or "".
std::string CheckText(std::string_view text) {
  if (text.find('<') != std::string_view::npos) return "raw '<' in text or attribute";
  for (size_t pos = text.find('&'); pos != std::string_view::npos; pos = text.find('&', pos + 1)) {
    const size_t end = text.find(';', pos);
    if (end == std::string_view::npos) return "unterminated entity";
    const std::string_view entity = text.substr(pos + 1, end - pos - 1);
    const bool named =
        entity == "lt" || entity == "gt" || entity == "amp" || entity == "quot" || entity == "apos";
    bool numeric = entity.size() >= 2 && entity[0] == '#';
    for (size_t i = 1; numeric && i < entity.size(); ++i) {
      numeric =
          std::isxdigit(static_cast<unsigned char>(entity[i])) != 0 || (i == 1 && entity[i] == 'x');
    }
    if (!named && !numeric) return "unknown entity &" + std::string(entity) + ";";
  }
  return "";
}

bool NameChar(char c) {
  return std::isalnum(static_cast<unsigned char>(c)) != 0 || c == '-' || c == '_' || c == ':' ||
         c == '.';
}

// A strict XML well-formedness check, enough for our own markup: one root
// element after an optional DOCTYPE, every element closed in order, attributes
// quoted and unique, text and attribute values properly escaped, valid UTF-8.
// Returns "" or what is wrong, with the offset.
std::string WellFormed(std::string_view s) {
  if (!ValidUtf8(s)) return "not valid UTF-8 (or a control character)";
  std::vector<std::string> open;
  bool root_seen = false;
  size_t i = 0;
  auto fail = [&](const std::string& why) { return why + " at offset " + std::to_string(i); };
  while (i < s.size()) {
    if (s[i] != '<') {
      size_t end = s.find('<', i);
      if (end == std::string_view::npos) end = s.size();
      const std::string_view text = s.substr(i, end - i);
      if (open.empty() && text.find_first_not_of(" \t\r\n") != std::string_view::npos) {
        return fail("text outside the root element");
      }
      if (std::string why = CheckText(text); !why.empty()) return fail(why);
      i = end;
      continue;
    }
    if (s.substr(i, 4) == "<!--") {
      const size_t end = s.find("-->", i);
      if (end == std::string_view::npos) return fail("unterminated comment");
      i = end + 3;
      continue;
    }
    if (s.substr(i, 9) == "<!DOCTYPE") {
      if (root_seen) return fail("DOCTYPE after the root");
      i = s.find('>', i) + 1;
      continue;
    }
    const bool closing = i + 1 < s.size() && s[i + 1] == '/';
    size_t j = i + (closing ? 2 : 1);
    const size_t name_start = j;
    while (j < s.size() && NameChar(s[j])) ++j;
    const std::string name(s.substr(name_start, j - name_start));
    if (name.empty() || std::isalpha(static_cast<unsigned char>(name[0])) == 0)
      return fail("bad tag name");
    if (closing) {
      if (j >= s.size() || s[j] != '>') return fail("bad end tag </" + name);
      if (open.empty() || open.back() != name) {
        return fail("</" + name + "> closes <" + (open.empty() ? "nothing" : open.back()) + ">");
      }
      open.pop_back();
      i = j + 1;
      continue;
    }
    if (open.empty() && root_seen) return fail("a second root element <" + name + ">");
    root_seen = true;
    std::vector<std::string> attributes;
    while (true) {
      while (j < s.size() && std::isspace(static_cast<unsigned char>(s[j])) != 0) ++j;
      if (j >= s.size()) return fail("unterminated tag <" + name);
      if (s.substr(j, 2) == "/>") {
        j += 2;
        break;
      }
      if (s[j] == '>') {
        open.push_back(name);
        ++j;
        break;
      }
      const size_t attr_start = j;
      while (j < s.size() && NameChar(s[j])) ++j;
      const std::string attr(s.substr(attr_start, j - attr_start));
      if (attr.empty() || j + 1 >= s.size() || s[j] != '=' ||
          (s[j + 1] != '"' && s[j + 1] != '\'')) {
        return fail("unquoted or malformed attribute in <" + name);
      }
      for (const std::string& a : attributes) {
        if (a == attr) return fail("duplicate attribute " + attr);
      }
      attributes.push_back(attr);
      const char quote = s[j + 1];
      const size_t end = s.find(quote, j + 2);
      if (end == std::string_view::npos) return fail("unterminated attribute value");
      if (std::string why = CheckText(s.substr(j + 2, end - j - 2)); !why.empty()) return fail(why);
      j = end + 1;
    }
    i = j;
  }
  if (!open.empty()) return "unclosed <" + open.back() + ">";
  if (!root_seen) return "no root element";
  return "";
}

// What every page must be: well-formed, self-contained, script-free.
void ExpectSafePage(const std::string& html) {
  EXPECT_EQ(WellFormed(html), "");
  EXPECT_EQ(html.find("<script"), std::string::npos);
  EXPECT_EQ(html.find("http://"), std::string::npos);
  EXPECT_EQ(html.find("https://"), std::string::npos);
  EXPECT_EQ(html.find(" src=\""), std::string::npos);
  EXPECT_EQ(html.find(" href=\""), std::string::npos);
  EXPECT_EQ(html.find("<img"), std::string::npos);
  EXPECT_EQ(html.find("@import"), std::string::npos);
  EXPECT_EQ(html.find("url(") == std::string::npos ? 0 : Count(html, "url(#"), Count(html, "url("))
      << "only in-page url(#id) references";
}

std::string Render(std::string_view fixture, std::string_view source) {
  cep::Result<std::string> html = RenderHtmlReport(Fixture(fixture), source);
  EXPECT_TRUE(html.has_value()) << (html.has_value() ? "" : html.error().message());
  return html.has_value() ? *html : std::string();
}

TEST(WellFormedTest, CatchesWhatItShould) {
  EXPECT_EQ(WellFormed("<html><body><p>a &amp; b</p><br/></body></html>"), "");
  EXPECT_NE(WellFormed("<html><p></html>"), "");
  EXPECT_NE(WellFormed("<html><p a=b></p></html>"), "");
  EXPECT_NE(WellFormed("<html>a & b</html>"), "");
  EXPECT_NE(WellFormed("<html><p a=\"1\" a=\"2\"></p></html>"), "");
  EXPECT_NE(WellFormed("<html></html><html></html>"), "");
  EXPECT_NE(WellFormed("<html>\x01</html>"), "");
  EXPECT_NE(WellFormed("<html>\xff</html>"), "");
}

TEST(HtmlReportTest, FdhReportWithLabelsHasTheTableChartsAndSource) {
  const std::string html = Render("fdh_labels", FdhSource());
  ExpectSafePage(html);
  EXPECT_NE(html.find("3 rules catch 69.4% of 12,134 fraud events at 71.4% precision, 77.2 "
                      "alerts/day (F1 0.704)."),
            std::string::npos);
  for (const char* rule :
       {"large_amount", "amount_spike_vs_60d_average", "payment_at_reported_terminal"}) {
    EXPECT_NE(html.find("</span>" + std::string(rule) + "</td><td>"), std::string::npos) << rule;
  }
  EXPECT_EQ(Count(html, "<tr><td class=\"name\">"), 3u);  // one table row per rule
  EXPECT_NE(html.find("<td class=\"name\">overall (any rule)</td><td>11,813</td>"),
            std::string::npos);
  // precision/recall, time to detect, alerts per day
  EXPECT_EQ(Count(html, "<svg "), 3u);
  EXPECT_NE(html.find("aria-label=\"precision and recall\""), std::string::npos);
  EXPECT_NE(html.find("aria-label=\"time to detect histogram\""), std::string::npos);
  EXPECT_NE(html.find("aria-label=\"alerts per day\""), std::string::npos);
  EXPECT_NE(html.find("&#8804; 1 min"), std::string::npos);
  EXPECT_NE(html.find("&#8804; 28 d"), std::string::npos);
  EXPECT_NE(html.find("&gt; 28 d"), std::string::npos);
  EXPECT_NE(html.find("Apr 1"), std::string::npos);  // monthly date labels over 153 days
  EXPECT_NE(html.find("2018-04-01 large_amount: 3"), std::string::npos);  // a bar's title
  // The source, with each rule's figures beside its `rule NAME {` line.
  EXPECT_EQ(Count(html, "<div class=\"figs\""), 3u);
  EXPECT_NE(html.find("rule large_amount {"), std::string::npos);
  EXPECT_NE(html.find("count(where kind == &quot;fraud_report&quot;) &gt;= REPORTS"),
            std::string::npos);
  EXPECT_EQ(html.find("No labels"), std::string::npos);
}

TEST(HtmlReportTest, WithoutLabelsSaysSoAndLeavesOutThePrecisionCharts) {
  const std::string html = Render("fdh_no_labels", FdhSource());
  ExpectSafePage(html);
  EXPECT_NE(html.find("No labels: replay with --label-field"), std::string::npos);
  EXPECT_NE(html.find("No labels: no precision/recall chart"), std::string::npos);
  EXPECT_EQ(Count(html, "<svg "), 1u);  // alerts per day only
  EXPECT_EQ(html.find("<th>precision</th>"), std::string::npos);
  EXPECT_EQ(Count(html, "<tr><td class=\"name\">"), 3u);
  EXPECT_EQ(Count(html, "<div class=\"figs\""), 3u);
}

TEST(HtmlReportTest, SweepShowsEveryVariantTheParetoFrontAndTheSelectedOne) {
  const std::string html = Render("fdh_sweep", FdhSource());
  ExpectSafePage(html);
  // precision/recall, the same zoomed on the variants, time to detect, alerts per day
  EXPECT_EQ(Count(html, "<svg "), 4u);
  EXPECT_NE(
      html.find(
          "Of 12 variants of SPIKE and REPORTS, 6 lie on the precision/recall Pareto front; the "
          "figures here are for SPIKE=3.0, REPORTS=3 (highest F1)."),
      std::string::npos);
  EXPECT_NE(html.find("<h2>Sweep: 12 variants of SPIKE, REPORTS</h2>"), std::string::npos);
  EXPECT_EQ(Count(html, "<span class=\"badge\">selected</span>"), 1u);
  EXPECT_EQ(Count(html, "<td>&#9679;</td>"), 6u);  // Pareto marks in the table
  EXPECT_EQ(Count(html, "<tr class=\"sel\">"), 1u);
  EXPECT_EQ(Count(html, "stroke=\"#D55E00\" stroke-width=\"2.5\""), 2u);  // ringed in both charts
  EXPECT_NE(html.find("scored from 2018-04-01 to 2018-09-01"), std::string::npos);
  EXPECT_NE(html.find(">3.0 / 3</text>"), std::string::npos);  // the selected point's label
}

TEST(HtmlReportTest, EmptyInputRendersWithoutCharts) {
  const std::string html = Render("empty", FdhSource());
  ExpectSafePage(html);
  EXPECT_NE(html.find("The input held no events"), std::string::npos);
  EXPECT_EQ(Count(html, "<svg "), 0u);
  EXPECT_NE(html.find("No alerts: nothing to plot."), std::string::npos);
  EXPECT_EQ(Count(html, "<tr><td class=\"name\">"), 3u);
}

TEST(HtmlReportTest, NoAlertsSaysEveryFraudIsMissed) {
  const std::string html = Render("no_alerts", FdhSource());
  ExpectSafePage(html);
  EXPECT_NE(
      html.find("3 rules raise no alert over 40 events in 1 day. All 4 fraud events are missed."),
      std::string::npos);
  EXPECT_EQ(Count(html, "<svg "), 1u);  // precision/recall: every rule at 0
  EXPECT_NE(html.find("No key with fraud was detected"), std::string::npos);
  EXPECT_NE(html.find("No alerts: nothing to plot."), std::string::npos);
}

TEST(HtmlReportTest, OneDayGetsOneBarAndADayLabel) {
  const std::string html = Render("one_day", FdhSource());
  ExpectSafePage(html);
  EXPECT_EQ(Count(html, "<svg "), 3u);
  EXPECT_NE(html.find(">08-15</text>"), std::string::npos);
  EXPECT_NE(html.find("2018-08-15 large_amount: 4"), std::string::npos);
  EXPECT_NE(html.find("UTC day, 2018-08-15 to 2018-08-15"), std::string::npos);
}

TEST(HtmlReportTest, EscapesHostileNamesValuesAndSource) {
  // Markup, quotes, a control character and bytes that are not UTF-8, in the source.
  const std::string source =
      "ruleset evil version 1\n# </pre><script>alert(1)</script> & \"'\x01 \xff\xfe\xc3\x28\n"
      "rule large_amount<&\"'> {\n  where amount > 220\n}\n";
  const std::string html = Render("hostile", source);
  ExpectSafePage(html);
  EXPECT_EQ(html.find("evil<b>"), std::string::npos);
  EXPECT_EQ(html.find("large_amount<"), std::string::npos);
  EXPECT_NE(html.find("large_amount&lt;&amp;&quot;&#39;&gt;"), std::string::npos);
  EXPECT_NE(html.find("spike&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;"), std::string::npos);
  EXPECT_NE(html.find("evil&lt;b&gt;&amp;amp;"), std::string::npos);
  EXPECT_NE(html.find("&lt;/pre&gt;&lt;script&gt;alert(1)&lt;/script&gt; &amp; &quot;&#39;&#xFFFD; "
                      "&#xFFFD;&#xFFFD;&#xFFFD;("),
            std::string::npos);
  EXPECT_NE(html.find("SPIKE=&lt;1&amp;2&gt;"), std::string::npos);
  EXPECT_NE(html.find("Compared with other&lt;/h2&gt; v1"), std::string::npos);
  // The hostile rule still gets its figures beside its source line.
  EXPECT_EQ(Count(html, "<div class=\"figs\""), 1u);
}

TEST(HtmlReportTest, UnreadableReportsAreErrors) {
  for (const char* bad : {"", "not json", "{\"ruleset\": \"x\", \"rules\": [", "[]", "{}",
                          "{\"ruleset\": \"x\"}", "{\"ruleset\": \"x\", \"rules\": {}}"}) {
    cep::Result<std::string> html = RenderHtmlReport(bad, "");
    EXPECT_FALSE(html.has_value()) << bad;
    if (!html.has_value()) {
      EXPECT_EQ(html.error().code(), cep::StatusCode::kInvalidArgument) << bad;
    }
  }
}

TEST(HtmlReportTest, FieldsOfUnexpectedTypesDegrade) {
  for (const char* odd :
       {R"({"ruleset": "x", "rules": []})",
        R"({"ruleset": 5, "version": [1], "rules": [1, "a", null, {"rule": 7, "alerts": "many"}],
               "labels": "yes", "sweep": {"variants": 3}, "alerts_per_day": [1, 2]})",
        R"({"ruleset": "x", "events": 10, "alerts": 2, "days": 1, "labels": {"overall": 3},
               "alerts_per_day": {"2018-13-45": 2, "garbage": 1, "2018-01-01": "x"},
               "sweep": {"parameters": "P", "variants": [{"set": 1}, 2, {"precision": 0.5}]},
               "compare": {"rules": [1]}, "rules": [{"rule": "r", "labels": {"time_to_detect":
               {"histogram": [1, {"le_ms": "x"}]}}}]})"}) {
    cep::Result<std::string> html = RenderHtmlReport(odd, "rule r {\n}\nrule\nrule \n");
    ASSERT_TRUE(html.has_value()) << odd << ": " << html.error().message();
    ExpectSafePage(*html);
  }
}

// Writes each fixture's page where the Chromium render test (render_html_report.sh)
// picks them up: $CEP_HTML_REPORT_OUT, else a temporary folder.
TEST(HtmlReportTest, WritesPagesForARenderer) {
  const char* out = std::getenv("CEP_HTML_REPORT_OUT");
  const std::filesystem::path dir =
      out != nullptr ? std::filesystem::path(out)
                     : std::filesystem::path(::testing::TempDir()) / "html_report";
  std::filesystem::create_directories(dir);
  for (const char* fixture :
       {"fdh_labels", "fdh_no_labels", "fdh_sweep", "empty", "one_day", "hostile"}) {
    const std::string html = Render(fixture, FdhSource());
    ASSERT_FALSE(html.empty()) << fixture;
    std::ofstream(dir / (std::string(fixture) + ".html"), std::ios::binary) << html;
    EXPECT_EQ(std::filesystem::file_size(dir / (std::string(fixture) + ".html")), html.size());
  }
}

}  // namespace
}  // namespace engine
