"""The run store: one directory per run id, written atomically, locked while training.

    runs/<run_id>/config.json    resolved settings
    runs/<run_id>/meta.json      status, provenance (git, code hash, versions, device, data), final metrics
    runs/<run_id>/metrics.jsonl  one record per log or evaluation step
    runs/<run_id>/probes.json    what figures need without the checkpoint
    runs/<run_id>/tokenizer.*    the tokenizer the run used
    runs/<run_id>/checkpoint.pt  model, optimizer, RNG and data position (not committed)

The light files are what the report reads; committing them lets a fresh clone re-execute every
notebook without training.

A run is trained inside `RunStore.recording`, which holds its lock and keeps meta.json's status:
running from `Recording.start`, then done, or interrupted, or failed with the error (a divergence
as "diverged: ...") when the training stops on an exception.
"""

from __future__ import annotations

import contextlib
import copy
import datetime as dt
import fcntl
import hashlib
import json
import os
import platform
import socket
import subprocess
import tempfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

from lmlab.errors import Diverged, LmlabError, RunDamaged, RunDiverged, RunLocked
from lmlab.project import runs_root

PACKAGE_DIR = Path(__file__).resolve().parent
TRAINING_MODULES = ("config.py", "data.py", "tokenize.py", "model.py", "optim.py", "train.py", "probes.py")
LOCK_NAME = "run.lock"
CONFIG, META, METRICS, PROBES = "config.json", "meta.json", "metrics.jsonl", "probes.json"
CHECKPOINT = "checkpoint.pt"
EVENTS = "tensorboard"  # TensorBoard's event files (lmlab.events), written from the records
CHECKSUMMED = (CONFIG, METRICS, PROBES)  # the light files a finished run commits


def now() -> str:
    return dt.datetime.now(dt.UTC).isoformat(timespec="seconds")


def write_atomic(path: Path, content: str | bytes) -> None:
    """Write to a temporary name in the same directory, then rename: readers never see half a file."""
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        os.fchmod(fd, 0o644)
        with os.fdopen(fd, "wb") as fh:
            fh.write(content.encode("utf-8") if isinstance(content, str) else content)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def write_json(path: Path, obj) -> None:
    write_atomic(path, json.dumps(obj, indent=1, sort_keys=False) + "\n")


def write_jsonl(path: Path, records: list[dict]) -> None:
    write_atomic(path, "".join(json.dumps(r) + "\n" for r in records))


def code_hash() -> str:
    """Hash of the code that decides what a run computes (not of plotting or CLI code)."""
    h = hashlib.sha256()
    for name in TRAINING_MODULES:
        h.update(name.encode())
        h.update((PACKAGE_DIR / name).read_bytes())
    return h.hexdigest()[:12]


def git_state() -> dict:
    def git(*args: str) -> str | None:
        try:
            out = subprocess.run(
                ["git", "-C", str(PACKAGE_DIR), *args], capture_output=True, text=True, timeout=10
            )
        except (OSError, subprocess.TimeoutExpired):
            return None
        return out.stdout.strip() if out.returncode == 0 else None

    commit = git("rev-parse", "HEAD")
    if commit is None:
        return {"commit": None, "dirty": None}
    return {"commit": commit, "dirty": bool(git("status", "--porcelain", "--untracked-files=no"))}


LOCK_FILE = PACKAGE_DIR.parents[1] / "requirements.lock"


def lock_hash() -> str | None:
    """Short hash of the project's requirements.lock (None where lmlab is installed without it)."""
    return hashlib.sha256(LOCK_FILE.read_bytes()).hexdigest()[:12] if LOCK_FILE.exists() else None


def package_version() -> str:
    """lmlab's version as installed (pyproject.toml's), or "unknown" when run from an uninstalled tree."""
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("lmlab")
    except PackageNotFoundError:
        return "unknown"


def versions() -> dict:
    import numpy
    import torch

    out = {
        "python": platform.python_version(),
        "lmlab": package_version(),
        "torch": torch.__version__,
        "numpy": numpy.__version__,
        "lock": lock_hash(),
    }
    for name in ("sentencepiece", "datasets"):
        with contextlib.suppress(ImportError):
            out[name] = __import__(name).__version__
    return out


