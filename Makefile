# Two commands set everything up on a fresh machine with python3 and git:
#   make demo   -- creates .venv, installs reelkit from the lock, runs `reelkit demo`
#   make test   -- creates .venv, installs reelkit with the dev extra, runs the whole suite
VENV   := .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed
LOCK   := requirements/lock.txt
NODE_DIRS  := tests/js sdk/wasm/assemblyscript

.PHONY: demo test bench lock docs clean node-deps

$(STAMP): pyproject.toml $(LOCK)
	test -x $(PY) || python3 -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -c $(LOCK) -e '.[dev]'
	touch $(STAMP)

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
demo: $(STAMP)
	@if [ -d ../shared/models ] && [ -z "$$REELKIT_RECOGNITION__MODELS_DIR" ]; then \
	  export REELKIT_RECOGNITION__MODELS_DIR=$$(cd ../shared/models && pwd); fi; \
	$(VENV)/bin/reelkit demo

test: $(STAMP) node-deps
	$(PY) -m pytest -n 2 --dist loadgroup -q

bench: $(STAMP)
	$(PY) -m bench

# Regenerate the lock after changing dependencies in pyproject.toml.
lock:
	python3 -m pip install -q uv && python3 -m uv pip compile pyproject.toml --extra dev --python-version 3.11 -o $(LOCK) --no-header -q

docs: $(STAMP)
	$(VENV)/bin/reelkit commands --markdown > docs/commands.md

clean:
	rm -rf $(VENV) $(addsuffix /node_modules,$(NODE_DIRS))
