# lmlab: `make report` builds the study, `make test` checks the toolkit.
PYTHON ?= python3
PIP := $(PYTHON) -m pip --disable-pip-version-check

.PHONY: install test

# torch pinned: on CPU-only machines a bare `torch` resolves to a multi-GB CUDA build
install:
	@$(PYTHON) -c "import torch" 2>/dev/null || $(PIP) install "torch==2.13.0"
	@$(PYTHON) -c "import lmlab" 2>/dev/null || $(PIP) install -e ".[test]"

test: install
	$(PYTHON) -m pytest -q

# the offline copy when it sits beside the project, else the hub dataset
DATA ?= $(if $(wildcard ../shared/data/hn-titles/titles.txt),../shared/data/hn-titles/titles.txt,julien040/hacker-news-posts)

.PHONY: train
train: install
	lmlab train --profile cpu data=$(DATA)
