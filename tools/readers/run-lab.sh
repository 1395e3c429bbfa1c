#!/usr/bin/env bash
# Page through EPUBs in reading engines and print what a reader would see, as JSON.
#
#   tools/readers/run-lab.sh [lab.mjs options] BOOK.epub...       (see lab.mjs)
#   tools/readers/run-lab.sh --spec spec.json --out report.json
#   tools/readers/run-lab.sh --contact-sheet OUT.png LANTERN.epub AL-FANAR.epub
#
# Needs node and npm, and a Chromium (Debian: apt-get install chromium). The engines' pinned
# versions (epub.js, JSZip, puppeteer-core) are in package-lock.json beside this script;
# node_modules is installed here with `npm ci --ignore-scripts` on first use (the install
# scripts would download a browser of their own; the lab drives the system's Chromium).
# PUPPETEER_EXECUTABLE_PATH picks another browser. Exit status: 0 measured (whatever was
# found), 2 the lab could not run.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"

# shellcheck source=../node-browser.sh
source "$here/../node-browser.sh" run-lab

# Installed, and from this lockfile? (npm ci writes node_modules/.package-lock.json last.)
stale() { [ ! -f "$here/node_modules/.package-lock.json" ] || [ "$here/package-lock.json" -nt "$here/node_modules/.package-lock.json" ]; }
# One install at a time: test workers may all start here at once.
if stale; then
  (
    command -v flock >/dev/null 2>&1 && flock 9
    if stale; then
      echo "run-lab: installing the engines into $here/node_modules (npm ci --ignore-scripts)" >&2
      cd "$here" && npm ci --ignore-scripts --no-audit --no-fund --loglevel=error >&2
    fi
  ) 9>"$here/.install.lock"
fi

export PUPPETEER_EXECUTABLE_PATH="$browser"
export PUPPETEER_SKIP_DOWNLOAD=1
if [ "${1:-}" = "--contact-sheet" ]; then
  shift
  node "$here/contact-sheet.mjs" "$@"
  # 128 colours keep the pages legible at a third of the size (Pillow: masthead's own venv)
  py="$here/../../.venv/bin/python"
  [ -x "$py" ] || py=python3
  "$py" - "$1" <<'PY' || echo "run-lab: $1 is left at full colour (no Pillow)" >&2
import sys
from PIL import Image
path = sys.argv[1]
sheet = Image.open(path).convert("RGB")
sheet.quantize(colors=128, method=Image.Quantize.MEDIANCUT, dither=Image.Dither.NONE).save(path, optimize=True)
PY
  exit 0
fi
exec node "$here/lab.mjs" "$@"
