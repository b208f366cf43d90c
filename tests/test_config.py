import pytest

from lmlab.config import expand_grid, make_config, parse_overrides, run_id
from lmlab.errors import LmlabError


def test_profiles_shrink_only_what_they_name():
    full, smoke = make_config("full"), make_config("smoke")
    assert (full.n_layer, full.d_model, full.n_head, full.block_size, full.batch_size) == (6, 512, 8, 128, 64)
    assert (full.optimizer, full.lr, full.schedule, full.epochs, full.vocab_size) == (
        "sgd",
        6e-3,
        "cosine",
        7,
        16_000,
    )
    assert smoke.n_layer < full.n_layer and smoke.optimizer == full.optimizer


def test_string_overrides_are_typed():
    cfg = make_config("cpu", lr="5e-4", n_layer="3", tie_embeddings="false", num_titles="1e4")
    assert (cfg.lr, cfg.n_layer, cfg.tie_embeddings, cfg.num_titles) == (5e-4, 3, False, 10_000)


def test_unknown_key_suggests_the_nearest_and_lists_all():
    with pytest.raises(
        LmlabError, match=r"unknown setting 'lrr'; did you mean 'lr'\?.*valid settings: .*optimizer"
    ):
        make_config("cpu", lrr="1")


@pytest.mark.parametrize(
    "overrides, message",
    [
        ({"norm": "batch"}, r"norm='batch' is not a valid choice; choose one of: layer, rms"),
        ({"n_layer": "two"}, r"n_layer='two': expected a whole number"),
        ({"lr": "-1"}, r"lr=-1.0 is out of range: it must be greater than 0"),
        ({"dropout": "1.5"}, r"dropout=1.5 is out of range: it must be at most 0.9"),
        ({"d_model": "100", "n_head": "3"}, r"divisible by n_head=3"),
        ({"batch_size": "10", "grad_accum": "3"}, r"divisible by grad_accum=3"),
        ({"tie_embeddings": "maybe"}, r"expected true or false"),
        ({"lr": "nan"}, r"expected a finite number"),
        (
            {"data_seed": "-1"},
            r"data_seed=-1 is out of range: it must be at least 0",
        ),  # found by the property test
    ],
)
def test_bad_values_say_what_is_valid(overrides, message):
    with pytest.raises(LmlabError, match=message):
        make_config("cpu", **overrides)


def test_unknown_profile():
    with pytest.raises(LmlabError, match="unknown profile 'gpu'; choose one of: full, cpu, cpu-27m, smoke"):
        make_config("gpu")


def test_comma_lists_expand_to_the_grid_in_written_order():
    configs = expand_grid("smoke", parse_overrides(["lr=1e-3,5e-4", "seed=1,2,3", "note=a, b"]))
    assert [(c.lr, c.seed) for c in configs] == [
        (1e-3, 1),
        (1e-3, 2),
        (1e-3, 3),
        (5e-4, 1),
        (5e-4, 2),
        (5e-4, 3),
    ]
    assert {c.note for c in configs} == {"a, b"}  # free text never sweeps


def test_malformed_override_word():
    with pytest.raises(LmlabError, match="is not a key=value setting"):
        parse_overrides(["lr"])


def test_run_id_ignores_execution_settings_but_not_the_math():
    base = make_config("smoke")
    same = make_config("smoke", note="hello", device="cpu", eval_batch_size="7", data="elsewhere.txt")
    assert run_id(base, "fp") == run_id(same, "fp")
    assert run_id(base, "fp") != run_id(base, "other-data")
    assert run_id(base, "fp") != run_id(make_config("smoke", lr="1e-3"), "fp")
