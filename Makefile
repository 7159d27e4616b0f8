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
STAMP_DEV := $(VENV)/.installed-dev
STAMP_ALL := $(VENV)/.installed-all
# Folders with a package-lock.json: the TypeScript client test, the AssemblyScript SDK, studio's build tools
NODE_DIRS := tests/js sdk/wasm/assemblyscript kernel/studio

.PHONY: demo test bench lock docs manifests clean node-deps chromium studio screenshots

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

# Studio's browser tests drive Debian's Chromium (never a downloaded browser); installed with apt where it
# is missing and we are root, else the tests say how to install it. The runtime never needs it.
# Debian packages the tests use and the runtime never needs: Chromium (studio's browser tests) and fonts
# with CJK and emoji glyphs (the compiler's glyph-fallback tests). Installed with apt where missing and
# we are root (as CI is); elsewhere the tests that need them fail saying which package to install.
TEST_DEBS := chromium fonts-wqy-zenhei fonts-symbola
chromium:
	@missing=$$(for p in $(TEST_DEBS); do dpkg -s $$p >/dev/null 2>&1 || echo $$p; done); \
	if [ -n "$$missing" ] && [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
	  apt-get update -q && DEBIAN_FRONTEND=noninteractive apt-get install -y -q $$missing; fi

# Rebuild studio's committed assets (kernel/studio/dist) from its TypeScript sources and the generated client.
studio: $(STAMP_DEV) node-deps
	$(VENV)/bin/reelkit schema --typescript kernel/studio/src/reelkit.ts
	cd kernel/studio && npm run --silent check && npm run --silent build

# The studio screenshots in docs/studio/, made by its browser tests.
screenshots: $(STAMP_DEV) node-deps chromium
	REELKIT_SCREENSHOTS=1 $(PY) -m pytest -q tests/studio/test_pages.py

test: $(STAMP_DEV) node-deps chromium
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
