# masthead: `make demo` and `make test` on a fresh machine; everything else is optional.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
# Tools the tests use to open the outputs (PDF and EPUB readers, calibre). Installed with
# apt-get when missing and we are root (CI, a fresh container); otherwise those tests skip.
# Ace by DAISY (tests/test_accessibility.py) and the reading-engine lab
# (tests/test_reading_engines.py) also need node and npm, which the machine has (Debian's are
# installed where they are missing).
# fonts-droid-fallback: a CJK face, for generated covers in Japanese and Chinese (test_cover.py).
SYSTEM_TOOLS := pdfinfo:poppler-utils mutool:mupdf-tools ebook-convert:calibre java:default-jre-headless chromium:chromium node:nodejs npm:npm
# npm packages the tests drive, each pinned by the package-lock.json in its folder.
NODE_TOOLS := tools/readers tools/web

.PHONY: install demo test lint system-deps node-deps bench fuzz messages clean

install: $(STAMP)

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[test]'
	touch $@

# issues/ is a publication (issues/publication.yaml): every issue, its archive site and feeds.
demo: install
	$(BIN)/masthead build -o dist

system-deps:
	@missing=""; for pair in $(SYSTEM_TOOLS); do \
	  command -v $${pair%%:*} >/dev/null 2>&1 || missing="$$missing $${pair#*:}"; done; \
	fc-list :lang=ja 2>/dev/null | grep -q . || missing="$$missing fonts-droid-fallback"; \
	if [ -n "$$missing" ]; then \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
	    echo "installing:$$missing"; \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $$missing >/dev/null; \
	  else echo "not installed (tests that need them will skip):$$missing"; fi; \
	fi

# The reading-engine lab's engines (epub.js, puppeteer-core), from the lockfile, without their
# install scripts (which would download a browser; the lab drives the system's Chromium).
node-deps: system-deps
	@if command -v npm >/dev/null 2>&1; then \
	  for dir in $(NODE_TOOLS); do \
	    if [ ! -f $$dir/node_modules/.package-lock.json ] || [ $$dir/package-lock.json -nt $$dir/node_modules/.package-lock.json ]; then \
	      (cd $$dir && npm ci --ignore-scripts --no-audit --no-fund --loglevel=error) || exit 1; fi; \
	  done; \
	else echo "npm is not installed (the reading-engine lab will skip)"; fi

# The code's own checks, before any test: ruff's rules, mypy's types (strict on the records,
# the manifest and the pipeline), and the stages' layers (import-linter); all in pyproject.toml.
lint: install
	$(BIN)/ruff check
	$(BIN)/mypy
	$(BIN)/lint-imports --no-cache

# The tests that time processes (marked serial) run after the others, alone. The others run in
# one worker more than the machine has cores: many wait on a browser, Java or a server for part
# of their time, and two workers on two cores left a third of the CPU idle. A module whose tests
# share a module-scoped fixture runs whole on one worker (tests/conftest.py, --dist loadscope).
TEST_WORKERS ?= $(shell echo $$(( $$(nproc) + 1 )))
test: install system-deps node-deps lint
	$(BIN)/python -m pytest -q -n $(TEST_WORKERS) --dist loadscope -m "not serial"
	$(BIN)/python -m pytest -q -p no:xdist -m serial

# BENCH_ARGS: bench/run.py's options, e.g. make bench BENCH_ARGS="--memory-scale 1 --memory-jobs 2"
# (every row in one run, the memory rows at full size: about 90 minutes here).
BENCH_ARGS ?=
bench: SYSTEM_TOOLS += pandoc:pandoc
bench: install system-deps
	$(BIN)/python bench/run.py $(BENCH_ARGS)

fuzz: install
	$(BIN)/python -m pip install --quiet atheris
	$(BIN)/python tests/fuzz_articles.py -max_total_time=60 -rss_limit_mb=4096
	$(BIN)/python tests/fuzz_svg.py -max_total_time=60 -rss_limit_mb=4096
	$(BIN)/python tests/fuzz_templates.py -max_total_time=60 -rss_limit_mb=4096

# Extract the templates' strings into templates/default/locale/masthead.pot
messages: install
	$(BIN)/pybabel extract -F babel.cfg -o templates/default/locale/masthead.pot --no-location --omit-header .

clean:
	rm -rf dist .pytest_cache
