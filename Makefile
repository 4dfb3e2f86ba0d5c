# The two commands the README promises: `make demo` and `make test`.
# Each builds what it needs from nothing: system packages (when missing),
# the project's virtualenv, and the project itself in editable mode.

PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
OCTOPRINT := .venv-octoprint/.installed
# What the tests run for real, from Debian: the browser (Playwright drives Debian's Chromium,
# never a downloaded one), the station's voice (espeak-ng) and its measure (sox), fonts with
# Latin and Arabic letters.
TEST_PACKAGES := chromium espeak-ng sox fonts-dejavu-core fonts-noto-core cage caddy default-jre-headless \
	libpango-1.0-0 libpangoft2-1.0-0 qpdf poppler-utils zbar-tools \
	libreoffice-calc-nogui
DEMO_DIR := demo-data
HUB_PORT ?= 5000
OCTOPRINT_PORT ?= 5001
SCREEN_PORT ?= 8010
SUDO   := $(shell [ "$$(id -u)" = 0 ] || echo sudo)

.PHONY: demo test lint bench system-deps test-system-deps clean translations i18n-update pi-proof mutation

system-deps:
	@$(PYTHON) -c 'import sys; sys.exit(sys.version_info < (3, 11))' \
		|| { echo "Python 3.11 or newer is required"; exit 1; }
	@{ $(PYTHON) -c 'import ensurepip, venv' 2>/dev/null && command -v gcc >/dev/null; } \
		|| { $(SUDO) apt-get update -q && $(SUDO) apt-get install -y -q python3-venv python3-dev gcc; }

$(STAMP): pyproject.toml | system-deps
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install -q -e '.[test]'
	# mfrc522 pulls RPi.GPIO, which refuses to load off a Pi: tests run the
	# library over a fake SPI bus (badge/fake_mfrc522.py), so install it alone.
	$(BIN)/pip install -q --no-deps 'mfrc522==0.0.7'
	$(MAKE) translations
	touch $@

# The English pages (web/translations) and the stations' languages (kiosk/translations),
# compiled from their .po catalogues (the package build does the same, in setup.py).
translations:
	$(BIN)/pybabel compile -d web/translations
	$(BIN)/pybabel compile -D station -d kiosk/translations

# After changing texts: collect them and add the new ones to the catalogues to translate.
i18n-update: $(STAMP)
	$(BIN)/pybabel extract -F babel.cfg -k _l -k lazy_gettext -o web/translations/messages.pot .
	$(BIN)/pybabel update -i web/translations/messages.pot -d web/translations
	$(BIN)/pybabel extract -F babel-station.cfg --no-wrap -k N_ -k NP_:1,2 \
		-o kiosk/translations/station.pot .
	$(BIN)/pybabel update -D station --no-wrap -i kiosk/translations/station.pot \
		-d kiosk/translations

# OctoPrint pins older Flask and friends than the hub: it gets its own virtualenv,
# and the tests start it as a real server with its Virtual Printer.
$(OCTOPRINT): | system-deps
	$(PYTHON) -m venv .venv-octoprint
	.venv-octoprint/bin/pip install -q --upgrade pip
	.venv-octoprint/bin/pip install -q 'octoprint==1.11.*'
	touch $@

test-system-deps:
	@missing=$$(for p in $(TEST_PACKAGES); do dpkg -s $$p >/dev/null 2>&1 || echo $$p; done); \
	if [ -n "$$missing" ]; then \
		$(SUDO) apt-get update -q && $(SUDO) apt-get install -y -q $$missing; \
	fi

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

test: $(STAMP) $(OCTOPRINT) test-system-deps lint translations
	$(BIN)/pytest

# Every benchmark, then one table (Markdown, with the machine) for docs/performance.md.
bench: $(STAMP) $(OCTOPRINT) test-system-deps
	$(BIN)/python bench/run_all.py

# The whole fablab on this machine: the hub on 127.0.0.1:$(HUB_PORT), OctoPrint on
# :$(OCTOPRINT_PORT) and three stations, with a console to tap badges (see demo/console.py).
# Ctrl-C stops it all. Other ports: make demo HUB_PORT=5100 OCTOPRINT_PORT=5101 SCREEN_PORT=8110
# (the stations' screens take SCREEN_PORT and the two ports after it).
demo: $(STAMP) $(OCTOPRINT) translations
	$(BIN)/fablab-demo --dir $(DEMO_DIR) --hub-port $(HUB_PORT) --octoprint-port $(OCTOPRINT_PORT) \
		--screen-port $(SCREEN_PORT)

# Not part of `make test` (it builds Debian root filesystems; about 9 minutes on 2 cores, root needed):
# a station installed as docs/install.md says on arm64 Debian under qemu, then the guide's own
# steps in booted Debian containers (systemd-nspawn) for a hub and a station. See proof/.
pi-proof: $(STAMP)
	$(BIN)/python proof/pi_proof.py

# Mutation testing of the safety-critical modules ([tool.mutmut] in pyproject.toml): each
# mutant against the in-process tests that reach it. Not part of `make test` (about 30 min);
# its last result is in docs/testing.md.
mutation: $(STAMP)
	rm -rf mutants
	$(BIN)/mutmut run --max-children 2
	$(BIN)/python bench/mutation_score.py

clean:
	rm -rf $(VENV) $(DEMO_DIR) .pytest_cache .ruff_cache .hypothesis *.egg-info mutants