def read_jsonl(path: Path) -> list[dict]:
    """One JSON object per line; a line that is not one raises RunDamaged naming the line."""
    if not path.exists():
        return []
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError as e:
        raise RunDamaged(f"{path} is not UTF-8 text ({e})") from None
    records = []
    for number, line in enumerate(text.splitlines(), 1):
        if not line.strip():
            continue
        try:
            record = json.loads(line)
        except json.JSONDecodeError as e:
            raise RunDamaged(f"{path} line {number} is not valid JSON ({e})") from None
        if not isinstance(record, dict) or not isinstance(record.get("step"), int):
            raise RunDamaged(
                f"{path} line {number} is not a metrics record (an object with an integer 'step')"
            )
        records.append(record)
    return records


def _read_object(path: Path) -> dict:
    """A JSON object file; {} when absent, RunDamaged when it does not parse as an object."""
    try:
        value = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return {}
    except (json.JSONDecodeError, UnicodeDecodeError) as e:
        raise RunDamaged(f"{path} is not valid JSON ({e})") from None
    if not isinstance(value, dict):
        raise RunDamaged(f"{path} holds a {type(value).__name__}, not an object")
    return value


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def checksums(run_dir: Path) -> dict:
    """What `verify` compares against later: the sha256 of each light file as the run finished."""
    return {
        "recorded": now(),
        "sha256": {name: sha256(run_dir / name) for name in CHECKSUMMED if (run_dir / name).exists()},
    }


@dataclass
class Run:
    """A run directory, read lazily; a file is parsed again only when it changed on disk."""

    dir: Path
    _parsed: dict = field(default_factory=dict, repr=False, compare=False)

    def _parsed_file(self, name: str, parse):
        """The file parsed, as the cache holds it: not to be changed (`_read` gives a copy)."""
        path = self.dir / name
        try:
            st = path.stat()
        except FileNotFoundError:
            return parse(path)
        stamp = (st.st_mtime_ns, st.st_size, st.st_ino)
        cached = self._parsed.get(name)
        if cached is None or cached[0] != stamp:
            try:
                cached = (stamp, parse(path), None)
            except RunDamaged as e:
                cached = (stamp, None, e)
            self._parsed[name] = cached
        if cached[2] is not None:
            raise cached[2]
        return cached[1]

    def _read(self, name: str, parse):
        return copy.deepcopy(self._parsed_file(name, parse))  # the caller may change its copy

    @property
    def id(self) -> str:
        return self.dir.name

    def _json(self, name: str) -> dict:
        return self._read(name, _read_object)

    @property
    def config(self) -> dict:
        return self._json(CONFIG)

    @property
    def meta(self) -> dict:
        return self._json(META)

    @property
    def probes(self) -> dict:
        return self._json(PROBES)

    @property
    def metrics(self) -> list[dict]:
        return self._read(METRICS, read_jsonl)

    # writing: every file atomically, so a reader never sees half of one

    def write_config(self, config: dict) -> None:
        self.dir.mkdir(parents=True, exist_ok=True)
        write_json(self.dir / CONFIG, config)

    def write_meta(self, meta: dict) -> None:
        write_json(self.dir / META, meta)

    def update_meta(self, **fields) -> None:
        self.write_meta({**self.meta, **fields})

    def write_metrics(self, records: list[dict]) -> None:
        write_jsonl(self.dir / METRICS, records)

    def write_probes(self, probes: dict) -> None:
        write_json(self.dir / PROBES, probes)

    def write_file(self, name: str, content: str | bytes) -> None:
        """A file the run keeps beside its records (its tokenizer, named by its own format)."""
        write_atomic(self.dir / name, content)

    @property
    def status(self) -> str:
        """As meta.json says; "damaged" when a file the run's state depends on cannot be read."""
        return "damaged" if self.damage() else self.meta.get("status", "unknown")

    def damage(self) -> str | None:
        """Why the run cannot be read, or None: meta, config and metrics must parse."""
        try:
            for name, parse in ((META, _read_object), (CONFIG, _read_object), (METRICS, read_jsonl)):
                self._parsed_file(name, parse)  # parsed once, and not copied: only whether it parses
        except RunDamaged as e:
            return str(e)
        return None

    @property
    def final(self) -> dict:
        return self.meta.get("final", {})

    @property
    def note(self) -> str:
        return self.config.get("note", "")

    @property
    def checkpoint(self) -> Path:
        return self.dir / CHECKPOINT

    @property
    def events_dir(self) -> Path:
        return self.dir / EVENTS

    def last_diagnostics(self) -> dict:
        """The last recorded gradient norm and clipping rate, and the last evaluation's diagnostics
        (lmlab.diagnostics); empty for a run recorded before them."""
        records = self.metrics
        out = {}
        for key in ("grad_norm", "clip_rate"):
            out[key] = next((r[key] for r in reversed(records) if key in r), None)
        last_eval = next((r for r in reversed(records) if "weight_rms" in r), {})
        diagnostic = ("weight_rms", "update_ratio", "attn_entropy", "attn_own_title", "mlp_dead")
        out.update({key: last_eval[key] for key in diagnostic if key in last_eval})
        return {k: v for k, v in out.items() if v is not None}

    def evals(self) -> list[dict]:
        return [r for r in self.metrics if "val_loss" in r]

    def progress(self) -> tuple[int, int, float | None]:
        """The step its records reached (meta.json's moves only at checkpoints), its total steps, and
        its seconds a step so far, evaluations included (None before a timed record)."""
        records, meta = self.metrics, self.meta
        timed = [r for r in records if r.get("elapsed") and r["step"] > 0]
        step = max(meta.get("step", 0), records[-1]["step"] if records else 0)
        return step, meta.get("total_steps", 0), (timed[-1]["elapsed"] / timed[-1]["step"] if timed else None)

    def train_records(self) -> list[dict]:
        return [r for r in self.metrics if "train_loss" in r]

    def __repr__(self) -> str:
        return f"Run({self.id}, {self.status}, val_loss={self.final.get('val_loss')})"


