# make install · make test · make demo — each installs what it needs (idempotent, quick when done).
SHELL := /bin/bash
VENV ?= .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
# suites/demo.yaml reads the demo's dataset, tiny CSM and adapter from here; `make demo LANGUAGE=de` runs
# the same chain in German (suites/demo-de.yaml, runs/demo-de: espeak-ng voices, the multilingual Whisper)
LANGUAGE ?= en
ifeq ($(LANGUAGE),en)
DEMO := runs/demo
SUITE := suites/demo.yaml
TARGET_VOICE := --voice hibari
else
DEMO := runs/demo-$(LANGUAGE)
SUITE := suites/demo-$(LANGUAGE).yaml
TARGET_VOICE := --voice espeak-female --language $(LANGUAGE)
endif

.PHONY: install system-deps test demo served clean

install: $(STAMP)

# The lock pins what the tests ran with; pyproject.toml states the ranges.
$(STAMP): pyproject.toml requirements.lock
	@$(MAKE) --no-print-directory system-deps
	@test -x $(PY) || python3 -m venv $(VENV)
	@test -x $(VENV)/bin/uv || { $(PY) -m pip --version >/dev/null 2>&1 || $(PY) -m ensurepip >/dev/null; \
	  $(PY) -m pip install -q --disable-pip-version-check uv; }
	$(VENV)/bin/uv pip install -q -p $(PY) -r requirements.lock -e '.[test]'
	@touch $(STAMP)

# FFmpeg's libraries (datasets decodes its Audio column through torchcodec), espeak-ng (the
# demo's impostor voice), chromium and chromium-driver (the report's and the listening page's browser
# tests, driven by Selenium), from Debian's packages.
system-deps:
	@missing=""; \
	command -v espeak-ng >/dev/null || missing="$$missing espeak-ng"; \
	command -v chromium >/dev/null || command -v chromium-browser >/dev/null || missing="$$missing chromium"; \
	command -v chromedriver >/dev/null || missing="$$missing chromium-driver"; \
	ldconfig -p | grep -q 'libavutil\.so' || missing="$$missing ffmpeg"; \
	if [ -n "$$missing" ]; then \
	  if [ "$$(id -u)" = 0 ]; then \
	    echo "installing system packages:$$missing"; \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $$missing >/dev/null; \
	  else echo "missing system packages:$$missing; run: sudo apt-get install$$missing" >&2; exit 1; fi; \
	fi

test: install
	$(PY) -m pytest tests --durations=15

# The whole chain offline on 2 CPU cores (see README): voices → dataset → tiny CSM → fine-tune →
# bench (4 variants + anchors) → report → gates. A second run reuses everything (well under a minute).
demo: install
	@test -f $(SUITE) || { echo "LANGUAGE=$(LANGUAGE): no $(SUITE); the demo ships in en and de" >&2; exit 2; }
	@echo "== 1/6 synthetic voices (target 5 min, impostor 1 min; $(LANGUAGE))"
	@test -s $(DEMO)/voices/target.wav || $(VENV)/bin/ttsbench synth-voice --out $(DEMO)/voices/target.wav --minutes 5 $(TARGET_VOICE) --seed 1
	@test -s $(DEMO)/voices/impostor.wav || $(VENV)/bin/ttsbench synth-voice --out $(DEMO)/voices/impostor.wav --minutes 1 --voice espeak --language $(LANGUAGE) --seed 2
	@echo "== 2/6 voice dataset (the embedded Whisper of $(LANGUAGE))"
	@$(VENV)/bin/ttsbench prepare $(DEMO)/voices/target.wav --out $(DEMO)/voice --max-seconds 15 --eval-fraction 0.2 --language $(LANGUAGE)
	@echo "== 3/6 tiny random CSM, LoRA fine-tune on the train split"
	@test -s $(DEMO)/tiny-csm/config.json || $(VENV)/bin/ttsbench tiny-csm --out $(DEMO)/tiny-csm
	@$(VENV)/bin/ttsbench finetune $(DEMO)/voice --base $(DEMO)/tiny-csm --out $(DEMO)/finetune --max-steps 30 --eval-steps 5 --quiet
	@echo "== 4/6 benchmark: base, cloned, finetuned, finetuned_cloned + ground_truth, impostor"
	@$(VENV)/bin/ttsbench bench $(SUITE)
	@echo "== 5/6 report"
	@$(VENV)/bin/ttsbench report $(DEMO)/bench -o $(DEMO)/report.html
	@echo "== 6/6 gates (pytest $(SUITE))"
	@$(PY) -m pytest -q -p no:cacheprovider $(SUITE)
	@echo "report: $(DEMO)/report.html"

# Served rows, offline (suites/served.yaml): the demo's voice as the target, three systems behind a local
# OpenAI-compatible speech server on 127.0.0.1:8091 (started here and stopped at the end), report and gates.
served: install
	@test -s $(DEMO)/voices/target.wav || $(VENV)/bin/ttsbench synth-voice --out $(DEMO)/voices/target.wav --minutes 5 --voice hibari --seed 1
	@$(VENV)/bin/ttsbench prepare $(DEMO)/voices/target.wav --out $(DEMO)/voice --max-seconds 15 --eval-fraction 0.2
	@$(PY) -c 'import socket,sys; s=socket.socket(); sys.exit(s.connect_ex(("127.0.0.1", 8091)) == 0 and "port 8091 is taken: stop what listens there first")'
	@$(PY) -m ttsbench.perf.speech_server --port 8091 > /dev/null & pid=$$!; trap "kill $$pid" EXIT; \
	  $(PY) -c 'import socket,time; [time.sleep(0.2) for _ in range(100) if socket.socket().connect_ex(("127.0.0.1", 8091))]'; \
	  $(VENV)/bin/ttsbench bench suites/served.yaml && \
	  $(VENV)/bin/ttsbench report runs/served/bench -o runs/served/report.html && \
	  $(PY) -m pytest -q -p no:cacheprovider suites/served.yaml
	@echo "report: runs/served/report.html"

clean:
	rm -rf $(VENV) runs .pytest_cache
