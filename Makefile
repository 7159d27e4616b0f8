# Two commands set everything up on a fresh machine with python3 and git:
#   make demo   -- creates .venv, installs reelkit from the lock, runs `reelkit demo`
#   make test   -- creates .venv, installs reelkit with the dev extra, runs the whole suite
VENV   := .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed
LOCK   := requirements/lock.txt
NODE_STAMP := tests/js/node_modules/.installed

.PHONY: demo test bench lock docs clean

$(STAMP): pyproject.toml $(LOCK)
	test -x $(PY) || python3 -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -c $(LOCK) -e '.[dev]'
	touch $(STAMP)

# Node packages for the TypeScript client test and the AssemblyScript SDK (from the npm registry).
$(NODE_STAMP): tests/js/package.json tests/js/package-lock.json
	@if command -v npm >/dev/null; then cd tests/js && npm ci --no-audit --no-fund --loglevel=error && touch node_modules/.installed; \
	else echo "npm not found: the Node-based tests will report it"; fi

demo: $(STAMP)
	$(VENV)/bin/reelkit demo

test: $(STAMP) $(NODE_STAMP)
	$(PY) -m pytest -n 2 --dist loadgroup -q

bench: $(STAMP)
	$(PY) -m bench

# Regenerate the lock after changing dependencies in pyproject.toml.
lock:
	python3 -m pip install -q uv && python3 -m uv pip compile pyproject.toml --extra dev --python-version 3.11 -o $(LOCK) --no-header -q

docs: $(STAMP)
	$(VENV)/bin/reelkit commands --markdown > docs/commands.md

clean:
	rm -rf $(VENV) tests/js/node_modules
