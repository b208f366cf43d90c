import json

import datasets
import pytest

from conftest import HN_TITLES, WIKITEXT, corpus_lines
from lmlab.config import make_config
from lmlab.data import EOS, fingerprint, load_splits
from lmlab.errors import LmlabError


def cfg(**overrides):
    return make_config("smoke", **overrides)


def test_text_file_is_prepared_as_the_challenge_prepares_the_hub_data():
    splits = load_splits(cfg(data=str(HN_TITLES), num_titles=1000))
    assert (len(splits.train), len(splits.valid), splits.test) == (900, 100, None)
    # the same datasets shuffle with seed 1337 over the same rows, then strip, then 90/10
    lines = HN_TITLES.read_text(encoding="utf-8").splitlines()
    expected = [
        t.strip()
        for t in datasets.Dataset.from_dict({"title": lines}).shuffle(seed=1337).select(range(1000))["title"]
    ]
    assert splits.train + splits.valid == expected
    assert splits.chars("valid") == len(EOS.join(splits.valid) + EOS)


def test_fingerprint_is_content_not_path(tmp_path):
    copy = tmp_path / "copy.txt"
    copy.write_bytes(HN_TITLES.read_bytes())
    assert fingerprint(cfg(data=str(copy))) == fingerprint(cfg(data=str(HN_TITLES)))
    assert fingerprint(cfg(data=str(copy))) != fingerprint(cfg(data=str(copy), num_titles=999))
    assert load_splits(cfg(data=str(copy))).fingerprint == fingerprint(cfg(data=str(copy)))


@pytest.mark.parametrize("suffix", [".csv", ".jsonl", ".parquet"])
def test_table_files_with_a_title_or_text_column(tmp_path, suffix):
    rows = [f"  title number {i}  " for i in range(50)]
    path = tmp_path / f"t{suffix}"
    column = "text" if suffix == ".jsonl" else "title"
    ds = datasets.Dataset.from_dict({column: rows, "score": list(range(50))})
    {".csv": ds.to_csv, ".jsonl": ds.to_json, ".parquet": ds.to_parquet}[suffix](str(path))
    splits = load_splits(cfg(data=str(path), num_titles=0))
    assert len(splits.train) == 45 and len(splits.valid) == 5
    assert sorted(splits.train + splits.valid) == sorted(r.strip() for r in rows)


def test_table_without_a_text_column(tmp_path):
    path = tmp_path / "t.jsonl"
    path.write_text(json.dumps({"body": "x"}) + "\n")
    with pytest.raises(LmlabError, match="no 'title' or 'text' column"):
        load_splits(cfg(data=str(path)))


def test_wikitext_directory_keeps_its_splits():
    splits = load_splits(cfg(data=str(WIKITEXT), num_titles=0))
    lines = {split: len(corpus_lines(split)) for split in ("train", "valid", "test")}
    assert (len(splits.train), len(splits.valid), len(splits.test)) == (
        lines["train"],
        lines["valid"],
        lines["test"],
    )
    small = load_splits(cfg(data=str(WIKITEXT), num_titles=900))
    # a shorter training set, the same benchmark: valid and test are never cut
    assert (len(small.train), len(small.valid), len(small.test)) == (900, lines["valid"], lines["test"])
    assert small.fingerprint != splits.fingerprint
    assert load_splits(cfg(data=str(WIKITEXT), num_titles=900, val_frac=0.2)).fingerprint == small.fingerprint


def test_missing_path_is_named():
    with pytest.raises(LmlabError, match="data=nowhere/titles.txt: no such file or directory"):
        load_splits(cfg(data="nowhere/titles.txt"))


def test_unsupported_file_type(tmp_path):
    path = tmp_path / "titles.pdf"
    path.write_bytes(b"%PDF")
    with pytest.raises(LmlabError, match="unsupported file type '.pdf'"):
        load_splits(cfg(data=str(path)))


def test_empty_file(tmp_path):
    path = tmp_path / "empty.txt"
    path.write_text("")
    with pytest.raises(LmlabError, match="the train split is empty"):
        load_splits(cfg(data=str(path)))


def test_invalid_utf8_lines_are_skipped_and_counted(tmp_path, capsys):
    path = tmp_path / "mixed.txt"
    good = [f"good title {i}".encode() for i in range(40)]
    path.write_bytes(b"\n".join(good[:20] + [b"bad \xff\xfe title", b"\xc3\x28"] + good[20:]) + b"\n")
    splits = load_splits(cfg(data=str(path), num_titles=0))
    assert splits.skipped_lines == 2 and len(splits.train) + len(splits.valid) == 40
    assert "skipped 2 line(s)" in capsys.readouterr().err


def test_unreachable_hub_gives_one_clear_line():
    with pytest.raises(LmlabError) as err:
        load_splits(cfg())  # the default source: the hub dataset, unreachable here
    message = str(err.value)
    assert "cannot reach the Hugging Face Hub for data=julien040/hacker-news-posts" in message
    assert "data=path/to/titles.txt" in message and "\n" not in message


