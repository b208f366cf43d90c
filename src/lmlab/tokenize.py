"""Tokenizers (sentencepiece BPE/unigram, whitespace words) and the on-disk cache of tokenized splits.

Every text is followed by `<eos>`, as the challenge joins titles. `prepare` caches the prepared
texts, the tokenizer and the token streams by data fingerprint and tokenizer settings, so a second
run on the same data skips loading, tokenizer training and encoding.
"""

from __future__ import annotations

import dataclasses
import hashlib
import io
import json
import os
import shutil
import tempfile
from collections import Counter
from pathlib import Path

import numpy as np

from lmlab.config import Config
from lmlab.data import EOS, Splits, fingerprint, load_splits
from lmlab.errors import LmlabError
from lmlab.project import cache_root

UNK = "<unk>"
PAD = "<pad>"
CACHE_VERSION = 2  # bump when tokenization output changes, to invalidate old cache entries


class SentencePieceTokenizer:
    """Subword tokenizer; byte fallback means no text ever becomes `<unk>`."""

    filename = "tokenizer.model"

    def __init__(self, model_proto: bytes):
        import sentencepiece as spm

        self.model_proto = model_proto
        self.sp = spm.SentencePieceProcessor(model_proto=model_proto)
        self.eos_id = self.sp.eos_id()
        self.vocab_size = self.sp.get_piece_size()

    @classmethod
    def train(cls, texts: list[str], kind: str, vocab_size: int) -> SentencePieceTokenizer:
        import sentencepiece as spm

        model = io.BytesIO()
        try:
            spm.SentencePieceTrainer.train(
                sentence_iterator=iter([t for t in texts if t]),
                model_writer=model,
                model_type=kind,
                vocab_size=vocab_size,
                # ids as in the challenge's tokenizer: <pad>=0, <eos>=1, <unk>=2, no <bos>
                pad_id=0,
                eos_id=1,
                unk_id=2,
                bos_id=-1,
                pad_piece=PAD,
                eos_piece=EOS,
                unk_piece=UNK,
                byte_fallback=True,
                character_coverage=0.9995,
                # keep text exactly as given, so decode(encode(s)) == s and chars are counted honestly
                normalization_rule_name="identity",
                remove_extra_whitespaces=False,
                max_sentence_length=1 << 16,
                # a unigram model seeds its pieces from the data: on a small corpus it may find fewer than
                # vocab_size, and then keeps what it found (the run records its real vocabulary). Where the
                # data holds enough, the pieces are the same as with the hard limit
                hard_vocab_limit=kind != "unigram",
                num_threads=os.cpu_count() or 1,
                minloglevel=2,
            )
        except RuntimeError as e:
            raise LmlabError(
                f"tokenizer={kind} vocab_size={vocab_size}: sentencepiece refused to train: {e}"
            ) from None
        return cls(model.getvalue())

    def encode_texts(self, texts: list[str]) -> list[list[int]]:
        return self.sp.encode(texts)

    def decode(self, ids: list[int]) -> str:
        return self.sp.decode([int(i) for i in ids])

    def piece(self, i: int) -> str:
        return self.sp.id_to_piece(int(i))

    def serialize(self) -> bytes:
        return self.model_proto

    @classmethod
    def load(cls, directory: Path) -> SentencePieceTokenizer:
        return cls((directory / cls.filename).read_bytes())


class WordTokenizer:
    """Whitespace words: the `vocab_size` most frequent training words plus `<eos>` and `<unk>`."""

    filename = "tokenizer.json"

    def __init__(self, words: list[str]):
        self.words = words
        self.index = {w: i for i, w in enumerate(words)}
        self.eos_id = self.index[EOS]
        self.unk_id = self.index[UNK]
        self.vocab_size = len(words)

    @classmethod
    def train(cls, texts: list[str], vocab_size: int) -> WordTokenizer:
        counts = Counter(w for t in texts for w in t.split())
        specials = [EOS, UNK]
        ranked = [w for w, _ in counts.most_common() if w not in specials]
        if vocab_size:
            ranked = ranked[: max(0, vocab_size - len(specials))]
        return cls(specials + ranked)

    def encode_texts(self, texts: list[str]) -> list[list[int]]:
        get, unk = self.index.get, self.unk_id
        return [[get(w, unk) for w in t.split()] for t in texts]

    def decode(self, ids: list[int]) -> str:
        return " ".join(self.words[int(i)] for i in ids)

    def piece(self, i: int) -> str:
        return self.words[int(i)]

    def serialize(self) -> bytes:
        return json.dumps({"kind": "word", "words": self.words}).encode()

    @classmethod
    def load(cls, directory: Path) -> WordTokenizer:
        return cls(json.loads((directory / cls.filename).read_text())["words"])


