# make install · make test · make demo — each installs what it needs (idempotent, quick when done).
SHELL := /bin/bash
VENV ?= .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
# suites/demo-fake.yaml reads the demo's dataset from here
DEMO := runs/demo

.PHONY: install system-deps test demo clean

install: $(STAMP)

# The lock pins what the tests ran with; pyproject.toml states the ranges.
$(STAMP): pyproject.toml requirements.lock
	@$(MAKE) --no-print-directory system-deps
	@test -x $(PY) || python3 -m venv $(VENV)
	@test -x $(VENV)/bin/uv || { $(PY) -m pip --version >/dev/null 2>&1 || $(PY) -m ensurepip >/dev/null; \
	  $(PY) -m pip install -q --disable-pip-version-check uv; }
	$(VENV)/bin/uv pip install -q -p $(PY) -r requirements.lock -e '.[test]'
	@touch $(STAMP)

# FFmpeg's libraries (datasets decodes its Audio column through torchcodec) and espeak-ng
# (the demo's impostor voice), from Debian's packages.
system-deps:
	@missing=""; \
	command -v espeak-ng >/dev/null || missing="$$missing espeak-ng"; \
	ldconfig -p | grep -q 'libavutil\.so' || missing="$$missing ffmpeg"; \
	if [ -n "$$missing" ]; then \
	  if [ "$$(id -u)" = 0 ]; then \
	    echo "installing system packages:$$missing"; \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $$missing >/dev/null; \
	  else echo "missing system packages:$$missing; run: sudo apt-get install$$missing" >&2; exit 1; fi; \
	fi

test: install
	$(PY) -m pytest tests

demo: install
	$(VENV)/bin/ttsbench synth-voice --out $(DEMO)/voices/target.wav --minutes 5 --voice hibari --seed 1
	$(VENV)/bin/ttsbench synth-voice --out $(DEMO)/voices/impostor.wav --minutes 1 --voice espeak --seed 2
	$(VENV)/bin/ttsbench prepare $(DEMO)/voices/target.wav --out $(DEMO)/voice --max-seconds 15
	$(VENV)/bin/ttsbench bench suites/demo-fake.yaml

clean:
	rm -rf $(VENV) runs .pytest_cache
