"""`lmlab` command line: train, settings, runs list|show|compare|verify, notebooks run|status, ladder,
check, site theme|build|check.

    lmlab train --profile cpu optimizer=adamw lr=5e-4
    lmlab train --profile cpu optimizer=adamw lr=1e-3,5e-4 seed=1,2,3   # a grid of 6 runs
    lmlab train --profile full --dry-run
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import statistics
import sys
from pathlib import Path

from lmlab.config import DEFAULT_PROFILE, PROFILES
from lmlab.errors import LmlabError, NotEnoughMemory


def _add_runs_option(p: argparse.ArgumentParser) -> None:
    p.add_argument("--runs", metavar="DIR", help="run store directory (default: $LMLAB_RUNS or ./runs)")


def _add_executor_options(p: argparse.ArgumentParser) -> None:
    g = p.add_argument_group("executor", "where the runs train (see README: More than one machine)")
    g.add_argument(
        "--executor",
        choices=("local", "ray"),
        default="local",
        help="local: this machine's processes (default); ray: a Ray cluster, one task per run",
    )
    g.add_argument(
        "--address",
        help="ray: the cluster (HOST:PORT or auto; default: auto where RAY_ADDRESS is set, else a local "
        "Ray on 127.0.0.1 started and stopped by lmlab)",
    )
    g.add_argument(
        "--gpus-per-run", type=float, metavar="G", help="ray: GPUs a run takes (0.25 packs four on one GPU)"
    )
    g.add_argument("--cpus-per-run", type=float, metavar="C", help="ray: CPUs a run takes (default: 1)")


def _executor(args):
    from lmlab.executors import make_executor

    return make_executor(args.executor, args.address, args.gpus_per_run, args.cpus_per_run)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="lmlab", description="Train small GPT-style language models change by change."
    )
    sub = parser.add_subparsers(dest="command", required=True)

    t = sub.add_parser(
        "train",
        help="train one run, or a grid when a value is a comma list",
        description="Settings are key=value words; a comma list (lr=1e-3,5e-4) sweeps them. "
        "See `lmlab settings` for every key.",
    )
    t.add_argument(
        "--profile", default=DEFAULT_PROFILE, help=f"{' | '.join(PROFILES)} (default: {DEFAULT_PROFILE})"
    )
    t.add_argument(
        "--dry-run",
        action="store_true",
        help="print the resolved config(s) and parameter count, train nothing",
    )
    t.add_argument("--no-progress", action="store_true", help="no progress bar")
    _add_runs_option(t)
    _add_executor_options(t)
    t.add_argument("settings", nargs="*", metavar="key=value")

    s = sub.add_parser("settings", help="list every setting with its default, choices and meaning")
    s.add_argument("--profile", default=DEFAULT_PROFILE)

    r = sub.add_parser("runs", help="inspect the run store")
    rsub = r.add_subparsers(dest="runs_command", required=True)
    rl = rsub.add_parser("list", help="one line per run")
    _add_runs_option(rl)
    rs = rsub.add_parser("show", help="config, meta and final metrics of one run")
    rs.add_argument("run_id")
    _add_runs_option(rs)
    rc = rsub.add_parser("compare", help="the settings that differ among runs, and their final metrics")
    rc.add_argument("run_ids", nargs="*", help="run ids or prefixes (default: every run)")
    _add_runs_option(rc)
    rv = rsub.add_parser(
        "verify",
        help="check every run: files parse, metrics well formed, status consistent, "
        "files unchanged since the run finished; exit 1 naming each problem",
    )
    rv.add_argument("run_ids", nargs="*", help="run ids or prefixes (default: every run)")
    _add_runs_option(rv)
    rt = rsub.add_parser(
        "tensorboard",
        help="write TensorBoard event files for recorded runs from their light records "
        "(then: tensorboard --logdir runs)",
    )
    rt.add_argument("run_ids", nargs="*", help="run ids or prefixes (default: every run)")
    _add_runs_option(rt)
    rp = rsub.add_parser(
        "pack",
        help="archive the light records of every finished run (no checkpoints, no tokenizers), "
        "to carry them off a machine whose disk does not last; tar -xzf restores them",
    )
    rp.add_argument("archive", help="the .tar.gz to write")
    rp.add_argument("run_ids", nargs="*", help="run ids or prefixes (default: every finished run)")
    _add_runs_option(rp)

    n = sub.add_parser("notebooks", help="execute the study's notebooks, or tell which are stale")
    nsub = n.add_subparsers(dest="notebooks_command", required=True)
    nr = nsub.add_parser("run", help="execute notebooks (default: all) and write their .ipynb with outputs")
    nr.add_argument("names", nargs="*", help="e.g. 01, 01_initial_run or initial_run")
    nr.add_argument("--stale", action="store_true", help="only the notebooks that are not current")
    nr.add_argument(
        "--jobs",
        type=int,
        default=min(4, os.cpu_count() or 1),
        help="notebooks executed at once, each in its own kernel (default: the cores, at most 4)",
    )
    nsub.add_parser("status", help="per notebook: executed, in sync, stale, outputs present")
    for p in (nr, n):
        p.add_argument("--dir", default="notebooks", help="notebook directory (default: notebooks)")

    lad = sub.add_parser(
        "ladder",
        help="train the study's ladder step by step; several processes may share the work",
        description="Each step starts from the best recipe so far. Runs held by another process are "
        "skipped and waited for, so `lmlab ladder` in two terminals trains twice as fast on two GPUs or cores.",
    )
    lad.add_argument("--profile", default=DEFAULT_PROFILE)
    lad.add_argument(
        "--study",
        metavar="MODULE:NAME",
        help="the study to train (default: [tool.lmlab] study in the project's pyproject.toml, else study:LADDER)",
    )
    lad.add_argument(
        "--status",
        action="store_true",
        help="show each step's state (with --plans: each group's runs done, where the others are and about how "
        "long is left), train nothing",
    )
    lad.add_argument(
        "--plans",
        metavar="NAME",
        help="train one of the project's named plans beyond the ladder ([tool.lmlab.plans] in its "
        "pyproject.toml: this study's `full` and `confirmation`) instead of the ladder's steps",
    )
    lad.add_argument(
        "--workers",
        type=int,
        default=1,
        metavar="N",
        help="train with N processes sharing the work (each gets cores/N threads unless OMP_NUM_THREADS is set)",
    )
    lad.add_argument(
        "--for",
        dest="budget",
        type=float,
        metavar="SECONDS",
        help="stop after this long: every worker finishes its step, checkpoints it and exits; the same command "
        "continues each run from there",
    )
    lad.add_argument(
        "--skip",
        default="",
        metavar="STEP[,STEP]",
        help="leave these steps' runs untrained for now (say, a long seven-epoch step while the recipe's "
        "steps train); the same command without it trains them",
    )
    _add_runs_option(lad)
    _add_executor_options(lad)
    lad.add_argument(
        "settings",
        nargs="*",
        metavar="data=...",
        help="only data= is taken (default: as the notebooks choose)",
    )

    c = sub.add_parser(
        "check",
        help="build the site content offline and fail on broken embeds, references, or stale notebooks",
    )
    c.add_argument("--root", default=".", help="project root holding myst.yml")

    new = sub.add_parser(
        "new",
        help="write a new study that works at once: a two-step ladder, its notebooks and pages, a README",
        description="DIR gets myst.yml, content/ (an overview and a page per step), notebooks/ (jupytext "
        "pairs), study/ (a two-step ladder: the baseline and AdamW), tests/, a README with the two commands, "
        "a Makefile and .ci/run. Its README says how to add a step.",
    )
    new.add_argument("directory", metavar="DIR", help="the new study's folder (new, or empty)")
    new.add_argument("--title", help="the site's title (default: from DIR)")
    new.add_argument(
        "--data",
        metavar="FILE",
        help="the text to train on, one example per line (default: data/train.txt in DIR, to be put there)",
    )

    w = sub.add_parser(
        "site",
        help="the HTML site: install the theme, build it, or check it in a real browser",
        description="theme: install the site theme (from $LMLAB_MYST_THEME or ../shared/myst-theme when "
        "present; else mystmd downloads it). build: myst build --html into _build/html. "
        "check: build, serve on 127.0.0.1 and open every page in headless Chromium. "
        "start: myst start on 127.0.0.1 (live, rebuilt as content changes).",
    )
    w.add_argument("action", choices=("theme", "build", "check", "start"))
    w.add_argument("--port", type=int, default=3000, help="start: the port of the site (default: 3000)")
    w.add_argument("--root", default=".", help="project root holding myst.yml")
    w.add_argument(
        "--base-url", default="", help="serve the site under this path, as GitHub Pages does (e.g. /lmlab)"
    )
    w.add_argument("--screenshots", metavar="DIR", help="check: save a full-page PNG of every page here")
    return parser


def cmd_train(args) -> int:
    from lmlab.config import expand_grid, parse_overrides

    configs = expand_grid(args.profile, parse_overrides(args.settings))
    if args.dry_run:
        return dry_run(configs)
    from lmlab import memory

    for cfg in configs:  # a grid that cannot fit is refused whole, before torch is imported
        if memory.surely_cpu(cfg.device):
            memory.check(cfg, "cpu")
    from lmlab.runs import RunStore, compare_table

    executor = _executor(args)
    if executor.name == "local":
        from lmlab.train import train

        runs = []
        for i, cfg in enumerate(configs, 1):
            if len(configs) > 1:
                print(f"[{i}/{len(configs)}]", file=sys.stderr)
            runs.append(train(cfg, runs_dir=args.runs, progress=not args.no_progress))
    else:
        from lmlab.executors import train_configs

        runs = train_configs(configs, executor, args.runs, log=lambda m: print(m, file=sys.stderr))
    store = RunStore(args.runs)
    print(f"run store: {store.root}", file=sys.stderr)
    print(compare_table(runs))
    return 0


def dry_run(configs) -> int:
    from lmlab.config import to_dict
    from lmlab.memory import estimate

    for cfg in configs:
        print(json.dumps(to_dict(cfg), indent=1))
        if cfg.tokenizer == "word" and cfg.vocab_size == 0:
            print(
                "parameters: depend on the data (tokenizer=word with vocab_size=0 keeps every training word)"
            )
            continue
        need = estimate(cfg)
        print(f"parameters: {need.parameters:,} (at vocab_size {cfg.vocab_size:,})")
        print(f"memory: {need.describe()}")
    return 0


def cmd_settings(args) -> int:
    from lmlab.config import PROFILES, make_config, settings

    cfg = make_config(args.profile)
    print(f"settings at --profile {args.profile} (profiles: {', '.join(PROFILES)})\n")
    for name, f in settings().items():
        choices = f" [{'|'.join(f.metadata['choices'])}]" if f.metadata.get("choices") else ""
        print(f"  {name}={getattr(cfg, name)!s:<28} {f.metadata['help']}{choices}")
    return 0


def cmd_runs(args) -> int:
    from lmlab.runs import RunStore, compare_table, format_table

    store = RunStore(args.runs)
    if args.runs_command == "list":
        rows = []
        for run in store.all():
            damage = run.damage()
            if damage:  # listed, with the reason, and never in the way of the others
                rows.append(
                    {
                        "run": run.id,
                        "status": "damaged",
                        "profile": None,
                        "step": None,
                        "val_loss": None,
                        "created": None,
                        "note": damage,
                    }
                )
                continue
            meta, cfg = run.meta, run.config
            rows.append(
                {
                    "run": run.id,
                    "status": meta.get("status"),
                    "profile": cfg.get("profile"),
                    "step": f"{meta.get('step')}/{meta.get('total_steps')}",
                    "val_loss": run.final.get("val_loss"),
                    "created": meta.get("created"),
                    "note": cfg.get("note", ""),
                }
            )
        print(format_table(rows) if rows else f"no runs in {store.root}")
    elif args.runs_command == "verify":
        from lmlab.runs import verify

        runs = [store.find(r) for r in args.run_ids] if args.run_ids else store.all()
        found = {run.id: verify(run) for run in runs}
        bad = {rid: problems for rid, problems in found.items() if problems}
        for rid, problems in bad.items():
            for problem in problems:
                print(f"{rid}: {problem}")
        print(
            f"lmlab runs verify: {len(runs) - len(bad)} of {len(runs)} runs sound in {store.root}",
            file=sys.stderr,
        )
        return 1 if bad else 0
    elif args.runs_command == "pack":
        from lmlab.runs import pack

        runs = [store.find(r) for r in args.run_ids] if args.run_ids else store.all()
        packed = pack(runs, Path(args.archive))
        print(
            f"lmlab runs pack: {len(packed)} finished runs in {args.archive} (of {len(runs)}; unfinished and damaged "
            f"runs are left out)",
            file=sys.stderr,
        )
    elif args.runs_command == "tensorboard":
        from lmlab import events

        if not events.available():
            raise LmlabError("TensorBoard is not installed: pip install tensorboard (or lmlab[tensorboard])")
        runs = [store.find(r) for r in args.run_ids] if args.run_ids else store.all()
        written = [run for run in runs if not run.damage() and run.metrics]
        for run in written:
            events.write(run)
        print(
            f"lmlab runs tensorboard: event files for {len(written)} runs; see them with "
            f"tensorboard --logdir {store.root}",
            file=sys.stderr,
        )
    elif args.runs_command == "show":
        run = store.find(args.run_id)
        shown = {"run_id": run.id, "dir": str(run.dir), "config": run.config, "meta": run.meta}
        print(json.dumps({**shown, "last_diagnostics": run.last_diagnostics()}, indent=1))
    else:
        runs = [store.find(r) for r in args.run_ids] if args.run_ids else store.all()
        print(compare_table(runs))
    return 0


def cmd_notebooks(args) -> int:
    from lmlab import notebooks

    directory = Path(args.dir)
    if args.notebooks_command == "status":
        rows = []
        for source in notebooks.sources(directory):
            st = notebooks.status(source)
            rows.append(
                f"{'ok   ' if st.ok else 'STALE'}  {source.stem}"
                + "".join(f"\n       - {p}" for p in st.problems())
                + (f"\n       - {notebooks.NOT_RECORDED}" if st.executed and not st.recorded else "")
            )
        print("\n".join(rows) if rows else f"no notebooks in {directory}")
        return 0
    names = args.names
    if args.stale:
        names = [s.stem for s in notebooks.select(directory, names) if not notebooks.status(s).ok]
        if not names:
            print("every notebook is current", file=sys.stderr)
            return 0
    notebooks.run(directory, names, jobs=args.jobs, log=lambda m: print(m, file=sys.stderr))
    return 0


def cmd_ladder(args) -> int:
    from lmlab.config import parse_overrides
    from lmlab.ladder import Ladder, load_study
    from lmlab.notebook_setup import parameters

    given = {k: v[0] for k, v in parse_overrides(args.settings).items()}
    unknown = set(given) - {"data"}
    if unknown:
        raise LmlabError(
            f"lmlab ladder takes only data=...; the ladder defines the rest (got: {', '.join(sorted(unknown))})"
        )
    data = given.get("data") or parameters()[1]
    if args.workers < 1:
        raise LmlabError(f"--workers {args.workers}: give 1 or more")
    executor = _executor(args)
    if executor.name != "local" and (args.workers > 1 or args.budget):
        raise LmlabError(
            "--workers and --for share this machine among local processes; with --executor ray the cluster's "
            "resources decide how many runs train at once (--cpus-per-run, --gpus-per-run)"
        )
    study = load_study(args.study)
    ladder = Ladder(study, args.profile, data, runs_dir=args.runs, executor=executor)
    if args.plans:
        return _train_plans(args, ladder, data)
    skip = [name for name in args.skip.split(",") if name]
    for name in skip:
        study.step(name)  # a misspelt step is an error, not a step silently trained
    if args.status:
        results = ladder.results()
    elif args.workers > 1 or args.budget:
        _ladder_workers(args, data)
        results = ladder.results()
    else:
        results = ladder.train_all(log=lambda m: print(m, file=sys.stderr), skip=skip)
    for r in results:
        state = (
            f"missing {len(r.missing)} runs"
            if r.missing
            else (f"{r.verdict}: " + (r.winner if r.adopted else f"kept {r.recipe_label}"))
        )
        mean, std = r.mean_std(r.winner) if r.groups[r.winner] else (float("nan"), float("nan"))
        paired = (
            ""
            if r.paired is None
            else f"  paired {r.paired['mean']:+.4f} [{r.paired['low']:+.4f}, {r.paired['high']:+.4f}] n={r.paired['n']}"
        )
        print(f"{r.step.name:<14} best {r.winner:<28} {mean:.4f} ± {std:.4f}   {state}{paired}")
    return 0


def _train_plans(args, ladder, data: str) -> int:
    """`lmlab ladder --plans NAME`: the named plan's runs, trained where the store lacks them."""
    from lmlab.ladder import load_plans

    plans = load_plans()
    if args.plans not in plans:
        known = ", ".join(sorted(plans)) or "none: [tool.lmlab.plans] in pyproject.toml names them"
        raise LmlabError(f"--plans {args.plans}: the project has no such plan (plans: {known})")
    if args.skip:
        raise LmlabError("--skip names ladder steps; a plan trains all of its runs")
    plan = plans[args.plans]
    if args.status:
        groups = plan(ladder, False)
    elif args.workers > 1 or args.budget:
        _ladder_workers(args, data)
        groups = plan(ladder, False)
    else:
        groups = plan(ladder, True)
    if not args.status:
        for label, runs in groups.items():
            print(f"{label:<48} {len(runs)} run{'s' * (len(runs) != 1)} finished")
        return 0
    for line in plan_status(ladder):
        print(line)
    return 0