@pytest.fixture
def hub_copy(monkeypatch):
    """The hub, served from the test corpora: `datasets.load_dataset(repo, config)` answers with a
    DatasetDict built by `datasets` from the files in tests/data, in the hub's row format."""
    from lmlab import data as data_module

    calls = []

    def load_dataset(repo, config=None, **kwargs):
        calls.append((repo, config))
        if repo == "Salesforce/wikitext" and config == "wikitext-2-v1":
            files = {"train": "train.txt", "validation": "valid.txt", "test": "test.txt"}
            rows = {
                split: [line + "\n" for line in (WIKITEXT / f).read_text(encoding="utf-8").splitlines()]
                for split, f in files.items()
            }
            return datasets.DatasetDict(
                {split: datasets.Dataset.from_dict({"text": r}) for split, r in rows.items()}
            )
        if repo == "julien040/hacker-news-posts":
            lines = HN_TITLES.read_text(encoding="utf-8").splitlines()
            return datasets.DatasetDict(
                {"train": datasets.Dataset.from_dict({"title": lines, "score": [0] * len(lines)})}
            )
        raise datasets.exceptions.DatasetNotFoundError(f"Dataset '{repo}' doesn't exist on the Hub")

    data_module._load_hub.cache_clear()
    monkeypatch.setattr(datasets, "load_dataset", load_dataset)
    yield calls
    data_module._load_hub.cache_clear()


def test_hub_wikitext_config_keeps_its_own_split(hub_copy):
    hub = load_splits(cfg(data="Salesforce/wikitext:wikitext-2-v1", num_titles=0))
    local = load_splits(cfg(data=str(WIKITEXT), num_titles=0))
    assert hub_copy[0] == ("Salesforce/wikitext", "wikitext-2-v1")
    assert hub.given_split and (hub.train, hub.valid, hub.test) == (local.train, local.valid, local.test)
    cut = load_splits(cfg(data="Salesforce/wikitext:wikitext-2-v1", num_titles=500))
    assert (len(cut.train), len(cut.valid)) == (500, len(corpus_lines("valid")))
    assert (
        fingerprint(cfg(data="Salesforce/wikitext:wikitext-2-v1", num_titles=500))
        == cut.fingerprint
        != hub.fingerprint
    )


def test_hub_titles_are_shuffled_and_split_like_the_local_copy(hub_copy):
    hub = load_splits(cfg(num_titles=1000))  # the default: julien040/hacker-news-posts
    local = load_splits(cfg(data=str(HN_TITLES), num_titles=1000))
    assert not hub.given_split and (hub.train, hub.valid, hub.test) == (local.train, local.valid, None)


def test_unknown_hub_dataset_is_named(hub_copy):
    with pytest.raises(LmlabError, match="data=nobody/nothing: cannot load it from the hub"):
        load_splits(cfg(data="nobody/nothing"))


def test_test_split_is_the_next_texts_disjoint_and_the_same_for_every_run_of_a_profile():
    asked = load_splits(cfg(data=str(HN_TITLES), num_titles=1000, test_titles=500))
    plain = load_splits(cfg(data=str(HN_TITLES), num_titles=1000))
    # asking for a test split changes nothing a run trains or validates on
    assert (asked.train, asked.valid, asked.fingerprint) == (plain.train, plain.valid, plain.fingerprint)
    lines = HN_TITLES.read_text(encoding="utf-8").splitlines()
    order = datasets.Dataset.from_dict({"title": lines}).shuffle(seed=1337)["title"]
    assert asked.test == [t.strip() for t in order[1000:1500]]
    assert len(asked.test) == 500 and asked.chars("test") == len(EOS.join(asked.test) + EOS)
    rows = HN_TITLES.read_text(encoding="utf-8").splitlines()
    first_1000 = set(order[:1000])
    assert not any(t in first_1000 for t in order[1000:1500] if rows.count(t) == 1)  # no title twice
    # the same texts whatever else the run changes: model, tokenizer, seed
    other = load_splits(
        cfg(data=str(HN_TITLES), num_titles=1000, test_titles=500, seed=7, tokenizer="unigram")
    )
    assert other.test == asked.test


def test_a_test_split_beyond_the_data_is_refused_with_what_is_left():
    with pytest.raises(LmlabError, match=r"4,000 texts, so 1,000 are left .* at most test_titles=1000"):
        load_splits(cfg(data=str(HN_TITLES), num_titles=3000, test_titles=2000))
    with pytest.raises(LmlabError, match="every text is in training or validation at this profile"):
        load_splits(cfg(data=str(HN_TITLES), num_titles=0, test_titles=10))
    with pytest.raises(LmlabError, match="brings its own split"):
        load_splits(cfg(data=str(WIKITEXT), test_titles=10))
