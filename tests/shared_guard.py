"""A test that reads `../shared` fails: the suite must pass on a fresh clone with nothing beside it.

CI runs with `../shared` beside the clone, where such a read would quietly succeed, so an audit
hook watches every file this process opens and every command it starts, and the `shared_guard`
fixture (autouse, imported by conftest.py) fails the test that did it.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest

SHARED = Path(__file__).resolve().parents[2] / "shared"
_SHARED_TEXT = str(SHARED)
violations: list[str] = []


def _under_shared(path, cwd: str | None = None) -> bool:
    text = os.fsdecode(path)
    if "shared" not in text:  # the cheap test first: this runs on every open()
        return False
    full = os.path.realpath(os.path.join(cwd or os.getcwd(), text))
    return full == _SHARED_TEXT or full.startswith(_SHARED_TEXT + os.sep)


def _audit(event: str, args: tuple) -> None:
    if event == "open":
        path = args[0]
        if isinstance(path, (str, bytes, os.PathLike)) and _under_shared(path):
            violations.append(f"opened {os.fsdecode(path)}")
    elif event == "subprocess.Popen":
        _, argv, cwd, env = args
        words = [argv] if isinstance(argv, (str, bytes, os.PathLike)) else list(argv or [])
        words += list((env or {}).values())
        for word in words:
            if not isinstance(word, (str, bytes, os.PathLike)):
                continue
            text = os.fsdecode(word)
            # a path alone, or the value of a key=value setting (data=../shared/...)
            if any(
                _under_shared(part, os.fsdecode(cwd) if cwd else None)
                for part in (text, text.partition("=")[2])
                if part
            ):
                violations.append(f"started a command naming {text}")


sys.addaudithook(_audit)


@pytest.fixture(autouse=True)
def shared_guard():
    violations.clear()
    yield
    if violations:
        found = "; ".join(dict.fromkeys(violations))
        violations.clear()
        pytest.fail(
            f"this test reads {SHARED}, which a fresh clone does not have: {found}. "
            f"Use the corpora in tests/data instead.",
            pytrace=False,
        )
