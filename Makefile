# Developer tasks. `make serve` and `make test` are all a new machine needs (Python 3.11 or 3.12, make).
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-$(shell cat pyproject.toml requirements/constraints.txt | cksum | cut -d' ' -f1)

.PHONY: help install serve test lint openapi fuzz bench soak sdk audit constraints clean
.PHONY: image image-test deploy-lint
.PHONY: browser-deps page-messages messages rule-texts screenshots

help:
	@echo "make serve    run the service on http://127.0.0.1:8000 with the bundled rules"
	@echo "make test     run the test suite (what CI runs)"
	@echo "make lint     ruff"
	@echo "make openapi  regenerate openapi/openapi.json after an API or vocabulary change"
	@echo "make fuzz     longer schemathesis campaign (release check)"
	@echo "make bench    benchmarks (see benchmarks/README.md)"
	@echo "make soak     sustained load on a two-worker server"
	@echo "make sdk      generate the Python and TypeScript clients and test them against a live server"
	@echo "make image    build the container image without a daemon (podman, buildah; installs them if missing)"
	@echo "make image-test  build the image, run it and test it over HTTP (deploy/test_image.py)"
	@echo "make deploy-lint  hadolint, checkov and schema checks of the Dockerfile and deploy/"
	@echo "make messages  extract the answers' and the page's messages (api/locale/*.pot), update the Spanish catalogues"
	@echo "make rule-texts  update the rule files' Spanish catalogues (rules/locale/es) after a rule text changed"
	@echo "make screenshots    regenerate the page's screenshots in docs/"
	@echo "make mutants  mutation testing of engine/ and api/problems.py (long; see tests/README.md)"

$(STAMP):
	@$(PYTHON) -c 'import sys; v = sys.version_info[:2]; sys.exit(0 if (3, 11) <= v < (3, 13) else f"credcheck needs Python 3.11 or 3.12 (durable-rules fails to import on 3.13); {sys.executable} is {v[0]}.{v[1]}")'
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -c requirements/constraints.txt -e '.[dev]'
	rm -f $(VENV)/.installed-* && touch $(STAMP)

install: $(STAMP)

serve: $(STAMP)
	$(BIN)/credcheck serve

test: $(STAMP) browser-deps
	$(BIN)/python -m pytest -q

lint: $(STAMP)
	$(BIN)/ruff check .

openapi: $(STAMP)
	$(BIN)/python -m api.spec

fuzz: $(STAMP)
	CREDCHECK_FUZZ_EXAMPLES=1000 $(BIN)/python -m pytest -q tests/api/test_schemathesis.py

bench: $(STAMP)
	$(BIN)/python benchmarks/run.py

soak: $(STAMP)
	$(BIN)/python benchmarks/soak.py

# Generate the Python and TypeScript clients from openapi/openapi.json and run their test programs
# against a live server (needs Node.js 20.19+ and npm; see docs/integrators.md).
sdk: $(STAMP)
	bash sdk/run.sh

# The container image, built and run without a daemon: podman, buildah and runc on a Debian base it
# bootstraps once (cached in ~/.cache/credcheck). See deploy/image.sh and README "Container image".
image: $(STAMP)
	bash deploy/image.sh build

image-test: $(STAMP)
	bash deploy/image.sh test

deploy-lint:
	bash deploy/lint.sh

# Known-vulnerability audit of the pinned dependencies. Needs PyPI's per-release JSON (vulnerability data):
# it fails (--strict) where packages cannot be audited, rather than passing without checking anything.
audit: $(STAMP)
	$(BIN)/python -m pip install --quiet pip-audit
	$(BIN)/pip-audit --strict -r requirements/constraints.txt --vulnerability-service pypi --progress-spinner off

# Mutation testing with mutmut (hours for everything; not run in CI). Bounded:
#   make mutants MUTANTS_PATHS=engine/_dates.py MUTANTS_TESTS=tests/engine/test_dates.py
MUTANTS_PATHS ?=
MUTANTS_TESTS ?=
MUTANTS_SAMPLE ?=
.PHONY: mutants
mutants: $(STAMP)
	$(BIN)/python tests/mutants.py $(MUTANTS_PATHS) --tests "$(MUTANTS_TESTS)" $(if $(MUTANTS_SAMPLE),--sample $(MUTANTS_SAMPLE))

# Regenerate the pinned versions (needs uv: pip install uv).
constraints:
	uv pip compile pyproject.toml --extra dev --python-version 3.11 --no-header --annotation-style line -o requirements/constraints.txt

# --- the page (api/web): browser tests, messages, screenshots ---------------------------------------------
# The browser tests drive Debian's Chromium with Playwright (never `playwright install`: no browser downloads
# here) and scan pages with axe-core from npm, kept in the venv.
CHROMIUM ?= /usr/bin/chromium
AXE_VERSION := 4.14.1
AXE := $(VENV)/npm/node_modules/axe-core/axe.min.js
export CREDCHECK_CHROMIUM := $(abspath $(CHROMIUM))
export CREDCHECK_AXE := $(abspath $(AXE))

browser-deps: $(CHROMIUM) $(AXE)

$(CHROMIUM):
	@command -v apt-get >/dev/null && [ "$$(id -u)" = 0 ] || { echo "The browser tests need Chromium at $(CHROMIUM): install Debian's package (apt-get install -y chromium) as root, or set CHROMIUM=/path/to/chromium"; exit 1; }
	DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null || { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; } || { echo "could not install chromium with apt-get"; exit 1; }

$(AXE): | $(STAMP)
	@command -v npm >/dev/null || { echo "The accessibility tests need axe-core from npm: install Node.js and npm"; exit 1; }
	npm install --silent --no-save --no-package-lock --no-audit --no-fund --prefix $(VENV)/npm axe-core@$(AXE_VERSION)

messages: page-messages
	$(BIN)/pybabel extract -F api/babel.cfg -k N_:1,2 --add-location=file --sort-by-file --omit-header -o api/locale/messages.pot .
	$(BIN)/pybabel update -D messages -i api/locale/messages.pot -d api/locale -l es --ignore-obsolete -w 120

rule-texts: $(STAMP)
	$(BIN)/python -m api.rules_text update

page-messages: $(STAMP)
	$(BIN)/pybabel extract -F api/web/babel.cfg -k N_ --add-location=file --sort-by-file --omit-header -o api/locale/page.pot .
	$(BIN)/pybabel update -D page -i api/locale/page.pot -d api/locale -l es --ignore-obsolete

screenshots: $(STAMP) browser-deps
	$(BIN)/python docs/screenshots.py

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache .hypothesis build dist *.egg-info
