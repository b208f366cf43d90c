"""Tables and generated sentences, from recorded numbers."""

from lmlab import perf_tables, run_tables


def test_profiles_table_lists_what_differs_and_extra_budgets():

    table = str(run_tables.profiles_table(extra={"words": {"cpu": {"d_model": 128}}}, note="a note"))
    assert "| `d_model` | 256 | 512 |" in table and "| `lr` |" not in table  # only what differs
    assert "| words: `d_model` | 128 | 512 |" in table and "a note" in table  # missing values: the profile's


def test_profile_table_puts_the_variants_side_by_side():

    def rec(variant, mm, fill):
        ops = [
            {"name": "aten::mm", "self_ms": mm, "share": mm / (mm + fill), "calls": 5},
            {"name": "aten::fill_", "self_ms": fill, "share": fill / (mm + fill), "calls": 5},
        ]
        return {
            "profile": "cpu",
            "variant": variant,
            "steps": 5,
            "settings": {},
            "step_ms": (mm + fill) / 5,
            "date": "2026-11-22",
            "machine": {"cpu": "test cpu", "torch_threads": 2},
            "ops": ops,
        }

    table = str(
        perf_tables.profile_table(
            {"cpu/reference": rec("reference", 600, 400), "cpu/lmlab": rec("lmlab", 600, 100)}
        )
    )
    assert (
        "| `aten::mm` | 60.0% | 85.7% |" in table
        and "| **CPU time per step** | **200 ms** | **140 ms** |" in table
    )
    assert "No profile" in str(perf_tables.profile_table({}, "full"))