def plan_status(ladder) -> list[str]:
    """Each label of a plan: how many of its runs are done, where each begun one is (training now or
    stopped at a step) with about how long it has left at its own pace, how many have not started
    (each as long as its group's finished runs, by their median); then the time left in all, one run
    after another."""
    from lmlab.runs import finished

    lines, left, unknown = [], 0.0, 0
    for label, jobs in ladder.planned.items():
        runs = [ladder.store.run(run_id) for run_id in jobs]
        done = [run for run in runs if finished(run)]
        took = [run.final["train_seconds"] for run in done if run.final.get("train_seconds")]
        typical = statistics.median(took) if took else None
        states = []
        for run in runs:
            if run in done or not run.dir.exists():
                continue
            step, total, pace = run.progress()
            where = "training" if ladder.store.lock(run.id).held() else "stopped"
            if pace and total:
                left += pace * (total - step)
                states.append(
                    f"{run.id} {where} at step {step} of {total}, about {pace * (total - step) / 60:.0f} min left"
                )
            else:
                unknown += 1
                states.append(f"{run.id} {where} at step {step} of {total}")
        waiting = sum(not run.dir.exists() for run in runs)
        if waiting:
            states.append(
                f"{waiting} not started" + (f" (about {typical / 60:.0f} min each)" if typical else "")
            )
            left, unknown = (left + waiting * typical, unknown) if typical else (left, unknown + waiting)
        lines.append(f"{label:<40} {len(done)} of {len(runs)} done" + "".join(f"; {s}" for s in states))
    unknown_text = f"{unknown} run(s) whose length no finished run of their group gives"
    if left:
        hours, minutes = divmod(round(left / 60), 60)
        lines.append(
            f"about {hours} h {minutes:02d} min of training left, one run at a time at these paces"
            + (f", besides {unknown_text}" if unknown else "")
        )
    elif unknown:
        lines.append(f"training left: {unknown_text}")
    return lines


