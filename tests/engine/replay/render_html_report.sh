#!/usr/bin/env bash
# Renders the HTML report fixtures in headless Chromium and checks the screenshots:
#   render_html_report.sh HTML_REPORT_TESTS_BINARY OUT_DIR
# The test binary writes the pages (HtmlReportTest.WritesPagesForARenderer) into
# OUT_DIR; each becomes OUT_DIR/NAME.png, which must be a PNG of a real page (not
# a blank or an error page). Exits 77 (ctest: skipped) when chromium is not on
# PATH: install it with `scripts/install-deps.sh --with-dev-tools`. Look at the
# PNGs after a change to the report's layout.
set -euo pipefail
tests="${1:?usage: render_html_report.sh HTML_REPORT_TESTS OUT_DIR}"
out="${2:?usage: render_html_report.sh HTML_REPORT_TESTS OUT_DIR}"
browser="$(command -v chromium || command -v chromium-browser || true)"
if [[ -z "$browser" ]]; then
  echo "chromium not on PATH: skipped (scripts/install-deps.sh --with-dev-tools installs it)"
  exit 77
fi
mkdir -p "$out"
rm -f "$out"/*.html "$out"/*.png
CEP_HTML_REPORT_OUT="$out" "$tests" --gtest_filter='HtmlReportTest.WritesPagesForARenderer' >/dev/null
status=0
for page in "$out"/*.html; do
  png="${page%.html}.png"
  # A profile of its own: no state shared with other runs or the user's browser.
  profile="$(mktemp -d)"
  timeout 90 "$browser" --headless --no-sandbox --disable-gpu --hide-scrollbars \
    --user-data-dir="$profile" --no-first-run --disable-extensions \
    --screenshot="$png" --window-size=1280,2400 "file://$page" >/dev/null 2>&1 || true
  rm -rf "$profile"
  size=$(stat -c %s "$png" 2>/dev/null || echo 0)
  signature=$(head -c 8 "$png" 2>/dev/null | od -An -tx1 | tr -d ' \n' || true)
  # A blank 1280x2400 PNG compresses to a few kB; a page with text and charts is far larger.
  if [[ "$signature" != "89504e470d0a1a0a" || "$size" -lt 30000 ]]; then
    echo "FAIL $png: signature '$signature', $size bytes"
    status=1
  else
    echo "ok   $png: $size bytes"
  fi
done
exit $status
