"""The study's own check: its ladder is sound and trains end to end at the `tiny` profile (seconds)."""

from lmlab.ladder import Ladder, Study, load_study
from lmlab.project import data_setting


def test_the_ladder_trains_at_the_tiny_profile(tmp_path):
    study = load_study()
    assert isinstance(study, Study)
    ladder = Ladder(study, "tiny", data_setting(), runs_dir=tmp_path)
    results = ladder.train_all(log=lambda line: None)
    assert [r.step.name for r in results] == [step.name for step in study.steps]
    assert all(r.complete and r.verdict for r in results)