def _ladder_workers(args, data: str) -> None:
    """`lmlab ladder` in N processes sharing the run locks, stopped politely when the budget is spent."""
    from lmlab.workers import lmlab_command, run_workers

    command = lmlab_command(
        "ladder",
        "--profile",
        args.profile,
        f"data={data}",
        *(["--runs", str(args.runs)] if args.runs else []),
        *(["--skip", args.skip] if args.skip else []),
        *(["--study", args.study] if args.study else []),
        *(["--plans", args.plans] if args.plans else []),
    )
    codes = run_workers(command, args.workers, args.budget)
    if None in codes:
        print(
            f"lmlab ladder: stopped {codes.count(None)} worker(s) after {args.budget:g}s, each run checkpointed at "
            "the step it stopped; the same command continues them from there",
            file=sys.stderr,
        )
    elif any(codes):
        raise LmlabError(
            f"a ladder worker failed (exit codes {', '.join(map(str, codes))}); its error is above"
        )


def cmd_check(args) -> int:
    from lmlab.check import check

    found = check(Path(args.root))
    if found.warnings:
        print(
            f"lmlab check: {len(found.warnings)} warning(s), conventions the project does not enforce",
            file=sys.stderr,
        )
        for p in found.warnings:
            print(f"  - {p}", file=sys.stderr)
    if found.failures:
        print(f"lmlab check: {len(found.failures)} problem(s)", file=sys.stderr)
        for p in found.failures:
            print(f"  - {p}", file=sys.stderr)
        return 1
    print("lmlab check: site content built; every embed, reference and notebook is sound", file=sys.stderr)
    return 0


