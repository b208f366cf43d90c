# lmlab: `make report` builds the study, `make test` checks the toolkit, `make site` serves it.
PYTHON ?= python3
PIP := $(PYTHON) -m pip --disable-pip-version-check
LMLAB := $(PYTHON) -m lmlab
INSTALLED := _build/.installed

.PHONY: install lint lock report site test train

# The locked environment, installed again whenever the lock changes. torch comes first and on its
# own (see requirements.in): on CPU-only machines a bare `torch` resolves to a multi-GB CUDA build.
install: $(INSTALLED)
$(INSTALLED): requirements.lock pyproject.toml
	@$(PYTHON) -c "import torch" 2>/dev/null || $(PIP) install "torch==2.13.0"
	$(PIP) install -q -r requirements.lock
	$(PIP) install -q --no-deps -e .
	@$(PYTHON) -m jupyter kernelspec list 2>/dev/null | grep -q python3 || $(PYTHON) -m ipykernel install --sys-prefix
	@mkdir -p $(@D) && touch $@

# pip-tools: compile requirements.lock from pyproject.toml (torch pinned, kept out: see requirements.in)
lock:
	$(PIP) install -q pip-tools
	$(PYTHON) -m piptools compile -q --extra test --strip-extras --no-emit-index-url --no-emit-find-links \
		--unsafe-package torch -c requirements.in -o requirements.lock pyproject.toml

# Execute the notebooks that are stale (training only what the run store lacks), check the site
# content, then build the HTML site into _build/html.
report: install
	$(LMLAB) notebooks run --stale
	$(LMLAB) check
	$(LMLAB) site build

# The site in a browser at http://127.0.0.1:3000
site: install
	$(LMLAB) site start

# ruff lints and formats the tree (configured in pyproject.toml); `make test` fails on drift
lint: install
	$(PYTHON) -m ruff check .
	$(PYTHON) -m ruff format --check .

test: lint
	$(LMLAB) site theme
	$(PYTHON) -m pytest -q

# the offline copy when it sits beside the project, else the hub dataset
DATA ?= $(if $(wildcard ../shared/data/hn-titles/titles.txt),../shared/data/hn-titles/titles.txt,julien040/hacker-news-posts)

train: install
	$(LMLAB) train --profile cpu data=$(DATA)