Tokenizer = SentencePieceTokenizer | WordTokenizer


def train_tokenizer(cfg: Config, splits: Splits) -> Tokenizer:
    texts = (splits.vocabulary_texts or splits.train) + (
        splits.valid if cfg.tokenizer_fit == "train+valid" else []
    )
    if cfg.tokenizer == "word":
        return WordTokenizer.train(texts, cfg.vocab_size)
    return SentencePieceTokenizer.train(texts, cfg.tokenizer, cfg.vocab_size)


def load_tokenizer(directory: Path) -> Tokenizer:
    if (directory / WordTokenizer.filename).exists():
        return WordTokenizer.load(directory)
    if (directory / SentencePieceTokenizer.filename).exists():
        return SentencePieceTokenizer.load(directory)
    raise LmlabError(f"no tokenizer in {directory}")


def round_trip_share(cfg: Config) -> float:
    """The share of validation texts the run's tokenizer gives back exactly, decode(encode(t)) == t. A
    tokenizer that normalizes (lowercases, folds spaces or Unicode) changes what is predicted, and its
    loss with it. The tokenizer is the one `prepare` makes (or finds in the token cache)."""
    splits, tok, _, _ = prepare(cfg)
    encoded = tok.encode_texts(splits.valid)
    return sum(tok.decode(ids) == text for ids, text in zip(encoded, splits.valid)) / max(
        1, len(splits.valid)
    )


def encode(tok: Tokenizer, texts: list[str]) -> np.ndarray:
    """One token stream: each text's ids followed by `<eos>`."""
    pieces = tok.encode_texts(texts)
    out = np.empty(sum(len(p) for p in pieces) + len(pieces), dtype=np.int32)
    pos = 0
    for p in pieces:
        out[pos : pos + len(p)] = p
        pos += len(p)
        out[pos] = tok.eos_id
        pos += 1
    return out


def reorder_texts(stream: np.ndarray, eos_id: int, rng: np.random.Generator) -> np.ndarray:
    """The same stream (each text followed by `<eos>`) with its texts in a random order."""
    ends = np.flatnonzero(stream == eos_id) + 1
    starts = np.concatenate(([0], ends[:-1]))
    order = rng.permutation(len(ends))
    return np.concatenate([stream[starts[i] : ends[i]] for i in order] + [stream[ends[-1] :]])


def cache_key(cfg: Config, data_fingerprint: str) -> str:
    spec = f"v{CACHE_VERSION}|{data_fingerprint}|{cfg.tokenizer}|{cfg.vocab_size}|{cfg.tokenizer_fit}"
    if cfg.test_titles:  # an entry holds the test split only for the runs that ask for it
        spec += f"|test={cfg.test_titles}"
    return hashlib.sha256(spec.encode()).hexdigest()[:16]


def prepare(
    cfg: Config, data_fingerprint: str | None = None
) -> tuple[Splits, Tokenizer, dict[str, np.ndarray], bool]:
    """(splits, tokenizer, {split: ids}, cache_hit). On a hit nothing is read but the cache entry:
    the prepared texts, the tokenizer and the token streams; on a miss all three are made and stored.
    `data_fingerprint` is the data's (lmlab.data.fingerprint) when the caller has it already."""
    data_fingerprint = data_fingerprint or fingerprint(cfg)
    entry = cache_root() / "tokens" / cache_key(cfg, data_fingerprint)
    if (entry / "done").exists():
        try:
            meta = json.loads((entry / "texts.json").read_text(encoding="utf-8"))
            splits = Splits(**meta)
            names = [n for n in ("train", "valid", "test") if getattr(splits, n) is not None]
            return splits, load_tokenizer(entry), {n: np.load(entry / f"{n}.npy") for n in names}, True
        except Exception:  # a damaged cache entry is rebuilt, never trusted
            shutil.rmtree(entry, ignore_errors=True)
    splits = load_splits(cfg)
    tok = train_tokenizer(cfg, splits)
    names = [n for n in ("train", "valid", "test") if getattr(splits, n) is not None]
    ids = {n: encode(tok, getattr(splits, n)) for n in names}
    entry.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(dir=entry.parent, prefix=".tmp-"))
    (staging / tok.filename).write_bytes(tok.serialize())
    for n, arr in ids.items():
        np.save(staging / f"{n}.npy", arr)
    (staging / "texts.json").write_text(json.dumps(dataclasses.asdict(splits)), encoding="utf-8")
    (staging / "done").write_text("")
    if entry.exists() and not (entry / "done").exists():
        shutil.rmtree(entry, ignore_errors=True)  # left half-written by a killed process
    try:
        os.replace(staging, entry)
    except OSError:  # another process filled the entry first; theirs is identical
        shutil.rmtree(staging, ignore_errors=True)
    return splits, tok, ids, False
