"""Texts in, train/valid(/test) splits out, prepared exactly as the challenge prepares them.

One `data=` setting names the source: the hub dataset (default), a local `.txt` (one text per
line), a `.csv`/`.jsonl`/`.parquet` file with a `title` or `text` column, or a directory in the
WikiText layout (`train.txt`, `valid.txt`, `test.txt`). Every source that is one list of texts
goes through the same `datasets` shuffle with `data_seed`, so a local copy of the hub data is
split exactly as the hub data would be.
"""

from __future__ import annotations

import functools
import hashlib
import re
import sys
from dataclasses import dataclass
from pathlib import Path

from lmlab.config import Config
from lmlab.errors import LmlabError

EOS = "<eos>"
TABLE_SUFFIXES = {".csv": "csv", ".jsonl": "json", ".json": "json", ".parquet": "parquet"}
TEXT_COLUMNS = ("title", "text")
SPLIT_FILES = ("train.txt", "valid.txt", "test.txt")


@dataclass
class Splits:
    train: list[str]
    valid: list[str]
    test: list[str] | None
    source: str  # human-readable: where the texts came from
    fingerprint: str  # content hash of the source plus the preparation settings
    skipped_lines: int = 0  # lines dropped because they were not valid UTF-8

    def chars(self, split: str) -> int:
        """Characters of the split as the challenge joins it: every text followed by `<eos>`."""
        texts = getattr(self, split)
        return sum(len(t) for t in texts) + len(EOS) * len(texts)


HUB_NAME = re.compile(r"^[A-Za-z0-9][\w.-]*/[\w.-]+$")
KNOWN_SUFFIXES = (".txt", *TABLE_SUFFIXES)


def _is_hub_name(data: str) -> bool:
    return bool(HUB_NAME.match(data)) and not data.lower().endswith(KNOWN_SUFFIXES)


def source_kind(data: str) -> str:
    """'dir', 'txt', 'table' for local sources, 'hub' for a hub dataset name."""
    path = Path(data).expanduser()
    if path.is_dir():
        return "dir"
    if path.is_file():
        suffix = path.suffix.lower()
        if suffix in TABLE_SUFFIXES:
            return "table"
        if suffix in (".txt", ""):
            return "txt"
        raise LmlabError(
            f"data={data}: unsupported file type '{suffix}'; use .txt (one text per line), "
            f".csv, .jsonl or .parquet (with a 'title' or 'text' column), or a directory with train/valid/test.txt"
        )
    if _is_hub_name(data):
        return "hub"
    raise LmlabError(f"data={data}: no such file or directory")


def _file_digest(paths: list[Path]) -> str:
    h = hashlib.sha256()
    for p in paths:
        if len(paths) > 1:  # which split a file is matters; what a single file is called does not
            h.update(p.name.encode())
        with open(p, "rb") as fh:
            for chunk in iter(lambda: fh.read(1 << 20), b""):
                h.update(chunk)
    return h.hexdigest()


def _read_lines(path: Path) -> tuple[list[str], int]:
    """Lines of a UTF-8 text file; lines that are not valid UTF-8 are skipped and counted."""
    lines, bad = [], 0
    with open(path, "rb") as fh:
        for raw in fh:
            try:
                lines.append(raw.decode("utf-8").rstrip("\r\n"))
            except UnicodeDecodeError:
                bad += 1
    return lines, bad


def _prep_fingerprint(content_digest: str, cfg: Config, kind: str) -> str:
    if kind == "dir":  # no shuffle and no split of our own: only the training prefix varies
        prep = f"dir|{content_digest}|train_lines={cfg.num_titles}"
    else:
        prep = f"{kind}|{content_digest}|n={cfg.num_titles}|seed={cfg.data_seed}|val={cfg.val_frac}"
    return hashlib.sha256(prep.encode()).hexdigest()[:16]


def _shuffle_and_split(ds, column: str, cfg: Config) -> tuple[list[str], list[str]]:
    """The challenge's recipe: shuffle with the seed, take num_titles, strip, first 90% train."""
    ds = ds.shuffle(seed=cfg.data_seed)
    n = len(ds) if cfg.num_titles == 0 else min(cfg.num_titles, len(ds))
    texts = [t.strip() for t in ds[:n][column]]  # a slice is one columnar read; row iteration is 20x slower
    n_train = int(n * (1 - cfg.val_frac))
    return texts[:n_train], texts[n_train:]