class RunStore:
    def __init__(self, root: str | Path | None = None):
        self.root = Path(root) if root is not None else runs_root()

    def run(self, run_id: str) -> Run:
        return Run(self.root / run_id)

    def all(self) -> list[Run]:
        """Every run directory, damaged ones included (they sort first, by id)."""
        if not self.root.is_dir():
            return []
        runs = [Run(p) for p in self.root.iterdir() if (p / "meta.json").exists()]

        def created(run: Run) -> tuple[str, str]:
            return ("", run.id) if run.damage() else (run.meta.get("created", ""), run.id)

        return sorted(runs, key=created)

    def find(self, prefix: str) -> Run:
        """A run by id or unique id prefix."""
        matches = [r for r in self.all() if r.id.startswith(prefix)]
        if len(matches) == 1:
            return matches[0]
        if not matches:
            raise LmlabError(f"no run '{prefix}' in {self.root} (see: lmlab runs list)")
        raise LmlabError(
            f"'{prefix}' matches {len(matches)} runs: {', '.join(r.id for r in matches)}; give more characters"
        )

    def lock(self, run_id: str) -> RunLock:
        return RunLock(self.root / run_id / LOCK_NAME)

    def run_to_train(self, run_id: str) -> Run:
        """The run of this id, new, unfinished or done; a damaged one is refused, never trained over."""
        run = self.run(run_id)
        damage = run.damage()
        if damage:
            raise LmlabError(
                f"run {run_id} is damaged: {damage}. Nothing was changed; to train it again, move it aside "
                f"first: mv {run.dir} {run.dir}.damaged"
            )
        return run

    @contextlib.contextmanager
    def recording(self, run: Run, writer: bool = True) -> Iterator[Recording]:
        """Train `run` inside: the writer (the one process that writes the run; rank 0 under torchrun)
        holds its lock (making its folder), released however the block ends. An exception raised
        between `Recording.start` and `Recording.done` marks the run as the exception says
        (`Recording.stopped`) before it is raised on."""
        recording = Recording(run, writer)
        with RunLock(run.dir / LOCK_NAME) if writer else contextlib.nullcontext():
            try:
                yield recording
            except BaseException as e:
                if recording.current_step is not None:  # started, not done
                    recording.stopped(e)
                raise

    def add_records(self, run_id: str, files: dict[str, bytes]) -> Run:
        """A run trained in another store (on another machine): its light records, as `records` gave
        them, written into this store. Checked before anything is written: meta.json names this run
        and every file matches the sha256 it recorded. Each file is written atomically, meta.json
        last, so an interruption leaves a run that is simply not finished. A run that is finished
        here already, or that a live process here is training, is left as it is."""
        run = self.run(run_id)
        if finished(run) or self.lock(run_id).held():
            return run
        try:
            meta = json.loads(files["meta.json"])
        except (KeyError, ValueError) as e:
            raise LmlabError(
                f"the records of run {run_id} have no readable meta.json ({e}); nothing was written"
            ) from None
        if meta.get("run_id") != run_id:
            raise LmlabError(
                f"records for run {run_id} hold the meta.json of run {meta.get('run_id')}; nothing was written"
            )
        recorded = (meta.get("checksums") or {}).get("sha256") or {}
        for name, digest in recorded.items():
            if name not in files or hashlib.sha256(files[name]).hexdigest() != digest:
                raise LmlabError(
                    f"the records of run {run_id}: {name} does not match the sha256 its run recorded (damaged "
                    "on the way?); nothing was written"
                )
        run.dir.mkdir(parents=True, exist_ok=True)
        for name in CHECKSUMMED:
            if name in files:
                write_atomic(run.dir / name, files[name])
        (run.dir / CHECKPOINT).unlink(missing_ok=True)  # an earlier try's progress, not this run's
        write_atomic(run.dir / "meta.json", files["meta.json"])
        return self.run(run_id)