def cmd_new(args) -> int:
    from lmlab.scaffold import new

    directory = Path(args.directory)
    written = new(directory, title=args.title, data=args.data)
    print(f"lmlab new: {len(written)} files in {directory}", file=sys.stderr)
    if not args.data:
        print(f"lmlab new: put the text to train on, one example per line, in {directory / 'data' / 'train.txt'}",
              file=sys.stderr)  # fmt: skip
    print(f"next: cd {directory} && make report (the README says how to add a step)", file=sys.stderr)
    return 0


def cmd_site(args) -> int:
    from lmlab import site

    root = Path(args.root)
    if args.action == "theme":
        print(f"lmlab site: {site.install_theme(root)}", file=sys.stderr)
        return 0
    if args.action == "start":
        server = site.start(root, args.port, args.port + 100)
        print(f"lmlab site: serving on http://127.0.0.1:{args.port} (Ctrl-C stops it)", file=sys.stderr)
        try:
            for line in server.stdout:
                print(line, end="", file=sys.stderr)
        finally:
            site.stop(server)
        return 0
    if args.action == "build":
        html = site.build_html(root, args.base_url)
        print(
            f"lmlab site: HTML site in {html}" + (f" (base URL {args.base_url})" if args.base_url else ""),
            file=sys.stderr,
        )
        return 0
    pages, problems = site.check_site(
        root, args.base_url, screenshots=Path(args.screenshots) if args.screenshots else None
    )
    if problems:
        print(f"lmlab site check: {len(problems)} problem(s) a reader would see", file=sys.stderr)
        for p in problems:
            print(f"  - {p}", file=sys.stderr)
        return 1
    print(f"lmlab site check: {len(pages)} pages open in Chromium with nothing broken", file=sys.stderr)
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args, extra = parser.parse_known_args(argv)
    # key=value settings may also come after options (argparse stops collecting positionals at the first option)
    if args.command == "train":
        args.settings += [word for word in extra if "=" in word and not word.startswith("-")]
        extra = [word for word in extra if word not in args.settings]
    if extra:
        parser.error(f"unrecognized arguments: {' '.join(extra)}")
    # a polite stop (kill, preemption) takes the same path as Ctrl-C: the run is marked interrupted
    signal.signal(signal.SIGTERM, lambda *_: (_ for _ in ()).throw(KeyboardInterrupt()))
    handlers = {
        "train": cmd_train,
        "settings": cmd_settings,
        "runs": cmd_runs,
        "notebooks": cmd_notebooks,
        "ladder": cmd_ladder,
        "check": cmd_check,
        "new": cmd_new,
        "site": cmd_site,
    }
    try:
        return handlers[args.command](args)
    except NotEnoughMemory as e:  # valid settings, too small a machine: told apart from a mistake in them
        print(f"lmlab: error: {e}", file=sys.stderr)
        return 1
    except LmlabError as e:
        print(f"lmlab: error: {e}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print(
            "lmlab: interrupted; run the same command again to resume from the last checkpoint "
            "(a first Ctrl-C or SIGTERM in the training loop checkpoints the step it stops at)",
            file=sys.stderr,
        )
        return 130
