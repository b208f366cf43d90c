"""lmlab: train a small GPT-style language model change by change, and publish what you learned."""

__version__ = "0.1.0"

from lmlab.api import compare, load_run, run, sweep  # noqa: E402
from lmlab.config import Config, make_config  # noqa: E402
from lmlab.errors import LmlabError  # noqa: E402

__all__ = ["Config", "LmlabError", "compare", "load_run", "make_config", "run", "sweep"]
