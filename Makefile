# toneboard — `make test` and `make run` set everything up on a fresh machine.
PYTHON ?= python3
VENV   ?= .venv
PY     := $(VENV)/bin/python
MODEL  ?= iic/SenseVoiceSmall
DB     ?= data/toneboard.duckdb
OFFLINE_MODEL := .cache/random-sensevoice-tiny
APT_PACKAGES := ffmpeg espeak-ng sox libsox-fmt-all
BROWSER_PACKAGES := chromium fonts-noto-cjk
# real human speech for the speaker tests and benchmarks (tests/realspeech.py, tests/samechain.py)
SPEECH_PACKAGES := asterisk-core-sounds-en-gsm gcin-voice pocketsphinx-testdata alsa-utils \
	asterisk-core-sounds-fr-gsm asterisk-core-sounds-it-gsm asterisk-core-sounds-ru-gsm \
	asterisk-prompt-fr-armelle asterisk-prompt-es-co asterisk-prompt-it-menardi-gsm

.PHONY: test lint run setup system-deps clean bench

$(VENV)/.installed: pyproject.toml
	$(MAKE) system-deps
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q torch==2.13.0
	$(PY) -m pip install -q -e '.[test]'
	touch $@

setup: $(VENV)/.installed

# Debian packages: installed with apt-get when missing and running as root; otherwise say what is missing.
# Another apt or dpkg at work (unattended upgrades): wait for its lock, up to 10 minutes, instead of failing.
APT := apt-get -o DPkg::Lock::Timeout=600
system-deps:
	@missing=""; for t in ffmpeg ffprobe espeak-ng sox; do command -v $$t >/dev/null || missing="$$missing $$t"; done; \
	if [ -n "$$missing" ]; then \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
	    echo "installing$$missing with apt-get"; \
	    $(APT) update -qq && DEBIAN_FRONTEND=noninteractive $(APT) install -y -qq $(APT_PACKAGES) >/dev/null; \
	  else echo "missing:$$missing — install them (Debian/Ubuntu: sudo apt-get install $(APT_PACKAGES); macOS: brew install ffmpeg espeak-ng sox)"; exit 1; fi; \
	fi
	@if [ ! -d /usr/share/gcin-voice ] || [ ! -d /usr/share/asterisk/sounds/en ] || [ ! -d /usr/share/pocketsphinx/test/data/librivox ] || [ ! -f /usr/share/sounds/alsa/Front_Left.wav ] \
	  || [ ! -d /usr/share/asterisk/sounds/fr_CA_f_June ] || [ ! -d /usr/share/asterisk/sounds/it_IT_f_Menardi ] \
	  || [ ! -d /usr/share/asterisk/sounds/ru_RU_f_IvrvoiceRU ] || [ ! -d /usr/share/asterisk/sounds/fr ] \
	  || [ ! -d /usr/share/asterisk/sounds/es ]; then \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
	    echo "installing $(SPEECH_PACKAGES) with apt-get (real speech for the speaker tests)"; \
	    ($(APT) update -qq && DEBIAN_FRONTEND=noninteractive $(APT) install -y -qq $(SPEECH_PACKAGES) >/dev/null) \
	      || echo "could not install them: the tests on real speech will be skipped"; \
	  else echo "note: the tests on real speech need: sudo apt-get install $(SPEECH_PACKAGES)"; fi; \
	fi
	@# Chromium (and CJK fonts for its screenshots) serve only the end-to-end browser test, which is skipped without them.
	@if ! command -v chromium >/dev/null; then \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
	    echo "installing $(BROWSER_PACKAGES) with apt-get (for the end-to-end browser test)"; \
	    ($(APT) update -qq && DEBIAN_FRONTEND=noninteractive $(APT) install -y -qq $(BROWSER_PACKAGES) >/dev/null) \
	      || echo "could not install chromium: the end-to-end browser test will be skipped"; \
	  else echo "note: no chromium, so the end-to-end browser test will be skipped (Debian/Ubuntu: sudo apt-get install $(BROWSER_PACKAGES))"; fi; \
	fi

# The linter first (settings in pyproject.toml), then the tests.
lint: setup
	$(PY) -m ruff check .

test: setup lint
	$(PY) -m pytest -q

# Start the dashboard on http://127.0.0.1:8501: first the demo data if the database is empty
# (labelled as such, removable), then the bundled sample recordings are ingested. With no access to
# the model hub, say so and fall back to a random-weight model in SenseVoiceSmall's layout (its
# tags are meaningless); uploads from the dashboard then use it too.
run: setup
	@$(PY) cli.py demo --if-empty --db $(DB); \
	model=$(MODEL); echo "Fetching the speech model $$model (once; it is cached afterwards)..."; \
	if ! why=$$($(PY) cli.py model --model $$model 2>/dev/null); then \
	  echo; echo "*** The model could not be fetched: $$why"; \
	  echo "*** So the samples run through the same pipeline with a RANDOM-WEIGHT model, to show the product"; \
	  echo "*** working offline: its tags and text are noise, and the dashboard says so. For real results run"; \
	  echo "*** 'make run' with internet access (or MODEL=/path/to/SenseVoiceSmall)."; echo; \
	  $(PY) tests/sensevoice_random.py $(OFFLINE_MODEL) --size tiny >/dev/null && model=$(OFFLINE_MODEL); \
	fi; \
	$(PY) cli.py ingest --manifest data/samples/manifest.csv --model $$model --db $(DB); rc=$$?; \
	[ $$rc -le 1 ] && $(PY) cli.py summary --db $(DB) && $(PY) cli.py dashboard --db $(DB) --model $$model

bench: setup
	$(PY) benchmarks/ingest_speed.py --threads 2 1 --agreement 60
	$(PY) benchmarks/query_speed.py

clean:
	rm -rf $(VENV) .cache .pytest_cache .hypothesis
