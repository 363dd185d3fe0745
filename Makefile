# Two commands do all the set-up on a machine that has python3 (on Linux the
# window also needs the system libraries the README names: make run checks):
#   make run    creates .venv, installs nnviz into it and opens the window
#   make test   the same environment, then the whole test suite (headless)
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: run test bench clean

# setuptools as [build-system] in pyproject.toml asks for it: tests/test_packaging.py
# builds the wheel with it, without downloading anything.
$(STAMP): pyproject.toml Makefile
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip "setuptools>=77"
	$(BIN)/python -m pip install --quiet -e ".[test]"
	touch $(STAMP)

# The check names the system libraries a window needs and how to install them,
# where Qt would abort with a message that blames the wrong one.
run: $(STAMP)
	@$(BIN)/python -m nnviz.gui.platform_check
	$(BIN)/nnviz

test: $(STAMP)
	QT_QPA_PLATFORM=offscreen $(BIN)/python -m pytest -q

bench: $(STAMP)
	$(BIN)/python benchmarks/engine.py
	QT_QPA_PLATFORM=offscreen $(BIN)/python benchmarks/gui.py
	$(BIN)/python benchmarks/landscape.py

clean:
	rm -rf $(VENV) build *.egg-info
