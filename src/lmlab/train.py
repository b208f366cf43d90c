"""Training and evaluation: `train(cfg)` returns a finished run, from the store if it is cached.

The batches are the challenge's: consecutive chunks of `batch_size * block_size` tokens read in
order from the training stream, every epoch the same order. The position in the data is thus a
function of the step, and a checkpoint (model, optimizer, RNG, step) resumes a run exactly.

Runs under `torchrun` as data-parallel: every process takes its rows of each global batch, the
gradients are averaged, and only rank 0 evaluates and writes the run store.

The run's lock and meta.json's status (running, then done, interrupted or failed) are the run
store's: `train` trains inside `RunStore.recording`. The Trainer writes the records, checkpoints,
and where it is (step, checkpoint_step, train_seconds).
"""

from __future__ import annotations

import atexit
import math
import os
import signal
import sys
import threading
import time
from contextlib import contextmanager, nullcontext
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch
import torch.distributed as dist
from torch.nn import functional as F
from torch.optim.swa_utils import AveragedModel, get_ema_multi_avg_fn

from lmlab import diagnostics, events, memory
from lmlab import runs as runstore
from lmlab.config import Config, make_config, run_id, to_dict, validate
from lmlab.data import fingerprint
from lmlab.devices import autocast, describe, pick_device, training_device
from lmlab.errors import Diverged, LmlabError
from lmlab.model import GPT, ModelConfig
from lmlab.optim import lr_factor, make_optimizer, set_lr
from lmlab.probes import compute_probes
from lmlab.tokenize import prepare, reorder_texts

LN2 = math.log(2)


@dataclass
class World:
    rank: int = 0
    size: int = 1

    @property
    def main(self) -> bool:
        return self.rank == 0

    def barrier(self) -> None:
        if self.size > 1:
            dist.barrier()


