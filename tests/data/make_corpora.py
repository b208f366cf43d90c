"""Write the test corpora in this folder: synthetic Hacker-News-like titles and a small corpus in
the WikiText layout. Deterministic: running it again rewrites the same bytes.

    python tests/data/make_corpora.py

The text is generated from the word lists below, so it may be redistributed freely (CC0). It
exercises every code path the tests need (a tokenizer of several thousand pieces, byte fallback
for non-ASCII characters, `<unk>` in a word-level corpus), not language modelling quality.
"""

from __future__ import annotations

import random
from pathlib import Path

HERE = Path(__file__).resolve().parent

NOUNS = [
    "app",
    "browser",
    "compiler",
    "database",
    "editor",
    "engine",
    "framework",
    "kernel",
    "language",
    "library",
    "model",
    "network",
    "parser",
    "protocol",
    "runtime",
    "scheduler",
    "server",
    "shell",
    "startup",
    "terminal",
    "tool",
    "website",
    "algorithm",
    "cache",
    "cluster",
    "container",
    "debugger",
    "emulator",
    "filesystem",
    "game",
    "interpreter",
    "keyboard",
    "laptop",
    "market",
    "memory",
    "monitor",
    "operator",
    "pipeline",
    "printer",
    "processor",
    "query",
    "queue",
    "robot",
    "router",
    "sandbox",
    "search",
    "sensor",
    "spreadsheet",
    "stack",
    "storage",
    "stream",
    "synthesizer",
    "telescope",
    "theorem",
    "tokenizer",
    "tracker",
    "transformer",
    "typeface",
    "vaccine",
    "wallet",
    "widget",
]
ADJECTIVES = [
    "fast",
    "small",
    "open",
    "private",
    "modern",
    "tiny",
    "simple",
    "secure",
    "distributed",
    "functional",
    "quantum",
    "visual",
    "minimal",
    "ancient",
    "hidden",
    "portable",
    "reactive",
    "lazy",
    "strict",
    "honest",
    "brutal",
    "gentle",
    "silent",
    "curious",
    "boring",
    "beautiful",
    "broken",
    "forgotten",
    "serverless",
    "offline",
    "personal",
    "static",
    "dynamic",
    "parallel",
]
VERBS = [
    "build",
    "write",
    "ship",
    "debug",
    "learn",
    "rewrite",
    "scale",
    "deploy",
    "test",
    "design",
    "measure",
    "compress",
    "encrypt",
    "index",
    "render",
    "train",
    "profile",
    "parse",
    "cache",
    "stream",
    "fork",
]
TOPICS = [
    "Rust",
    "Python",
    "Go",
    "Haskell",
    "Lisp",
    "SQLite",
    "Postgres",
    "Linux",
    "Unix",
    "WebAssembly",
    "Kubernetes",
    "JavaScript",
    "TypeScript",
    "Erlang",
    "Elixir",
    "Zig",
    "OCaml",
    "Fortran",
    "COBOL",
    "Emacs",
    "Vim",
    "Git",
    "LLVM",
    "CUDA",
]
PLACES = [
    "Zürich",
    "Montréal",
    "São",
    "Paulo",
    "Kraków",
    "Reykjavík",
    "Tōkyō",
    "Berlin",
    "Lagos",
    "Lima",
    "Oslo",
    "Seoul",
]
SYLLABLES = [
    "ka",
    "lo",
    "mi",
    "ne",
    "ra",
    "su",
    "ti",
    "vo",
    "ze",
    "qua",
    "fle",
    "dro",
    "gri",
    "spa",
    "tru",
    "bel",
    "cor",
    "dax",
    "fen",
    "hul",
    "jin",
    "mor",
    "pix",
    "sto",
    "wex",
    "yul",
    "bri",
    "cha",
    "dun",
    "gol",
    "hap",
    "kre",
    "lum",
    "nix",
    "opa",
    "pre",
    "rys",
    "tav",
    "ung",
    "vir",
]


def product(rng: random.Random) -> str:
    return "".join(rng.choice(SYLLABLES) for _ in range(rng.randint(2, 3))).capitalize()


def title(rng: random.Random) -> str:
    n, a, v, t = rng.choice(NOUNS), rng.choice(ADJECTIVES), rng.choice(VERBS), rng.choice(TOPICS)
    templates = (
        lambda: f"Show HN: {product(rng)} – a {a} {n} written in {t}",
        lambda: f"Ask HN: How do you {v} a {a} {n}?",
        lambda: f"Why {a} {n}s are hard to {v}",
        lambda: f"{product(rng)} raises ${rng.randint(2, 90)}M to {v} {n}s",
        lambda: f"The {a} {n} of {t} ({rng.randint(1970, 2026)})",
        lambda: f"I {v}ed a {n} in {t} over a weekend",
        lambda: f"{t} {rng.randint(1, 9)}.{rng.randint(0, 20)} released",
        lambda: f"Notes from a {a} {n} meetup in {rng.choice(PLACES)}",
        lambda: f"Let's {v} a {n} from scratch",
        lambda: f"{product(rng)}: {a} {n} for {t} developers",
    )
    text = rng.choice(templates)()
    # invented names make the text rich enough for a tokenizer of 8,192 pieces from 2,000 titles
    roll = rng.random()
    if roll < 0.5:
        text += f" ({product(rng).lower()}.{rng.choice(('dev', 'io', 'org', 'com'))})"
    elif roll < 0.7:
        text += f" [{product(rng)} {product(rng)}]"
    return text


def titles(count: int, seed: int) -> list[str]:
    rng = random.Random(seed)
    return [title(rng) for _ in range(count)]


def wikitext_split(rng: random.Random, paragraphs: int, known: set[str]) -> list[str]:
    """WikiText's layout: ` = Heading = ` lines, paragraphs of space-separated tokens, rare words as <unk>."""
    lines = []
    for i in range(paragraphs):
        if i % 8 == 0:
            name = product(rng)
            lines += ["", f" = {name if name in known else '<unk>'} = ", ""]
        words = (
            " . ".join(title(rng) for _ in range(rng.randint(2, 5)))
            .replace(":", " :")
            .replace("?", " ?")
            .split()
        )
        lines.append(" " + " ".join(w if w in known else "<unk>" for w in words) + " . ")
    return lines


def main() -> None:
    (HERE / "titles.txt").write_text("\n".join(titles(4000, seed=1)) + "\n", encoding="utf-8")
    rng = random.Random(2)
    vocabulary_sample = (
        " ".join(title(rng) for _ in range(3000)).replace(":", " :").replace("?", " ?").split()
    )
    counts: dict[str, int] = {}
    for w in vocabulary_sample:
        counts[w] = counts.get(w, 0) + 1
    known = {".", *(w for w, c in counts.items() if c >= 3)}  # rarer words are <unk>, as in WikiText
    folder = HERE / "wikitext"
    folder.mkdir(exist_ok=True)
    for name, paragraphs in (("train", 1200), ("valid", 150), ("test", 150)):
        (folder / f"{name}.txt").write_text(
            "\n".join(wikitext_split(rng, paragraphs, known)) + "\n", encoding="utf-8"
        )


if __name__ == "__main__":
    main()