def _pid_alive(pid: int) -> bool:
    """Whether the process runs; a zombie (killed, never reaped: in a container whose first process
    reaps nothing, it stays) is dead."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    with contextlib.suppress(OSError, IndexError):
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
        return state != "Z"
    return True


class RunLock:
    """One process trains a run id at a time. A lock left by a dead process is taken over."""

    def __init__(self, path: Path):
        self.path = path
        self.stale_taken_over: dict | None = None

    def holder(self) -> dict | None:
        try:
            return json.loads(self.path.read_text())
        except (FileNotFoundError, json.JSONDecodeError):
            return None

    def held(self) -> bool:
        """Whether a live process holds the lock (a lock left by a dead one is not held)."""
        info = self.holder()
        return info is not None and not self.is_stale(info)

    def is_stale(self, info: dict | None) -> bool:
        if info is None:  # unreadable (lock files are written whole): damaged, held by no one
            return True
        return info.get("host") == socket.gethostname() and not _pid_alive(int(info.get("pid", -1)))

    def acquire(self) -> None:
        """Take the lock, or raise RunLocked. Processes on one machine decide one at a time (an
        flock on the run's directory, which the kernel drops when a process dies): without it two
        could each find a dead process's lock, each remove it, and both train. The lock file is
        written whole under its name, so no reader sees it empty."""
        self.path.parent.mkdir(parents=True, exist_ok=True)
        payload = json.dumps({"pid": os.getpid(), "host": socket.gethostname(), "since": now()})
        directory = os.open(self.path.parent, os.O_RDONLY)
        try:
            fcntl.flock(directory, fcntl.LOCK_EX)
            if self.path.exists():
                info = self.holder()
                if not self.is_stale(info):
                    raise RunLocked(
                        f"run {self.path.parent.name} is being trained by process {info['pid']} on "
                        f"{info['host']} since {info['since']}; wait for it to finish (the result will be "
                        "cached) or stop that process"
                    )
                self.stale_taken_over = info or {}
            write_atomic(self.path, payload)
        finally:
            os.close(directory)  # closing drops the flock

    def release(self) -> None:
        info = self.holder()
        if info and info.get("pid") == os.getpid():
            self.path.unlink(missing_ok=True)

    def __enter__(self) -> RunLock:
        self.acquire()
        return self

    def __exit__(self, *exc) -> None:
        self.release()


class Recording:
    """A run as its training records it in meta.json: `start`, then `done`, or `stopped` (called by
    `RunStore.recording` when the training raises). A process that is not the run's writer keeps
    the same calls and writes nothing."""

    def __init__(self, run: Run, writer: bool = True):
        self.run, self.writer = run, writer
        self.current_step: Callable[[], int] | None = None  # where the training is, from start to done

    def start(
        self,
        config: dict,
        new_meta: Callable[[], dict],
        files: dict[str, str | bytes],
        step: Callable[[], int],
    ) -> None:
        """The settings, meta.json as running, and the files the run keeps beside its records (its
        tokenizer). A new run's meta is new_meta()'s; an interrupted or failed one keeps its own
        (created, checkpoint_step, train_seconds...), started again. `step()` says where the training
        is when it stops."""
        if self.writer:
            self.run.write_config(config)
            meta = self.run.meta or new_meta()
            meta.update(status="running", started=now(), ended=None, error=None)
            self.run.write_meta(meta)
            for name, content in files.items():
                self.run.write_file(name, content)
        self.current_step = step

    def done(self, final: dict | None, train_seconds: float) -> None:
        """Finished: the final metrics, and the checksums of the light files as they are now."""
        step, self.current_step = self.current_step(), None  # what follows is not the training's to record
        if self.writer:
            self.run.update_meta(
                status="done",
                step=step,
                ended=now(),
                final=final,
                train_seconds=train_seconds,
                checksums=checksums(self.run.dir),
            )

    def stopped(self, error: BaseException) -> None:
        """The training raised `error`: Ctrl-C (or SIGTERM, raised as one) leaves the run interrupted, a
        divergence failed and raises RunDiverged in its place, any other error failed, with the error."""
        step, self.current_step = self.current_step(), None
        if isinstance(error, Diverged):
            self._update(status="failed", step=step, ended=now(), error=f"diverged: {error}")
            raise RunDiverged(
                f"run {self.run.id} diverged: {error}. It is marked failed; its last good checkpoint is kept "
                f"(step {self.run.meta.get('checkpoint_step', 0)}). Lower lr or enable grad_clip."
            ) from None
        if isinstance(error, KeyboardInterrupt):
            self._update(status="interrupted", step=step, ended=now())
        else:
            self._update(status="failed", step=step, ended=now(), error=f"{type(error).__name__}: {error}")

    def _update(self, **fields) -> None:
        if self.writer:
            self.run.update_meta(**fields)


def verify(run: Run) -> list[str]:
    """Every problem of one run directory, one line each (empty when it is sound): files that do
    not parse, metrics out of order, a status the files contradict, light files changed since the
    run finished (against the sha256 recorded then)."""
    damage = run.damage()
    if damage:
        return [damage]
    meta, records, problems = run.meta, run.metrics, []
    if not run.config:
        problems.append("config.json is missing")
    steps = [r["step"] for r in records]
    if steps != sorted(steps):
        problems.append("metrics.jsonl: the steps are out of order")
    status = meta.get("status")
    if status == "done":
        if "val_loss" not in (meta.get("final") or {}):
            problems.append("status is done but meta.json has no final val_loss")
        if not steps or steps[-1] != meta.get("total_steps"):
            problems.append(
                f"status is done but metrics.jsonl ends at step {steps[-1] if steps else 'none'} of {meta.get('total_steps')}"
            )
        try:
            if not run.probes:
                problems.append("status is done but probes.json is missing")
        except RunDamaged as e:
            problems.append(str(e))
        recorded = (meta.get("checksums") or {}).get("sha256")
        if not recorded:
            problems.append("no checksums recorded in meta.json, so changes to its files cannot be detected")
        for name, digest in (recorded or {}).items():
            path = run.dir / name
            if not path.exists():
                problems.append(f"{name} is missing (it existed when the run finished)")
            elif sha256(path) != digest:
                problems.append(
                    f"{name} changed since the run finished (sha256 {sha256(path)[:12]}, recorded {digest[:12]})"
                )
    elif status == "running":
        lock = RunLock(run.dir / LOCK_NAME)
        if lock.is_stale(lock.holder()):
            problems.append(
                "status is running but no live process holds its lock (killed?); train it again to resume"
            )
    elif status not in ("failed", "interrupted"):
        problems.append(f"meta.json has an unknown status {status!r}")
    return problems


FINAL_COLUMNS = ("val_loss", "val_loss_legacy", "val_bpc", "val_ppl", "train_loss")


def compare_rows(runs: list[Run]) -> tuple[list[str], list[dict]]:
    """(settings that differ among the runs, one row per run with those settings and the final metrics)."""
    from lmlab.config import differences

    configs = [r.config if not r.damage() else {} for r in runs]
    keys = differences(configs) if len(runs) > 1 else []
    rows = []
    for run, cfg in zip(runs, configs):
        damage = run.damage()
        row = {"run": run.id, "status": run.status, **{k: cfg.get(k) for k in keys}}
        row.update({k: None if damage else run.final.get(k) for k in FINAL_COLUMNS})
        last = {} if damage else run.last_diagnostics()
        row.update({k: last.get(k) for k in ("grad_norm", "clip_rate")})
        row["note"] = damage or cfg.get("note", "")
        rows.append(row)
    return keys, rows


def format_table(rows: list[dict]) -> str:
    if not rows:
        return "(no runs)"
    columns = list(rows[0])

    def cell(v) -> str:
        if v is None:
            return "-"
        if isinstance(v, float):
            return f"{v:.4f}" if abs(v) < 1000 else f"{v:.1f}"
        return str(v)

    cells = [[cell(r.get(c)) for c in columns] for r in rows]
    widths = [max(len(c), *(len(row[i]) for row in cells)) for i, c in enumerate(columns)]
    lines = ["  ".join(c.ljust(w) for c, w in zip(columns, widths)).rstrip()]
    lines += ["  ".join(v.ljust(w) for v, w in zip(row, widths)).rstrip() for row in cells]
    return "\n".join(lines)


def compare_table(runs: list[Run]) -> str:
    return format_table(compare_rows(runs)[1])


def finished(run: Run) -> bool:
    """Done, or stopped by divergence (a result too: that setting does not train); a damaged run is neither."""
    return run.status == "done" or (run.status == "failed" and "diverged" in str(run.meta.get("error", "")))


LIGHT_FILES = ("meta.json",) + CHECKSUMMED  # what a finished run commits


def records(run: Run) -> dict[str, bytes]:
    """A run's light records as bytes, to carry it to another store (RunStore.add_records)."""
    return {name: (run.dir / name).read_bytes() for name in LIGHT_FILES if (run.dir / name).exists()}


def pack(runs: list[Run], archive: Path) -> list[Run]:
    """Write the light records of the finished runs among `runs` (done, or failed by divergence)
    to a .tar.gz as `runs/<id>/<file>`, so that extracting it in a project adds them to its store.
    Written to a temporary name first: an interrupted pack leaves no half archive."""
    import tarfile

    kept = [run for run in runs if finished(run)]
    archive.parent.mkdir(parents=True, exist_ok=True)
    partial = archive.with_name(archive.name + ".partial")
    with tarfile.open(partial, "w:gz") as tar:
        for run in kept:
            for name in LIGHT_FILES:
                if (run.dir / name).exists():
                    tar.add(run.dir / name, arcname=f"runs/{run.id}/{name}")
    partial.replace(archive)
    return kept


# ---------------------------------------------------------------- provenance

RUN_LOG_ENV = "LMLAB_RUN_LOG"
"""Set by `lmlab notebooks run`: the file where a notebook's kernel records the runs it used."""


def record_use(run: Run) -> None:
    """Append the run id to the file named by $LMLAB_RUN_LOG (set by `lmlab notebooks run`)."""
    log = os.environ.get(RUN_LOG_ENV)
    if log:
        with open(log, "a", encoding="utf-8") as fh:
            fh.write(
                f"{run.id}\t{run.meta.get('data', {}).get('fingerprint', '')}\t{run.config.get('profile', '')}\n"
            )


def provenance(runs: list[Run]) -> str:
    """profile, data and run ids: what every figure and table states about where it came from."""
    profiles = sorted({r.config.get("profile", "?") for r in runs})
    sources = sorted({Path(r.meta.get("data", {}).get("source", "?")).name for r in runs})
    prints = sorted({r.meta.get("data", {}).get("fingerprint", "?")[:8] for r in runs})
    ids = [r.id[:8] for r in runs]
    shown = ", ".join(ids[:6]) + (f" +{len(ids) - 6} more" if len(ids) > 6 else "")
    return f"profile {'/'.join(profiles)} · data {', '.join(sources)} ({', '.join(prints)}) · runs {shown}"
