#!/usr/bin/env bash
# Check an EPUB with Ace by DAISY (the accessibility referee of the tests).
#
#   tools/ace/run-ace.sh BOOK.epub REPORT_DIR
#
# Writes Ace's report.json and report.html to REPORT_DIR (Ace's own log goes to
# REPORT_DIR/ace.log), prints one line per violation:
#
#   RULE [IMPACT] FILE SELECTOR: MESSAGE
#
# and a closing count. Exit status: 0 no violation, 1 at least one violation, 2 Ace could
# not check the book (no Node.js, no Chromium, Ace crashed, no report).
#
# Needs node and npm, and a Chromium (Debian: apt-get install chromium). Ace's pinned
# version is in package-lock.json beside this script; node_modules is installed here with
# `npm ci --ignore-scripts` on first use (the install scripts would download a browser of
# their own, which this machine cannot; Ace drives the system's Chromium instead).
# PUPPETEER_EXECUTABLE_PATH picks another browser; ACE_TIMEOUT_INITIAL (ms, default
# 60000) is how long the browser may take to start.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"

if [ $# -ne 2 ]; then
  echo "usage: $0 BOOK.epub REPORT_DIR" >&2
  exit 2
fi
if [ ! -f "$1" ]; then
  echo "run-ace: no such file: $1" >&2
  exit 2
fi
book="$(cd "$(dirname "$1")" && pwd)/$(basename "$1")"
mkdir -p "$2"
report="$(cd "$2" && pwd)"

# shellcheck source=../node-browser.sh
source "$here/../node-browser.sh" run-ace

ace="$here/node_modules/.bin/ace-puppeteer"
if [ ! -x "$ace" ]; then
  echo "run-ace: installing Ace into $here/node_modules (npm ci --ignore-scripts)" >&2
  (cd "$here" && npm ci --ignore-scripts --no-audit --no-fund --loglevel=error) >&2
fi

# Ace's Puppeteer runner already launches the browser headless with --no-sandbox (needed
# as root) and Puppeteer adds --disable-dev-shm-usage, --no-first-run and friends, so the
# system's Chromium is used as it is; nothing is downloaded.
export PUPPETEER_EXECUTABLE_PATH="$browser"
export PUPPETEER_SKIP_DOWNLOAD=1
export ACE_TIMEOUT_INITIAL="${ACE_TIMEOUT_INITIAL:-60000}"

rm -f "$report/report.json"
status=0
"$ace" --force --outdir "$report" "$book" >"$report/ace.log" 2>&1 || status=$?
if [ "$status" -ne 0 ] || [ ! -s "$report/report.json" ]; then
  echo "run-ace: Ace failed on $book (exit $status); the end of $report/ace.log:" >&2
  tail -n 30 "$report/ace.log" >&2
  exit 2
fi

node -e '
const fs = require("fs");
const [reportPath, book] = process.argv.slice(1);
let report;
try {
  report = JSON.parse(fs.readFileSync(reportPath, "utf8"));
} catch (e) {
  console.error(`run-ace: cannot read ${reportPath}: ${e.message}`);
  process.exit(2);
}
const flat = (s) => String(s == null ? "" : s).replace(/\s+/g, " ").trim();
let count = 0;
for (const subject of report.assertions || []) {
  const file = (subject["earl:testSubject"] || {}).url || "?";
  for (const a of subject.assertions || []) {
    const result = a["earl:result"] || {};
    if (result["earl:outcome"] !== "fail") continue;
    const test = a["earl:test"] || {};
    const pointer = result["earl:pointer"] || {};
    const where = (pointer.css || []).join(", ") || (pointer.cfi || []).join(", ");
    const message = flat(result["dct:description"] || test["dct:description"]);
    console.log(`${test["dct:title"] || "?"} [${test["earl:impact"] || "?"}] ${file}${where ? " " + where : ""}: ${message}`);
    count += 1;
  }
}
const outcome = (report["earl:result"] || {})["earl:outcome"] || "?";
console.log(`ace: ${count} violation(s), outcome ${outcome}, in ${book} (report: ${reportPath.replace(/json$/, "html")})`);
if (!count && outcome !== "pass") console.log(`ace: the verdict is ${outcome} though no assertion failed`);
process.exit(count || outcome !== "pass" ? 1 : 0);
' "$report/report.json" "$book"
