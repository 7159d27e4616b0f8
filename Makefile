# Two commands set everything up on a fresh machine with python3 and git:
#   make demo   -- creates .venv, installs reelkit from the lock, runs `reelkit demo`
#   make test   -- creates .venv, installs reelkit with the dev extra, runs the whole suite
VENV   := .venv
PY     := $(VENV)/bin/python
UV     := $(VENV)/bin/uv
# One universal lock (uv.lock, with environment markers and every extra), exported per install
# as hashed requirements: dev.txt (tests: cpu, wasm, cluster, otlp, dev), base.txt (no extra), all.txt (the demo and
# users on the CPU), gpu.txt (onnxruntime-gpu instead of onnxruntime). pip checks every hash.
REQ    := requirements
NODE_DIRS := tests/js sdk/wasm/assemblyscript
STAMP_DEV := $(VENV)/.installed-dev
STAMP_ALL := $(VENV)/.installed-all

.PHONY: demo test bench lock docs manifests clean node-deps

$(VENV)/bin/python:
	python3 -m venv $(VENV)

# Byte-compile the checkout as a wheel install would (with PYTHONDONTWRITEBYTECODE=1 nothing else does,
# and every start would compile ~90 modules from source).
define install_locked
	$(PY) -m pip install -q --require-hashes --no-deps -r $(REQ)/build.txt -r $(1)
	$(PY) -m pip install -q --no-deps --no-build-isolation -e .
	$(PY) -m compileall -q reelkit kernel sdk sandbox builtin_plugins >/dev/null
endef

$(STAMP_DEV): pyproject.toml $(REQ)/dev.txt $(REQ)/build.txt | $(VENV)/bin/python
	$(call install_locked,$(REQ)/dev.txt)
	touch $(STAMP_DEV) $(STAMP_ALL)

$(STAMP_ALL): pyproject.toml $(REQ)/all.txt $(REQ)/build.txt | $(VENV)/bin/python
	$(call install_locked,$(REQ)/all.txt)
	touch $(STAMP_ALL)

# Node packages for the TypeScript client test and the AssemblyScript SDK (from the npm registry),
# installed from their lock files; skipped with a note where npm is missing.
node-deps:
	@for d in $(NODE_DIRS); do \
	  if [ -f $$d/package-lock.json ]; then \
	    if ! command -v npm >/dev/null; then echo "npm not found: Node-based tests in $$d will say so"; \
	    elif [ ! -f $$d/node_modules/.installed ] || [ $$d/package-lock.json -nt $$d/node_modules/.installed ]; then \
	      (cd $$d && npm ci --no-audit --no-fund --loglevel=error && touch node_modules/.installed); fi; \
	  fi; \
	done

# The demo finds the shared ONNX models beside the checkout when they are there.
demo: $(STAMP_ALL)
	@if [ -d ../shared/models ] && [ -z "$$REELKIT_RECOGNITION__MODELS_DIR" ]; then \
	  export REELKIT_RECOGNITION__MODELS_DIR=$$(cd ../shared/models && pwd); fi; \
	$(VENV)/bin/reelkit demo

test: $(STAMP_DEV) node-deps
	$(PY) -m pytest -n 2 --dist loadgroup -q

bench: $(STAMP_DEV)
	$(PY) -m bench

# Regenerate the lock after changing dependencies in pyproject.toml (uv lives in .venv, never in
# the system Python).
lock: | $(VENV)/bin/python
	test -x $(UV) || $(PY) -m pip install -q uv
	$(UV) lock -q
	$(UV) export --frozen --no-emit-project --no-header -q --extra dev -o $(REQ)/dev.txt
	$(UV) export --frozen --no-emit-project --no-header -q -o $(REQ)/base.txt
	$(UV) export --frozen --no-emit-project --no-header -q --extra all -o $(REQ)/all.txt
	$(UV) export --frozen --no-emit-project --no-header -q --extra gpu --extra sandbox --extra cluster --extra otlp -o $(REQ)/gpu.txt
	echo 'setuptools>=77' | $(UV) pip compile - --generate-hashes --universal --no-header -q -o $(REQ)/build.txt

# The builtin plugins' command manifests (ids and schemas read at boot without importing handlers).
manifests: $(STAMP_DEV)
	$(PY) -m reelkit.kernel.manifest --all

docs: $(STAMP_DEV)
	$(VENV)/bin/reelkit commands --markdown > docs/commands.md

clean:
	rm -rf $(VENV) $(addsuffix /node_modules,$(NODE_DIRS))
