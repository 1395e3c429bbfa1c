#!/usr/bin/env bash
# The web edition's quality bars in headless Chromium (axe-core, measure, controls, no-JS,
# page weight, requests), as JSON on stdout:
#
#   tools/web/run-check.sh FOLDER...                    (check.mjs: each a web edition's folder)
#   tools/web/run-check.sh --screenshots PAGE.html OUT_FOLDER [NAME]   (screenshots.mjs)
#
# Needs node and npm, and a Chromium (Debian: apt-get install chromium). The pinned versions
# (@axe-core/puppeteer, axe-core, puppeteer-core) are in package-lock.json beside this script;
# node_modules is installed here with `npm ci --ignore-scripts` on first use (.npmrc: axe's
# puppeteer peer is puppeteer-core here, no browser of its own). Exit status: 0 measured,
# 2 the check could not run.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"

# shellcheck source=../node-browser.sh
source "$here/../node-browser.sh" run-check

stale() { [ ! -f "$here/node_modules/.package-lock.json" ] || [ "$here/package-lock.json" -nt "$here/node_modules/.package-lock.json" ]; }
if stale; then
  (
    command -v flock >/dev/null 2>&1 && flock 9
    if stale; then
      echo "run-check: installing into $here/node_modules (npm ci --ignore-scripts)" >&2
      cd "$here" && npm ci --ignore-scripts --no-audit --no-fund --loglevel=error >&2
    fi
  ) 9>"$here/.install.lock"
fi

export PUPPETEER_EXECUTABLE_PATH="$browser"
export PUPPETEER_SKIP_DOWNLOAD=1
if [ "${1:-}" = "--screenshots" ]; then
  shift
  node "$here/screenshots.mjs" "$@"
  # 128 colours: a third of the size, the text as legible (Pillow: masthead's own venv)
  py="$here/../../.venv/bin/python"
  [ -x "$py" ] || py=python3
  "$py" - "$2" "${3:-web-article}" <<'PY' || echo "run-check: the screenshots are left at full colour (no Pillow)" >&2
import sys
from pathlib import Path
from PIL import Image
for path in sorted(Path(sys.argv[1]).glob(sys.argv[2] + "-*.png")):
    shot = Image.open(path).convert("RGB")
    shot.quantize(colors=128, method=Image.Quantize.MEDIANCUT, dither=Image.Dither.NONE).save(path, optimize=True)
PY
  exit 0
fi
exec node "$here/check.mjs" "$@"
