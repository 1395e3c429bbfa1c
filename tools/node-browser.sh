# Sourced by tools/ace/run-ace.sh and tools/readers/run-lab.sh: the checks both make before they
# drive a browser from node. Sets $browser (Chromium, or PUPPETEER_EXECUTABLE_PATH) or exits 2
# with a line that starts with the caller's name ($1).
for tool in node npm; do
  if ! command -v "$tool" >/dev/null 2>&1; then
    echo "$1: $tool is not installed" >&2
    exit 2
  fi
done

browser="${PUPPETEER_EXECUTABLE_PATH:-}"
if [ -z "$browser" ]; then
  browser="$(command -v chromium || command -v chromium-browser || true)"
fi
if [ -z "$browser" ] || [ ! -x "$browser" ]; then
  echo "$1: no Chromium found (apt-get install chromium, or set PUPPETEER_EXECUTABLE_PATH)" >&2
  exit 2
fi
