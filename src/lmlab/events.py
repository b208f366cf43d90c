"""TensorBoard event files of a run, beside its light records, so runs can be watched while they
train: `tensorboard --logdir runs` on a machine, `%tensorboard --logdir runs` in Colab. Each run shows
under its id, with its note and settings as text.

The light records (metrics.jsonl) stay the source of truth: the event files are written from the
same records, are git-ignored like checkpoints, and `lmlab runs tensorboard` writes them again for
runs recorded before (or elsewhere). Written only where `tensorboard` is installed (the extra
`lmlab[tensorboard]`, also in the test extra).
"""

from __future__ import annotations

import importlib.util
import shutil

from lmlab.runs import Run

SCALARS = {  # metrics record key -> TensorBoard tag
    "train_loss": "loss/train",
    "val_loss": "loss/validation (nats per char)",
    "lr": "optimizer/learning rate",
    "grad_norm": "optimizer/gradient norm",
    "tok_per_s": "speed/tokens per second",
    "clip_rate": "optimizer/share of steps clipped",
}


def diagnostic_scalars(record: dict) -> dict[str, float]:
    """The record's diagnostics (lmlab.diagnostics) as TensorBoard tags: per group, per layer, per head."""
    out = {}
    for key in ("weight_rms", "update_ratio"):
        for group, value in (record.get(key) or {}).items():
            out[f"{key}/{group}"] = value
    for layer, value in enumerate(record.get("mlp_dead") or []):
        out[f"mlp dead units/layer {layer}"] = value
    for key in ("attn_entropy", "attn_own_title"):
        for layer, heads in enumerate(record.get(key) or []):
            for head, value in enumerate(heads):
                out[f"{key}/layer {layer}/head {head}"] = value
    return out


def available() -> bool:
    return importlib.util.find_spec("tensorboard") is not None


class EventWriter:
    """Writes a run's records as TensorBoard scalars; starts from the records already in the run
    (a resumed run's), so the event files always say what metrics.jsonl says."""

    def __init__(self, run: Run, settings: dict, records: list[dict] = ()):
        from torch.utils.tensorboard import SummaryWriter

        shutil.rmtree(run.events_dir, ignore_errors=True)
        self.writer = SummaryWriter(log_dir=str(run.events_dir))
        self.writer.add_text("run/note", settings.get("note") or "(no note)", 0)
        shown = "\n".join(
            f"    {key} = {value!r}" for key, value in settings.items()
        )  # indented: a code block
        self.writer.add_text("run/settings", f"run {run.id}\n\n{shown}", 0)
        for record in records:
            self.add(record)
        self.writer.flush()

    def add(self, record: dict) -> None:
        for key, tag in SCALARS.items():
            if record.get(key) is not None:
                self.writer.add_scalar(tag, record[key], record["step"])
        for tag, value in diagnostic_scalars(record).items():
            self.writer.add_scalar(tag, value, record["step"])

    def flush(self) -> None:
        self.writer.flush()

    def close(self) -> None:
        self.writer.close()


def write(run: Run) -> None:
    """The event files of a recorded run, written again from its light records."""
    writer = EventWriter(run, run.config, run.metrics)
    writer.close()
