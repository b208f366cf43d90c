"""Texts in, train/valid(/test) splits out, prepared exactly as the challenge prepares them.

One `data=` setting names the source: the hub dataset (default), a local `.txt` (one text per
line), a `.csv`/`.jsonl`/`.parquet` file with a `title` or `text` column, or a directory in the
WikiText layout (`train.txt`, `valid.txt`, `test.txt`); a hub name may name a config after a
colon (`Salesforce/wikitext:wikitext-2-v1`). Every source that is one list of texts goes through
the same `datasets` shuffle with `data_seed`, so a local copy of the hub data is split exactly as
the hub data would be. A corpus that brings its own split (a directory, or a hub dataset with a
`validation` split) keeps it: only its training texts can be cut, so its numbers stay comparable
with published ones.
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
    given_split: bool = False  # the corpus's own train/valid(/test) split, not the challenge's shuffle
    vocabulary_texts: list[str] | None = (
        None  # what the tokenizer learns from, when not `train` (a cut corpus)
    )

    def chars(self, split: str) -> int:
        """Characters of the split as the challenge joins it: every text followed by `<eos>`."""
        texts = getattr(self, split)
        return sum(len(t) for t in texts) + len(EOS) * len(texts)


HUB_NAME = re.compile(r"^[A-Za-z0-9][\w.-]*/[\w.-]+(:[\w.-]+)?$")  # owner/name[:config]
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
    if kind == "dir":  # a given split, no shuffle: only the training prefix varies
        prep = f"dir|{content_digest}|train_lines={cfg.num_titles}"
    else:
        prep = f"{kind}|{content_digest}|n={cfg.num_titles}|seed={cfg.data_seed}|val={cfg.val_frac}"
    return hashlib.sha256(prep.encode()).hexdigest()[:16]


def _shuffle_and_split(ds, column: str, cfg: Config) -> tuple[list[str], list[str], list[str] | None]:
    """The challenge's recipe: shuffle with the seed, take num_titles, strip, first 90% train. The test
    split, when asked for, is the next test_titles texts in the same order: no run of the profile, whatever
    it asks, trains or validates on them."""
    ds = ds.shuffle(seed=cfg.data_seed)
    n = len(ds) if cfg.num_titles == 0 else min(cfg.num_titles, len(ds))
    texts = [t.strip() for t in ds[:n][column]]  # a slice is one columnar read; row iteration is 20x slower
    n_train = int(n * (1 - cfg.val_frac))
    test = None
    if cfg.test_titles:
        if len(ds) < n + cfg.test_titles:
            left = len(ds) - n
            raise LmlabError(
                f"data={cfg.data}: test_titles={cfg.test_titles:,} asks for texts beyond the first {n:,}, and the "
                f"source has {len(ds):,} texts, so {left:,} are left for a test split"
                + (
                    "; every text is in training or validation at this profile, so it has no test split"
                    if left == 0
                    else f"; ask for at most test_titles={left}"
                )
            )
        test = [t.strip() for t in ds[n : n + cfg.test_titles][column]]
    return texts[:n_train], texts[n_train:], test


def _text_column(column_names: list[str], data: str) -> str:
    for name in TEXT_COLUMNS:
        if name in column_names:
            return name
    raise LmlabError(f"data={data}: no 'title' or 'text' column (columns: {', '.join(column_names)})")


@functools.lru_cache(maxsize=4)
def _load_hub(name: str):
    """Every split of a hub dataset, `owner/name[:config]`."""
    import datasets

    repo, _, config = name.partition(":")
    try:
        ds = datasets.load_dataset(repo, config or None)
    except datasets.exceptions.DatasetNotFoundError as e:  # an OSError too, but the hub did answer
        raise LmlabError(f"data={name}: cannot load it from the hub: {e}") from None
    except (ConnectionError, OSError) as e:
        raise LmlabError(
            f"cannot reach the Hugging Face Hub for data={name} ({type(e).__name__}); "
            f"point data= at a local copy instead, e.g. data=path/to/titles.txt"
        ) from None
    except Exception as e:  # datasets raises its own types for a wrong name or a missing config
        raise LmlabError(f"data={name}: cannot load it from the hub: {e}") from None
    if "train" not in ds:
        raise LmlabError(f"data={name}: the hub dataset has no 'train' split (splits: {', '.join(ds)})")
    return ds


def _hub_digest(name: str, ds) -> str:
    return f"{name}@" + ",".join(f"{split}:{ds[split]._fingerprint}" for split in sorted(ds))


def _hub_kind(ds) -> str:
    """A hub corpus with a validation split is used as given, like a directory."""
    return "dir" if "validation" in ds else "hub"


def _split_files(path: Path) -> list[Path]:
    return [path / n for n in SPLIT_FILES if (path / n).is_file()]


def fingerprint(cfg: Config) -> str:
    """The data part of a run id, cheap for local sources: a content hash, not a path."""
    kind = source_kind(cfg.data)
    path = Path(cfg.data).expanduser()
    if kind == "hub":
        ds = _load_hub(cfg.data)
        digest, kind = _hub_digest(cfg.data, ds), _hub_kind(ds)
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
        if _hub_kind(ds) == "dir":
            return _given_split(
                _hub_texts(ds, cfg.data), source, _prep_fingerprint(digest, cfg, "dir"), 0, cfg
            )
        ds = ds["train"]
    elif kind == "txt":
        lines, skipped = _read_lines(path)
        ds = datasets.Dataset.from_dict({"title": lines})
        digest, source = _file_digest([path]), str(path)
    else:
        try:
            ds = datasets.load_dataset(
                TABLE_SUFFIXES[path.suffix.lower()], data_files=str(path), split="train"
            )
        except Exception as e:
            raise LmlabError(
                f"data={cfg.data}: cannot read it as {path.suffix} ({type(e).__name__}: {e})"
            ) from None
        digest, source = _file_digest([path]), str(path)
    column = _text_column(ds.column_names, cfg.data)
    train, valid, test = _shuffle_and_split(ds, column, cfg)
    if skipped:
        print(f"data: skipped {skipped} line(s) of {path} that are not valid UTF-8", file=sys.stderr)
    splits = Splits(train, valid, test, source, _prep_fingerprint(digest, cfg, kind), skipped)
    _check_not_empty(splits, cfg)
    return splits


def _load_split_dir(path: Path, cfg: Config) -> Splits:
    missing = [name for name in SPLIT_FILES[:2] if not (path / name).is_file()]
    if missing:
        raise LmlabError(
            f"data={cfg.data}: a data directory needs train.txt and valid.txt (missing: {', '.join(missing)})"
        )
    files = _split_files(path)
    texts, skipped = {}, 0
    for f in files:
        texts[f.stem], bad = _read_lines(f)
        skipped += bad
    if skipped:
        print(f"data: skipped {skipped} line(s) of {path} that are not valid UTF-8", file=sys.stderr)
    return _given_split(texts, str(path), _prep_fingerprint(_file_digest(files), cfg, "dir"), skipped, cfg)


def _hub_texts(ds, name: str) -> dict[str, list[str]]:
    column = _text_column(ds["train"].column_names, name)
    names = {"train": "train", "valid": "validation", "test": "test"}
    # a row is a line with its newline kept (WikiText on the hub); a local file's line has none
    return {
        ours: [t.rstrip("\r\n") for t in ds[theirs][column]] for ours, theirs in names.items() if theirs in ds
    }


def _given_split(texts: dict[str, list[str]], source: str, fp: str, skipped: int, cfg: Config) -> Splits:
    if cfg.test_titles:
        raise LmlabError(
            f"data={cfg.data} brings its own split, and its test split (when it has one) is scored at the end of "
            "every run; test_titles cuts a test split from a single list of texts, so leave it at 0 here"
        )
    vocabulary = None
    if cfg.num_titles and cfg.num_titles < len(texts["train"]):
        # Only training is cut. Valid and test are the benchmark, and so is the vocabulary: the
        # tokenizer still learns from the whole training file, as the published numbers' did.
        vocabulary = texts["train"]
        texts = {**texts, "train": texts["train"][: cfg.num_titles]}
    splits = Splits(
        texts["train"],
        texts["valid"],
        texts.get("test"),
        source,
        fp,
        skipped,
        given_split=True,
        vocabulary_texts=vocabulary,
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
