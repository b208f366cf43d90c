"""lmlab: train a small GPT-style language model change by change, and publish what you learned."""

from lmlab.api import compare, load_run, run, sweep
from lmlab.config import Config, make_config
from lmlab.errors import LmlabError
from lmlab.runs import package_version

__version__ = package_version()

__all__ = ["Config", "LmlabError", "compare", "load_run", "make_config", "run", "sweep"]