def init_world(device_name: str) -> World:
    """Join the process group when started by torchrun (WORLD_SIZE > 1)."""
    size = int(os.environ.get("WORLD_SIZE", 1))
    if size == 1:
        return World()
    if not dist.is_initialized():
        backend = "nccl" if torch.cuda.is_available() and device_name in ("auto", "cuda") else "gloo"
        dist.init_process_group(backend)
        atexit.register(dist.destroy_process_group)
        if backend == "gloo":  # processes on one CPU share its cores instead of each taking them all
            local = int(os.environ.get("LOCAL_WORLD_SIZE", size))
            torch.set_num_threads(max(1, (os.cpu_count() or 1) // local))
    return World(dist.get_rank(), dist.get_world_size())


class StopRequest:
    """Whether Ctrl-C or SIGTERM came during the training loop."""

    requested = False


@contextmanager
def stop_after_the_step():
    """Inside: Ctrl-C or SIGTERM asks the loop to stop once the step in progress is done, so the
    checkpoint it writes then is where the run stopped (a step on the CPU takes seconds, an
    evaluation at `full` minutes, and a checkpoint only comes with evaluations); a second one stops
    at once, from the last checkpoint. Off the main thread (where handlers cannot be set) both stop
    at once, as outside."""
    stop = StopRequest()

    def request(signum, frame):
        if stop.requested:
            raise KeyboardInterrupt
        stop.requested = True

    if threading.current_thread() is not threading.main_thread():
        yield stop
        return
    previous = {sig: signal.signal(sig, request) for sig in (signal.SIGINT, signal.SIGTERM)}
    try:
        yield stop
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)


# ---------------------------------------------------------------- evaluation


@torch.inference_mode()
def evaluate(
    model: GPT,
    ids: torch.Tensor,
    block_size: int,
    batch_size: int,
    device: torch.device,
    precision: str = "fp32",
) -> tuple[float, int]:
    """Summed NLL over every token of the stream after the first, each scored exactly once.

    Windows of `block_size` tokens tile the stream; the last one is padded and its padding ignored.
    The windows depend on block_size only, so the result does not depend on the training batch size.
    """
    n_targets = len(ids) - 1
    n_windows = math.ceil(n_targets / block_size)
    padded = n_windows * block_size
    x = torch.full((padded,), int(ids[0]), dtype=torch.long, device=device)
    y = torch.full((padded,), -100, dtype=torch.long, device=device)
    x[:n_targets] = ids[:-1]
    y[:n_targets] = ids[1:]
    x, y = x.view(n_windows, block_size), y.view(n_windows, block_size)
    total = torch.zeros((), dtype=torch.float64, device=device)
    for start in range(0, n_windows, batch_size):
        with autocast(device, precision):
            _, loss = model(x[start : start + batch_size], y[start : start + batch_size], reduction="sum")
        total += loss.double()
    return float(total), n_targets


@torch.inference_mode()
def evaluate_legacy(
    model: GPT,
    ids: torch.Tensor,
    block_size: int,
    batch_size: int,
    chars: int,
    device: torch.device,
    precision: str = "fp32",
) -> float:
    """The challenge's `evaluate()`: spans of batch_size*block_size+1 tokens, the tail dropped,
    summed NLL over the full character count. Kept to compare with published numbers."""
    span = block_size * batch_size + 1
    total = torch.zeros((), dtype=torch.float64, device=device)
    for ptr in range(0, len(ids) - span + 1, span):
        chunk = ids[ptr : ptr + span]
        xb, yb = chunk[:-1].view(batch_size, block_size), chunk[1:].view(batch_size, block_size)
        with autocast(device, precision):
            _, loss = model(xb, yb, reduction="sum")
        total += loss.double()
    return float(total) / chars


def legacy_coverage(n_tokens: int, batch_size: int, block_size: int) -> float:
    """The share of a stream's next-token targets that the challenge's evaluate() scores: whole spans
    of batch_size * block_size + 1 tokens, the tail that does not fill one dropped."""
    spans = n_tokens // (batch_size * block_size + 1)
    return spans * batch_size * block_size / max(1, n_tokens - 1)


def legacy_coverages(cfg: Config, profiles=("cpu", "full")) -> dict[str, float]:
    """legacy_coverage of cfg's validation stream at each profile's batch and context."""
    _, _, ids, _ = prepare(cfg)
    sizes = {p: (make_config(p).batch_size, make_config(p).block_size) for p in profiles}
    return {
        f"{p}'s batch × context, {b} × {t}": legacy_coverage(len(ids["valid"]), b, t)
        for p, (b, t) in sizes.items()
    }


def split_metrics(prefix: str, nll: float, n_tokens: int, chars: int) -> dict:
    per_char = nll / chars
    return {
        f"{prefix}_loss": per_char,
        f"{prefix}_bpc": per_char / LN2,
        f"{prefix}_ppl": math.exp(nll / n_tokens)
        if nll / n_tokens < 700
        else math.inf,  # exp overflows past ~709
        f"{prefix}_nll_per_token": nll / n_tokens,
    }


# ---------------------------------------------------------------- training


def symmetric_kl(logits_a: torch.Tensor, logits_b: torch.Tensor) -> torch.Tensor:
    """R-Drop's penalty: (KL(a||b) + KL(b||a)) / 2 between two predictions, averaged over positions."""
    log_a, log_b = F.log_softmax(logits_a.float(), dim=-1), F.log_softmax(logits_b.float(), dim=-1)
    return 0.5 * ((log_a.exp() - log_b.exp()) * (log_a - log_b)).sum(-1).mean()


def make_average(cfg: Config, model: torch.nn.Module) -> AveragedModel | None:
    """The running average of the weights that evaluations use (average=ema or swa), or None."""
    if cfg.average == "ema":
        return AveragedModel(model, multi_avg_fn=get_ema_multi_avg_fn(cfg.ema_decay))
    return AveragedModel(model) if cfg.average == "swa" else None


class Trainer:
    def __init__(
        self,
        cfg: Config,
        run: runstore.Run,
        world: World,
        progress: bool = True,
        data_fingerprint: str | None = None,
        device: torch.device | None = None,
    ):
        self.cfg, self.run, self.world, self.progress = cfg, run, world, progress
        self.device = device or training_device(cfg.precision, cfg.device)
        if world.size > 1 and self.device.type == "cuda":
            torch.cuda.set_device(self.device)

        t0 = time.perf_counter()
        if world.main:
            self.splits, self.tok, ids, self.cache_hit = prepare(cfg, data_fingerprint)
            world.barrier()
        else:  # wait for rank 0 to fill the cache, then read it
            world.barrier()
            self.splits, self.tok, ids, self.cache_hit = prepare(cfg, data_fingerprint)
        self.prep_seconds = time.perf_counter() - t0
        # again with the tokenizer's own vocabulary (a word vocabulary's size is known only now)
        self.memory = memory.check(cfg, self.device, self.tok.vocab_size, world.size)
        self.ids = {k: torch.from_numpy(v.astype(np.int64)).to(self.device) for k, v in ids.items()}
        self.train_ids_np = ids["train"]

        B, T = cfg.batch_size, cfg.block_size
        self.steps_per_epoch = (len(self.ids["train"]) - 1) // (B * T)
        if self.steps_per_epoch == 0:
            raise LmlabError(
                f"the training split has {len(self.ids['train'])} tokens, fewer than one batch "
                f"(batch_size*block_size+1 = {B * T + 1}); lower batch_size or block_size, or use more data"
            )
        if B % (world.size * cfg.grad_accum):
            raise LmlabError(
                f"batch_size={B} must be divisible by processes x grad_accum = {world.size} x {cfg.grad_accum}"
            )
        self.total_steps = cfg.epochs * self.steps_per_epoch
        if cfg.max_steps:
            self.total_steps = min(self.total_steps, cfg.max_steps)
        self.eval_every = max(1, min(self.steps_per_epoch, self.total_steps) // cfg.evals_per_epoch)
        self.micro_rows = B // (world.size * cfg.grad_accum)
        self.epoch_order: tuple[int, torch.Tensor] | None = None  # (epoch, its stream or window order)

        torch.manual_seed(cfg.seed)
        self.model = GPT(ModelConfig.from_settings(cfg, self.tok.vocab_size, self.tok.eos_id)).to(self.device)
        self.optimizer = make_optimizer(cfg, self.model, self.device)
        self.average = make_average(cfg, self.model)
        # swa averages the final decay (wsd's); ema follows every step
        self.average_from = round(self.total_steps * (1 - cfg.decay_frac)) if cfg.average == "swa" else 0
        self.forward = self.model
        if cfg.compile:
            self.forward = torch.compile(self.model)
        if world.size > 1:
            self.forward = torch.nn.parallel.DistributedDataParallel(
                self.forward, device_ids=[self.device.index] if self.device.type == "cuda" else None
            )
        # dropout masks differ per process; the initialization above is the same everywhere
        torch.manual_seed(cfg.seed + world.rank)

        self.step = 0
        self.checkpoint_step = 0  # the step the run's checkpoint holds (0: none)
        self.records: list[dict] = []
        self.pending_loss = torch.zeros((), device=self.device)
        self.pending_grad_norm = torch.zeros((), device=self.device)
        self.pending_clipped = torch.zeros((), device=self.device)
        self.pending_steps = 0
        self.diagnostic_batch = diagnostics.fixed_batch(self.ids["valid"], T) if cfg.diagnostics else None
        self.last_update: dict | None = None  # the update ratios of the step before an evaluation
        self.events = None  # TensorBoard's event files, from fit() on where tensorboard is installed

    # -------------------------------------------------------- data

    def order(self, epoch: int) -> torch.Tensor:
        """This epoch's training stream (shuffle=titles) or order of context windows (shuffle=windows),
        drawn from the run's seed and the epoch alone, so that a resumed run reads what it would have."""
        if self.epoch_order is None or self.epoch_order[0] != epoch:
            rng = np.random.default_rng((self.cfg.seed, epoch))
            if self.cfg.shuffle == "titles":
                order = torch.from_numpy(
                    reorder_texts(self.train_ids_np, self.tok.eos_id, rng).astype(np.int64)
                )
            else:
                order = torch.from_numpy(rng.permutation(self.steps_per_epoch * self.cfg.batch_size))
            self.epoch_order = (epoch, order.to(self.device))
        return self.epoch_order[1]

    def batch(self, step: int, micro: int) -> tuple[torch.Tensor, torch.Tensor]:
        """This process's `micro`-th slice of the rows of global batch `step`."""
        B, T = self.cfg.batch_size, self.cfg.block_size
        epoch, index = divmod(step, self.steps_per_epoch)
        if self.cfg.shuffle == "windows":  # B windows of T+1 tokens, from anywhere in the stream
            starts = self.order(epoch)[index * B : (index + 1) * B] * T
            rows = self.ids["train"][starts[:, None] + torch.arange(T + 1, device=self.device)]
            x, y = rows[:, :-1].contiguous(), rows[:, 1:].contiguous()
        else:
            stream = self.ids["train"] if self.cfg.shuffle == "none" else self.order(epoch)
            chunk = stream[index * B * T : (index + 1) * B * T + 1]
            x, y = chunk[:-1].view(B, T), chunk[1:].view(B, T)
        first = (self.world.rank * self.cfg.grad_accum + micro) * self.micro_rows
        return x[first : first + self.micro_rows], y[first : first + self.micro_rows]

    def evaluated_model(self) -> torch.nn.Module:
        """The averaged weights once there are any (average=ema or swa), else the trained ones."""
        if self.average is not None and int(self.average.n_averaged) > 0:
            return self.average.module
        return self.model

    # -------------------------------------------------------- checkpoints

    def write_checkpoint_file(self) -> None:
        state = {
            "step": self.step,
            "model": self.model.state_dict(),
            "optimizer": self.optimizer.state_dict(),
            "rng": {
                "torch": torch.get_rng_state(),
                "cuda": torch.cuda.get_rng_state_all() if torch.cuda.is_available() else [],
            },
            "pending_loss": self.pending_loss.detach().cpu(),
            "pending_grad_norm": self.pending_grad_norm.detach().cpu(),
            "pending_clipped": self.pending_clipped.detach().cpu(),
            "pending_steps": self.pending_steps,
            "run_id": self.run.id,
        }
        if self.average is not None:
            state["average"] = self.average.state_dict()
        tmp = self.run.checkpoint.with_name(f"checkpoint.pt.tmp{os.getpid()}")
        torch.save(state, tmp)
        os.replace(tmp, self.run.checkpoint)

    def save_checkpoint(self) -> None:
        """The checkpoint, then meta. The metrics are always written ahead of it (at every log),
        and a resume keeps the records up to the checkpoint's step."""
        self.check_finite(weights=True)  # on every process: they hold the same weights and must stop together
        self.checkpoint_step = self.step
        if not self.world.main:
            return
        self.write_checkpoint_file()
        self.update_meta(step=self.step, checkpoint_step=self.step)

    def load_checkpoint(self) -> bool:
        path = self.run.checkpoint
        if not path.exists():
            return False
        try:
            state = torch.load(path, map_location=self.device, weights_only=True)
            if state.get("run_id") != self.run.id:
                raise ValueError(f"it belongs to run {state.get('run_id')}")
            self.model.load_state_dict(state["model"])
            self.optimizer.load_state_dict(state["optimizer"])
            if self.average is not None:
                self.average.load_state_dict(state["average"])
        except Exception as e:
            raise LmlabError(
                f"checkpoint {path} cannot be loaded ({type(e).__name__}: {str(e).splitlines()[0][:200]}); "
                f"the run directory is kept. Delete the checkpoint to train this run from the start: rm {path}"
            ) from None
        self.step = self.checkpoint_step = int(state["step"])
        torch.set_rng_state(state["rng"]["torch"].cpu())
        if state["rng"]["cuda"] and torch.cuda.is_available():
            torch.cuda.set_rng_state_all(state["rng"]["cuda"])
        if self.world.size > 1:  # processes draw different dropout masks: move them apart again
            torch.manual_seed(self.cfg.seed + self.world.rank + 1_000_003 * self.step)
        self.pending_loss = state["pending_loss"].to(self.device)
        if "pending_grad_norm" in state:  # checkpoints written before the gradient norm was recorded lack it
            self.pending_grad_norm = state["pending_grad_norm"].to(self.device)
            self.pending_clipped = state["pending_clipped"].to(self.device)
        self.pending_steps = int(state["pending_steps"])
        self.records = [r for r in self.run.metrics if r["step"] <= self.step]
        return True

    # -------------------------------------------------------- bookkeeping

    def update_meta(self, **fields) -> None:
        if self.world.main:
            self.run.update_meta(**fields)

    def evaluate_all(self, final: bool = False) -> dict:
        """Validation metrics; at the end also the test split and (on the challenge's data) the legacy metric."""
        out = {}
        last = self.records[-1] if self.records else {}
        if final and last.get("step") == self.total_steps and "val_loss" in last:
            # these weights were just evaluated at the last step; on a corpus a valid pass takes minutes
            out = {k: v for k, v in last.items() if k.startswith("val_")}
        splits = [
            s
            for s in (("valid", "test") if final else ("valid",))
            if s in self.ids and not (s == "valid" and out)
        ]
        legacy = final and not self.splits.given_split  # a corpus with its own split has no legacy figure
        model = self.evaluated_model()
        model.eval()
        try:
            for split in splits:
                out.update(self.score(model, split))
            for split in [s for s in ("valid", "test") if s in self.ids] if legacy else []:
                out[f"{'val' if split == 'valid' else 'test'}_loss_legacy"] = evaluate_legacy(
                    model,
                    self.ids[split],
                    self.cfg.block_size,
                    self.cfg.batch_size,
                    self.splits.chars(split),
                    self.device,
                    self.cfg.precision,
                )
        finally:
            model.train()
        return out

    def score(self, model: torch.nn.Module, split: str) -> dict:
        """A split's metrics for these weights (val_* for the validation split, test_* for the test split)."""
        nll, n = evaluate(
            model,
            self.ids[split],
            self.cfg.block_size,
            self.cfg.eval_batch_size,
            self.device,
            self.cfg.precision,
        )
        return split_metrics("val" if split == "valid" else "test", nll, n, self.splits.chars(split))

    def trained_weights_loss(self) -> float:
        """The validation loss of the trained weights (not their average), nats per character."""
        self.model.eval()
        try:
            return self.score(self.model, "valid")["val_loss"]
        finally:
            self.model.train()

    def diagnose(self) -> dict:
        """What happens inside the model now (lmlab.diagnostics), or nothing with diagnostics=false."""
        if self.diagnostic_batch is None:
            return {}
        found = {**diagnostics.weights(self.model), **diagnostics.inside(self.model, self.diagnostic_batch)}
        if self.last_update is not None:
            found["update_ratio"] = self.last_update
        return found

    def check_finite(self, weights: bool = False) -> None:
        """Raise Diverged on a non-finite loss, or (before a checkpoint) non-finite weights."""
        value = float(self.pending_loss)
        if not math.isfinite(value):
            raise Diverged(f"the training loss became {value} by step {self.step}")
        if weights and not all(bool(torch.isfinite(p).all()) for p in self.model.parameters()):
            raise Diverged(f"the weights became non-finite by step {self.step}")

    # -------------------------------------------------------- the loop

    def fit(self) -> None:
        """Train to total_steps, from the run's checkpoint if it has one: a record every log_every
        steps, an evaluation every eval_every, a checkpoint at each evaluation (or every
        checkpoint_every steps) but the last, whose weights finish() saves. Stopped (Ctrl-C,
        SIGTERM), it checkpoints the step it stopped at and raises KeyboardInterrupt."""
        self.begin()
        bar = self.progress_bar()
        self.start_wall = time.perf_counter() - self.run.meta.get("train_seconds", 0.0)
        with stop_after_the_step() as stop:
            self.loop(bar, stop)
        if bar is not None:
            bar.close()
        self.train_seconds = time.perf_counter() - self.start_wall

    def loop(self, bar, stop: StopRequest) -> None:
        cfg, world = self.cfg, self.world
        t_log, tokens_since = time.perf_counter(), 0
        while self.step < self.total_steps:
            # evaluated after this step? then the evaluation records the update this step makes
            evaluates = self.evaluates_after(self.step + 1)
            self.train_step(track_update=evaluates and self.diagnostic_batch is not None and world.main)
            self.step += 1
            tokens_since += cfg.batch_size * cfg.block_size
            if bar is not None:
                bar.update(1)
            if self.step % cfg.log_every == 0 or evaluates:
                self.check_finite()
                now = time.perf_counter()
                record = {
                    "step": self.step,
                    "epoch": self.step / self.steps_per_epoch,
                    **self.take_pending(),
                    "lr": self.optimizer.param_groups[0]["lr"],
                    "tok_per_s": tokens_since / (now - t_log),
                    "elapsed": now - self.start_wall,
                }
                if evaluates and world.main:
                    record.update(self.evaluate_all())
                    record.update(self.diagnose())
                    if bar is not None:
                        bar.set_postfix(train=f"{record['train_loss']:.3f}", val=f"{record['val_loss']:.4f}")
                self.log(record)
                t_log, tokens_since = time.perf_counter(), 0
            checkpoints = evaluates if cfg.checkpoint_every == 0 else self.step % cfg.checkpoint_every == 0
            if checkpoints and self.step < self.total_steps:
                self.checkpoint_here()
            if self.stops(stop, agreed_now=self.step % cfg.log_every == 0 or evaluates):
                if self.checkpoint_step != self.step:
                    self.checkpoint_here()
                raise KeyboardInterrupt

    def checkpoint_here(self) -> None:
        self.update_meta(train_seconds=time.perf_counter() - self.start_wall)
        self.save_checkpoint()

    def stops(self, stop: StopRequest, agreed_now: bool) -> bool:
        """Whether to stop after this step. Under torchrun every process must stop at the same step:
        they agree at each record, where the loss is read anyway (a read waits for the device)."""
        if self.world.size == 1:
            return stop.requested
        if not agreed_now:
            return False
        requested = torch.tensor(float(stop.requested), device=self.pending_loss.device)
        dist.all_reduce(requested, op=dist.ReduceOp.MAX)
        return bool(requested)

    def begin(self) -> None:
        """Resume from the run's checkpoint if it has one (its records kept up to it), else start at
        step 0 with an evaluation; meta.json says where and how far, TensorBoard's files start from
        the records so far."""
        resumed = self.load_checkpoint()
        if self.world.main and events.available():  # the records so far (a resumed run's), then live
            self.events = events.EventWriter(self.run, to_dict(self.cfg), self.records)
        self.update_meta(
            step=self.step, total_steps=self.total_steps, resumed_at=self.step if resumed else None
        )
        if self.world.main:
            where = f"resuming at step {self.step}" if resumed else "training"
            print(
                f"run {self.run.id}: {where}, {self.total_steps} steps ({self.cfg.epochs} epochs x "
                f"{self.steps_per_epoch}), {self.model.num_params():,} parameters on {self.device}",
                file=sys.stderr,
            )
        if self.step == 0 and self.world.main:
            self.log({"step": 0, "epoch": 0.0, **self.evaluate_all(), **self.diagnose()})

    def evaluates_after(self, step: int) -> bool:
        return step == 1 or step % self.eval_every == 0 or step == self.total_steps

    def progress_bar(self):
        """A tqdm bar on stderr (rank 0, with progress on), or None."""
        if not (self.progress and self.world.main):
            return None
        from tqdm.auto import tqdm

        return tqdm(
            total=self.total_steps,
            initial=self.step,
            desc=self.run.id,
            unit="step",
            file=sys.stderr,
            dynamic_ncols=True,
        )

    def take_pending(self) -> dict:
        """The mean loss, gradient norm and clipping rate of the steps since the last record; reset."""
        n = self.pending_steps
        taken = {
            "train_loss": float(self.pending_loss) / n,
            "grad_norm": float(self.pending_grad_norm) / n,
            "clip_rate": float(self.pending_clipped) / n,
        }
        self.pending_loss.zero_()
        self.pending_grad_norm.zero_()
        self.pending_clipped.zero_()
        self.pending_steps = 0
        return taken

    def train_step(self, track_update: bool = False) -> None:
        cfg = self.cfg
        before = diagnostics.snapshot(self.model) if track_update else None
        set_lr(self.optimizer, cfg, lr_factor(cfg, self.step, self.total_steps))
        step_loss = torch.zeros((), device=self.device)
        for micro in range(cfg.grad_accum):
            x, y = self.batch(self.step, micro)
            sync = micro == cfg.grad_accum - 1 or self.world.size == 1
            with nullcontext() if sync else self.forward.no_sync(), autocast(self.device, self.cfg.precision):
                if cfg.rdrop:  # the batch twice in one pass: each copy draws its own dropout masks
                    logits, loss = self.forward(torch.cat((x, x)), torch.cat((y, y)))
                    objective = loss + cfg.rdrop * symmetric_kl(*logits.chunk(2))
                else:
                    _, loss = self.forward(x, y)
                    objective = loss
            (objective / cfg.grad_accum).backward()
            step_loss += loss.detach() / cfg.grad_accum  # the cross-entropy, comparable across runs
        # the norm before clipping; without clipping, an infinite threshold leaves every gradient as it is
        norm = torch.nn.utils.clip_grad_norm_(self.model.parameters(), cfg.grad_clip or math.inf)
        self.optimizer.step()
        if self.average is not None and self.step >= self.average_from:
            self.average.update_parameters(self.model)
        if before is not None:
            self.last_update = diagnostics.weights(self.model, before)["update_ratio"]
        self.optimizer.zero_grad(set_to_none=True)
        if self.world.size > 1:  # the logged loss is the global batch's, as in a single process
            dist.all_reduce(step_loss, op=dist.ReduceOp.AVG)
        self.pending_loss += step_loss
        self.pending_grad_norm += norm.to(self.pending_grad_norm.dtype)
        if cfg.grad_clip > 0:
            self.pending_clipped += (norm > cfg.grad_clip).to(self.pending_clipped.dtype)
        self.pending_steps += 1

    def log(self, record: dict) -> None:
        if not self.world.main:
            return
        self.records.append(record)
        self.run.write_metrics(self.records)
        if self.events is not None:
            self.events.add(record)
            self.events.flush()

    def close_events(self) -> None:
        if self.events is not None:
            self.events.close()
            self.events = None

    def finish(self) -> dict:
        """Final evaluation (full coverage, legacy, test split) and probes; returns the final metrics."""
        final = self.evaluate_all(final=True)
        if self.average is not None:  # what averaging adds within the run: the trained weights' own score
            final["val_loss_trained"] = self.trained_weights_loss()
        final["train_loss"] = next(
            (r["train_loss"] for r in reversed(self.records) if "train_loss" in r), None
        )
        tok_rates = [r["tok_per_s"] for r in self.records if "tok_per_s" in r][
            1:
        ]  # the first includes warm-up
        final["tok_per_s"] = float(np.median(tok_rates)) if tok_rates else None
        final["train_seconds"] = self.train_seconds
        probes = compute_probes(
            self.cfg, self.evaluated_model(), self.tok, self.train_ids_np, self.splits.valid, self.device
        )
        self.run.write_probes(probes)
        self.write_checkpoint_file()  # the trained weights, for sampling or fine-tuning later
        return final


# ---------------------------------------------------------------- entry points


def new_meta(cfg: Config, rid: str, trainer: Trainer) -> dict:
    splits = trainer.splits
    return {
        "run_id": rid,
        "status": "running",
        "step": 0,
        "total_steps": trainer.total_steps,
        "created": runstore.now(),
        "started": runstore.now(),
        "ended": None,
        "profile": cfg.profile,
        "git": runstore.git_state(),
        "code_hash": runstore.code_hash(),
        "versions": runstore.versions(),
        "device": str(trainer.device),
        "device_name": describe(trainer.device),
        "world_size": trainer.world.size,
        "num_params": trainer.model.num_params(),
        "data": {
            "source": splits.source,
            "fingerprint": splits.fingerprint,
            "texts": {
                k: len(getattr(splits, k))
                for k in ("train", "valid", "test")
                if getattr(splits, k) is not None
            },
            "tokens": {k: int(len(v)) for k, v in trainer.ids.items()},
            "chars": {
                k: splits.chars(k) for k in ("train", "valid", "test") if getattr(splits, k) is not None
            },
            "skipped_lines": splits.skipped_lines,
            "tokenizer": {
                "kind": cfg.tokenizer,
                "vocab_size": trainer.tok.vocab_size,
                "fit": cfg.tokenizer_fit,
            },
            "prep_seconds": trainer.prep_seconds,
            "token_cache_hit": trainer.cache_hit,
        },
    }


def train(
    cfg: Config,
    runs_dir: str | Path | None = None,
    progress: bool = True,
    quiet: bool = False,
    data_fingerprint: str | None = None,
) -> runstore.Run:
    """Train cfg, or return the finished run from the store at once if it exists. `data_fingerprint`
    is the data's (lmlab.data.fingerprint) when the caller has it already: it is computed once per run."""
    validate(cfg)
    world = init_world(cfg.device)
    # before the data is read, a tensor allocated or the run's folder made
    memory.check(cfg, pick_device(cfg.device), processes=world.size)
    data_fingerprint = data_fingerprint or fingerprint(cfg)
    store = runstore.RunStore(runs_dir)
    run = store.run_to_train(run_id(cfg, data_fingerprint))
    if run.status == "done":
        if world.main and not quiet:
            print(
                f"run {run.id}: cached (val_loss {run.final.get('val_loss', float('nan')):.4f} nats/char), not training",
                file=sys.stderr,
            )
        return run
    # refused before the run's folder (and its lock) is made
    device = training_device(cfg.precision, cfg.device)
    with store.recording(run, writer=world.main) as recording:  # the run's lock, and its status
        if run.status == "done":  # finished by another process while we waited
            return run
        trainer = Trainer(
            cfg, run, world, progress=progress, data_fingerprint=data_fingerprint, device=device
        )
        recording.start(
            to_dict(cfg),
            new_meta=lambda: new_meta(cfg, run.id, trainer),
            files={trainer.tok.filename: trainer.tok.serialize()},
            step=lambda: trainer.step,
        )
        world.barrier()
        try:
            trainer.fit()
            final = trainer.finish() if world.main else None
        finally:
            trainer.close_events()
        recording.done(final, trainer.train_seconds)
        world.barrier()
    if world.main and not quiet:
        extra = [f"legacy {final['val_loss_legacy']:.4f}"] if "val_loss_legacy" in final else []
        extra += (
            [f"test_loss {final['test_loss']:.4f}, test ppl {final['test_ppl']:.1f}"]
            if "test_loss" in final
            else []
        )
        print(
            f"run {run.id}: done, val_loss {final['val_loss']:.4f} nats/char ({', '.join(extra) or 'no test split'}) "
            f"in {trainer.train_seconds:.0f}s",
            file=sys.stderr,
        )
    return run
