# lmlab: `make report` builds the study, `make test` checks the toolkit, `make site` serves it.
PYTHON ?= python3
PIP := $(PYTHON) -m pip --disable-pip-version-check
LMLAB := $(PYTHON) -m lmlab

.PHONY: install report site test train

# torch pinned: on CPU-only machines a bare `torch` resolves to a multi-GB CUDA build
install:
	@$(PYTHON) -c "import torch" 2>/dev/null || $(PIP) install "torch==2.13.0"
	@($(PYTHON) -c "import lmlab" 2>/dev/null && command -v myst >/dev/null) || $(PIP) install -e ".[test]"
	@$(PYTHON) -m jupyter kernelspec list 2>/dev/null | grep -q python3 || $(PYTHON) -m ipykernel install --sys-prefix

# Execute the notebooks that are stale (training only what the run store lacks), check the site,
# then build the HTML if the theme can be downloaded.
report: install
	$(LMLAB) notebooks run --stale
	$(LMLAB) check
	@$(PYTHON) -c "from lmlab.check import remove_stub_theme; from pathlib import Path; remove_stub_theme(Path('.'))"
	@if myst build --html >/dev/null 2>&1; then echo "report: HTML site in _build/html"; \
	else echo "report: offline, skipped the HTML theme step (myst build --html needs to download the theme); the checked content is in _build/site"; fi

site: install
	myst start

test: install
	$(PYTHON) -m pytest -q

# the offline copy when it sits beside the project, else the hub dataset
DATA ?= $(if $(wildcard ../shared/data/hn-titles/titles.txt),../shared/data/hn-titles/titles.txt,julien040/hacker-news-posts)

train: install
	$(LMLAB) train --profile cpu data=$(DATA)
