import numpy as np
import pytest

from conftest import HN_TITLES, WIKITEXT, corpus_lines
from lmlab.config import make_config
from lmlab.data import load_splits
from lmlab.errors import LmlabError
from lmlab.project import cache_root
from lmlab.tokenize import (
    SentencePieceTokenizer,
    WordTokenizer,
    encode,
    load_tokenizer,
    prepare,
    round_trip_share,
)

SAMPLES = [
    "Show HN: A tiny GPT in 300 lines",
    "Ask HN: Why is C++ so hard?",
    "Ünïcödé, emoji 🚀 and  two  spaces",
    "x",
]


@pytest.fixture(scope="module")
def titles():
    return load_splits(make_config("smoke", data=str(HN_TITLES))).train


@pytest.mark.parametrize("kind", ["bpe", "unigram"])
def test_sentencepiece_round_trips_exactly(titles, kind, tmp_path):
    tok = SentencePieceTokenizer.train(titles, kind, 512)
    assert tok.vocab_size == 512 and tok.piece(tok.eos_id) == "<eos>" and tok.eos_id == 1
    for text in SAMPLES + titles[:50]:
        assert tok.decode(tok.encode_texts([text])[0]) == text
    (tmp_path / tok.filename).write_bytes(tok.serialize())
    again = load_tokenizer(tmp_path)
    assert again.encode_texts(SAMPLES) == tok.encode_texts(SAMPLES)


def test_sentencepiece_never_emits_unk_thanks_to_byte_fallback(titles):
    tok = SentencePieceTokenizer.train(titles, "bpe", 512)
    ids = tok.encode_texts(["中文标题 with unseen glyphs ∮"])[0]
    assert 2 not in ids  # <unk>


def test_every_text_ends_with_eos(titles):
    tok = SentencePieceTokenizer.train(titles, "bpe", 512)
    stream = encode(tok, ["a b", "c"])
    assert stream[-1] == tok.eos_id and (stream == tok.eos_id).sum() == 2


def corpus_words(split: str) -> list[str]:
    return [w for line in corpus_lines(split) for w in line.split()]


def test_word_tokenizer_keeps_every_training_word_as_wikitext_counts_them():
    splits = load_splits(make_config("smoke", data=str(WIKITEXT), num_titles=0))
    tok = WordTokenizer.train(splits.train, vocab_size=0)
    assert set(tok.words) == set(corpus_words("train")) | {"<eos>"}  # <unk> is a word of the files already
    train = encode(tok, splits.train)
    # WikiText's standard counts: every word, plus one <eos> per line (blank lines included)
    assert len(train) == len(corpus_words("train")) + len(corpus_lines("train"))
    assert len(encode(tok, splits.valid)) == len(corpus_words("valid")) + len(corpus_lines("valid"))
    line = " ".join(corpus_words("valid")[:12])
    assert tok.decode(tok.encode_texts([line])[0]) == line


def test_a_cut_corpus_keeps_the_benchmark_vocabulary_and_evaluation_files(tmp_path, monkeypatch):
    monkeypatch.setenv("LMLAB_CACHE", str(tmp_path))
    splits, tok, ids, _ = prepare(
        make_config("smoke", data=str(WIKITEXT), tokenizer="word", vocab_size=0, num_titles=900)
    )
    assert len(splits.train) == 900 and set(tok.words) == set(corpus_words("train")) | {
        "<eos>"
    }  # from every training line
    assert len(ids["valid"]) == len(corpus_words("valid")) + len(corpus_lines("valid"))
    assert len(ids["train"]) < len(corpus_words("train"))


def test_word_tokenizer_top_n_maps_the_rest_to_unk():
    tok = WordTokenizer.train(["a a a b b c"], vocab_size=4)
    assert tok.words == ["<eos>", "<unk>", "a", "b"]
    assert tok.decode(tok.encode_texts(["a c b"])[0]) == "a <unk> b"


def test_prepared_data_is_cached_by_data_and_tokenizer_settings():
    cfg = make_config("smoke", data=str(HN_TITLES), num_titles=500, vocab_size=512)
    splits1, tok1, ids1, hit1 = prepare(cfg)
    splits2, tok2, ids2, hit2 = prepare(cfg)
    assert (hit1, hit2) == (False, True)
    assert np.array_equal(ids1["train"], ids2["train"]) and tok2.vocab_size == 512
    assert splits2 == splits1 == load_splits(cfg)  # the texts come back from the cache as they were prepared
    assert prepare(make_config("smoke", data=str(HN_TITLES), num_titles=500, vocab_size=513))[3] is False
    assert prepare(make_config("smoke", data=str(HN_TITLES), num_titles=501, vocab_size=512))[3] is False


def test_fitting_on_train_plus_valid_is_a_different_tokenizer():
    cfg = make_config(
        "smoke", data=str(HN_TITLES), num_titles=500, vocab_size=512, tokenizer_fit="train+valid"
    )
    assert prepare(cfg)[3] is False


def test_a_damaged_cache_entry_is_rebuilt():
    cfg = make_config("smoke", data=str(HN_TITLES), num_titles=400, vocab_size=512)
    _, _, ids, _ = prepare(cfg)
    entry = next(
        p
        for p in (cache_root() / "tokens").iterdir()
        if (p / "train.npy").exists() and np.array_equal(np.load(p / "train.npy"), ids["train"])
    )
    (entry / "train.npy").write_bytes(b"garbage")
    _, _, again, hit = prepare(cfg)
    assert hit is False and np.array_equal(again["train"], ids["train"])


def test_impossible_vocabulary_is_a_clear_error():
    with pytest.raises(LmlabError, match="sentencepiece refused to train"):
        SentencePieceTokenizer.train(["a b c", "d e f"], "bpe", 5000)


def test_round_trips_and_the_legacy_metrics_coverage():
    from lmlab.train import legacy_coverage

    bpe = make_config("smoke", data=str(HN_TITLES), num_titles=600)
    assert round_trip_share(bpe) == 1.0  # identity normalization, byte fallback: every title comes back
    assert (
        round_trip_share(
            make_config("smoke", data=str(HN_TITLES), num_titles=600, tokenizer="word", vocab_size=64)
        )
        < 1
    )
    # 100 targets from 101 tokens; spans of 2 x 4 + 1 = 9 tokens: 11 spans, 88 targets scored
    assert legacy_coverage(101, 2, 4) == 88 / 100
