"""Markdown a notebook displays, and the cells its tables are made of.

`Markdown` shows its text as HTML in a notebook; the formatters below write the values the tables of
lmlab.step_tables, lmlab.ladder_tables and the others share (a paired difference, a candidate's
settings, parameter counts, the runs' notes) the same way everywhere.
"""

from __future__ import annotations

import re

from lmlab.runs import Run
from lmlab.stats import level_text

LADDER_NOTE = re.compile(r"^ladder \w+: ")
CODE = re.compile(r"(<code>)([^<]*)(</code>)")
BREAKABLE = re.compile(r"([=_])(?=.)")  # a break opportunity after these, not at the code's end


class Markdown:
    """Text written in Markdown (tables, emphasis, code), displayed as HTML.

    The site's theme shows a `text/markdown` output as its source, pipes and all, but renders
    `text/html`; so a notebook shows this as HTML. Raw HTML inside the text is escaped rather than
    passed through, so `<unk>` reads as written. A setting in code (`tie_embeddings=False`) may
    break after its `=` or a `_`, never inside a word, so a narrow table cell wraps it where it
    reads. `str()` gives the Markdown back."""

    def __init__(self, text: str):
        self.text = text

    def _repr_html_(self) -> str:
        from markdown_it import MarkdownIt

        html = MarkdownIt("commonmark", {"html": False}).enable("table").render(self.text)
        return CODE.sub(lambda m: m[1] + BREAKABLE.sub(r"\1<wbr>", m[2]) + m[3], html)

    def __str__(self) -> str:
        return self.text

    __repr__ = __str__


def markdown(text: str) -> Markdown:
    return Markdown(text)


NBSP = "\u00a0"  # a table cell may break between its parts, never inside a number with its spread


NUMBER_WORDS = ("zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten")


def count_words(n: int) -> str:
    """A count as prose writes it: in words up to ten, in digits above."""
    return NUMBER_WORDS[n] if 0 <= n < len(NUMBER_WORDS) else f"{n:,}"


def listed(items: list[str]) -> str:
    """Items as a sentence lists them: "a", "a and b", "a, b and c"."""
    return " and ".join([", ".join(items[:-1]), items[-1]]) if len(items) > 1 else "".join(items)


def seed_range(seeds: list[int]) -> str:
    """Seeds as a reader scans them: "1–3" for a run of consecutive seeds, else each one."""
    seeds = sorted(seeds)
    if len(seeds) > 2 and seeds == list(range(seeds[0], seeds[-1] + 1)):
        return f"{seeds[0]}–{seeds[-1]}"
    return ", ".join(map(str, seeds))


def spread(mean: float, std: float, digits: int = 4) -> str:
    """A mean ± std as one table cell that does not break across lines; a spread too small for
    `digits` shows its first digit that is not zero ("± 0.00004", not "± 0.0000", which reads as none)."""
    shown = next((d for d in range(digits, 9) if f"{std:.{d}f}".strip("0.")), digits)
    return f"{mean:.{digits}f}{NBSP}±{NBSP}{std:.{shown}f}"


def bound(value: float) -> str:
    """An interval's end, signed, to four decimals; to as many more as its first digit that is not
    zero needs (up to eight), since which side of zero it lies on is what a reader looks for: never
    a bare "-0.0000"."""
    for digits in range(4, 9):
        text = f"{value:+.{digits}f}"
        if text.strip("+-0."):
            return text
    return f"{value:+.1e}"


def p_value(p: float | None) -> str:
    """A p-value as papers give it: two significant digits ("0.10", "0.022"), and "<0.001" below that,
    where the digits no longer change a verdict and exponents would set the column in two formats."""
    if p is None:
        return ""
    return f"{p:#.2g}" if p >= 0.001 else "<0.001"


def interval(paired: dict | None, spec: str = ".3f") -> str:
    """A mean with its interval, "0.642 [0.641, 0.643]", each in `spec`; empty for no interval."""
    if paired is None:
        return ""
    return f"{paired['mean']:{spec}} [{paired['low']:{spec}}, {paired['high']:{spec}}]"


def paired_cell(paired: dict | None) -> str:
    """A paired difference as one table cell: mean, interval (its level where it is not 95%) and the seeds it pairs."""
    if paired is None:
        return ""
    level = paired.get("level", 0.95)
    at = "" if level == 0.95 else f" at {level_text(level)}"
    return (
        f"{paired['mean']:+.4f} [{bound(paired['low'])},{NBSP}{bound(paired['high'])}]{at}, n={paired['n']}"
    )


def paired_words(paired: dict | None) -> str:
    """A paired difference in words: its mean, the seeds it pairs and its interval."""
    if paired is None:
        return "not comparable seed by seed (fewer than two shared seeds)"
    return (
        f"{paired['mean']:+.4f} nats/char, paired over {paired['n']} seeds ({level_text(paired.get('level', 0.95))} interval "
        f"[{bound(paired['low'])}, {bound(paired['high'])}])"
    )


def change_text(change: dict) -> str:
    """A candidate's settings as a table cell; a change that sets every key back (None) is the profile itself."""
    if change and all(v is None for v in change.values()):
        return "the profile's own settings"
    # 6 significant digits: a rate scaled by 0.7 prints as 0.014, not 0.013999999999999999
    shown = (f"{k}={v:.6g}" if isinstance(v, float) else f"{k}={v}" for k, v in change.items())
    return f"`{', '.join(shown)}`" if change else ""


def notes(runs: list[Run]) -> str:
    """The runs' notes, less the ones the ladder writes itself ("ladder <step>: <candidate>"), which
    only repeat the row's label."""
    return "; ".join(sorted({r.note for r in runs if r.note and not LADDER_NOTE.match(r.note)}))


def parameter_counts(runs: list[Run], exact: bool = False) -> str:
    """The runs' parameter counts, each once: in millions, or `exact`ly."""
    counts = sorted({r.meta.get("num_params") for r in runs if r.meta.get("num_params")})
    return " / ".join(f"{n:,}" if exact else f"{n / 1e6:.2f}M" for n in counts)