def _text_column(column_names: list[str], data: str) -> str:
    for name in TEXT_COLUMNS:
        if name in column_names:
            return name
    raise LmlabError(f"data={data}: no 'title' or 'text' column (columns: {', '.join(column_names)})")


@functools.lru_cache(maxsize=4)
def _load_hub(name: str):
    import datasets

    try:
        ds = datasets.load_dataset(name, split="train")
    except (ConnectionError, OSError) as e:
        raise LmlabError(
            f"cannot reach the Hugging Face Hub for data={name} ({type(e).__name__}); "
            f"point data= at a local copy instead, e.g. data=path/to/titles.txt"
        ) from None
    except Exception as e:  # datasets raises its own types for a wrong name or a missing split
        raise LmlabError(f"data={name}: cannot load it from the hub: {e}") from None
    return ds


def _hub_digest(name: str, ds) -> str:
    return f"{name}@{ds._fingerprint}"


def _split_files(path: Path) -> list[Path]:
    return [path / n for n in SPLIT_FILES if (path / n).is_file()]


def fingerprint(cfg: Config) -> str:
    """The data part of a run id, cheap for local sources: a content hash, not a path."""
    kind = source_kind(cfg.data)
    path = Path(cfg.data).expanduser()
    if kind == "hub":
        digest = _hub_digest(cfg.data, _load_hub(cfg.data))
    else:
        digest = _file_digest(_split_files(path) if kind == "dir" else [path])
    return _prep_fingerprint(digest, cfg, kind)


def load_splits(cfg: Config) -> Splits:
    kind = source_kind(cfg.data)
    path = Path(cfg.data).expanduser()
    if kind == "dir":
        return _load_split_dir(path, cfg)

    import datasets

    datasets.disable_progress_bars()
    skipped = 0
    if kind == "hub":
        ds = _load_hub(cfg.data)
        digest = _hub_digest(cfg.data, ds)
        source = f"hub:{cfg.data}"
    elif kind == "txt":
        lines, skipped = _read_lines(path)
        ds = datasets.Dataset.from_dict({"title": lines})
        digest, source = _file_digest([path]), str(path)
    else:
        try:
            ds = datasets.load_dataset(TABLE_SUFFIXES[path.suffix.lower()], data_files=str(path), split="train")
        except Exception as e:
            raise LmlabError(f"data={cfg.data}: cannot read it as {path.suffix} ({type(e).__name__}: {e})") from None
        digest, source = _file_digest([path]), str(path)
    column = _text_column(ds.column_names, cfg.data)
    train, valid = _shuffle_and_split(ds, column, cfg)
    if skipped:
        print(f"data: skipped {skipped} line(s) of {path} that are not valid UTF-8", file=sys.stderr)
    splits = Splits(train, valid, None, source, _prep_fingerprint(digest, cfg, kind), skipped)
    _check_not_empty(splits, cfg)
    return splits


def _load_split_dir(path: Path, cfg: Config) -> Splits:
    missing = [name for name in SPLIT_FILES[:2] if not (path / name).is_file()]
    if missing:
        raise LmlabError(f"data={cfg.data}: a data directory needs train.txt and valid.txt (missing: {', '.join(missing)})")
    files = _split_files(path)
    texts, skipped = {}, 0
    for f in files:
        texts[f.stem], bad = _read_lines(f)
        skipped += bad
    if cfg.num_titles:
        # only training is cut: the valid and test files are the benchmark, and published numbers score all of them
        texts["train"] = texts["train"][: cfg.num_titles]
    splits = Splits(
        texts["train"], texts["valid"], texts.get("test"), str(path),
        _prep_fingerprint(_file_digest(files), cfg, "dir"), skipped,
    )
    _check_not_empty(splits, cfg)
    return splits


def _check_not_empty(splits: Splits, cfg: Config) -> None:
    for name in ("train", "valid"):
        if not any(t.strip() for t in getattr(splits, name)):
            raise LmlabError(
                f"data={cfg.data}: the {name} split is empty ({len(splits.train) + len(splits.valid)} texts in all); "
                f"give a source with more texts or raise num_titles/val_frac"
            )
