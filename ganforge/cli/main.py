"""``ganforge`` command line. Thin: parse -> config -> one library call.

Exit codes: 0 success, 2 bad input (nothing written), 1 training diverged, 130 interrupted
(a checkpoint was written; ``--resume`` continues), 74 a write failed (disk full, file-size limit: the
files it was replacing are untouched, a run keeps its last checkpoint and ``--resume`` continues it).
"""

from __future__ import annotations

import argparse
import logging
import os
import select
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from ganforge.errors import GanforgeError, WriteError
from ganforge.fileio import check_creatable
from ganforge.rundir import RunDir
from ganforge.seeds import check_seed

log = logging.getLogger("ganforge")
#: ganforge.metrics.inception.VARIANTS and "auto" (listed here: the parser must not import torch).
INCEPTION_VARIANTS = ("auto", "fp32", "fp32-frozen", "bf16-autocast", "bf16")


def _version() -> str:
    """The installed distribution's version; the package's own ``__version__`` when ganforge runs from a source
    tree that is not installed (or installed under another name)."""
    from importlib.metadata import PackageNotFoundError, version

    import ganforge

    try:
        installed = version("ganforge")
    except PackageNotFoundError:
        return ganforge.__version__
    # an installed ganforge may not be the one imported (PYTHONPATH pointing at a checkout): name both then
    return installed if installed == ganforge.__version__ else f"{ganforge.__version__} (installed: {installed})"


def _parser() -> argparse.ArgumentParser:
    # No abbreviated options: `--seed` must not quietly mean `--seeds` (it did, for `bench`).
    p = argparse.ArgumentParser(prog="ganforge", description="Train, sample and inspect GANs.", allow_abbrev=False)
    p.add_argument("--version", action="version", version=f"ganforge {_version()}")
    sub = p.add_subparsers(dest="command", required=True, metavar="COMMAND")

    t = sub.add_parser(
        "train", help="train a preset (or resume a run)", description="Train a GAN from a preset.", allow_abbrev=False
    )
    t.add_argument("preset", nargs="?", help="preset name (see `ganforge presets`)")
    t.add_argument("overrides", nargs="*", metavar="KEY=VALUE", help="config overrides, e.g. optim.lr_g=1e-4")
    t.add_argument("--run-dir", type=Path, help="new run directory (default: runs/PRESET-TIME)")
    t.add_argument("--steps", type=int, help="total training steps of the run")
    t.add_argument("--seed", type=int, help="random seed")
    t.add_argument("--resume", type=Path, metavar="DIR", help="continue the run in DIR from its latest checkpoint")
    t.add_argument("--dry-run", action="store_true", help="print the resolved config and exit")
    t.add_argument("--no-progress", action="store_true", help="log lines instead of a progress bar")

    s = sub.add_parser("sample", help="generate images from a run or generator/ directory", allow_abbrev=False)
    s.add_argument("source", type=Path, help="run directory or its generator/ directory")
    s.add_argument("--n", type=int, default=64, help="number of images (default 64)")
    s.add_argument("--out", type=Path, required=True, help="output .png (grid) or .npz (uint8 'images' [N,H,W,C], "
                   "with int64 'labels' [N] from a conditional generator; 2D: 'points')")  # fmt: skip
    s.add_argument("--labels", help="conditional generators: classes to draw, cycled to --n (e.g. 3, or 0,2,4, "
                   "or names for a folder's class subfolders: cat,dog; default: every class in turn, one per grid "
                   "column)")  # fmt: skip
    s.add_argument("--seed", type=int, default=0, help="latent seed; same seed, same images")
    s.add_argument("--device", default="auto", help="auto (CUDA if available, else CPU), cpu, cuda, cuda:N")
    s.add_argument("--overwrite", action="store_true", help="replace the --out file if it exists")

    tr = sub.add_parser("translate", help="translate images with an image-to-image run (pix2pix)",
                        allow_abbrev=False)  # fmt: skip
    tr.add_argument("source", type=Path, help="run directory or its generator/ directory")
    tr.add_argument("--input", type=Path, required=True, help="an image file, or a folder of images (any nesting)")
    tr.add_argument("--out", type=Path, required=True, help="folder for the outputs: one PNG per input, same "
                    "relative name")  # fmt: skip
    tr.add_argument("--device", default="auto", help="auto (CUDA if available, else CPU), cpu, cuda, cuda:N")
    tr.add_argument("--overwrite", action="store_true", help="replace output files that exist")

    e = sub.add_parser(
        "eval",
        help="measure images or a generator (FID, KID, precision/recall, density/coverage, domain metrics)",
        description="SOURCE / REF: a run dir, a generator/ dir, an image folder, a .npz, or a dataset split "
        "such as mnist:test. Prints a table; --json writes the numbers with the full protocol.",
        allow_abbrev=False,
    )
    e.add_argument("source", help="what to measure")
    e.add_argument("--against", metavar="REF", help="reference (default: the source dataset's test split)")
    e.add_argument("--metrics", default=None, help="comma list of fid,kid,pr,dc,domain,modes (default: all that apply)")
    e.add_argument("--n", type=int, default=None, help="images of SOURCE (generated: default 10000; real: a seeded "
                   "subset, default all); REF is measured whole")  # fmt: skip
    e.add_argument("--seed", type=int, default=0, help="latent / subset seed")
    e.add_argument("--json", type=Path, help="write numbers + protocol here (must not exist unless --overwrite)")
    e.add_argument(
        "--variant",
        default="auto",
        choices=INCEPTION_VARIANTS,
        help="Inception variant (default auto: bf16 where the hardware has it, else fp32-frozen)",
    )
    e.add_argument("--device", default="auto", help="auto (CUDA if available, else CPU), cpu, cuda, cuda:N")
    e.add_argument("--overwrite", action="store_true", help="replace the --json file if it exists")

    _bench_parsers(sub)

    sub.add_parser("presets", help="list presets")
    sub.add_parser("models", help="list model families")
    sub.add_parser("losses", help="list adversarial losses")
    sub.add_parser("recipes", help="list training methods (recipe.name) and their config keys")
    sub.add_parser("datasets", help="list datasets and what each expects")
    _remember_leaf(sub)
    return p


def _remember_leaf(subparsers: Any) -> None:
    """Each sub-parser records itself in the namespace (``_leaf``), so that an error in arguments it left over is
    reported with its own usage line (``ganforge bench fid``'s flags, not ``ganforge``'s commands)."""
    for leaf in subparsers.choices.values():
        leaf.set_defaults(_leaf=leaf)


def _bench_parsers(sub: Any) -> None:
    """``ganforge bench SUITE``: one sub-parser per suite, each with only its own flags (argparse rejects the rest)."""
    b = sub.add_parser(
        "bench",
        help="reproduce a published benchmark side by side (modes2d, stacked-mnist, fid)",
        description="Train ganforge's presets and print their numbers beside the published ones.",
        allow_abbrev=False,
    )
    suites = b.add_subparsers(dest="suite", required=True, metavar="SUITE")

    def suite(name: str, help: str, description: str) -> argparse.ArgumentParser:
        s = suites.add_parser(name, help=help, description=description, allow_abbrev=False)
        s.add_argument("overrides", nargs="*", metavar="KEY=VALUE", help="config overrides for every run it trains")
        s.add_argument("--out", type=Path, required=True, help="new folder for the runs")
        s.add_argument("--json", type=Path, help="write the result rows here (must not exist)")
        return s

    m = suite("modes2d", "ring of 8 / grid of 25 Gaussians (VEEGAN, PacGAN)",
              "ring8-gan and grid25-gan per seed, 2,500 samples each, beside VEEGAN and PacGAN.")  # fmt: skip
    m.add_argument("--seeds", type=int, default=None, help="train seeds 0..N-1 (default 5; none with --runs)")
    m.add_argument("--steps", type=int, default=None, help="override the presets' steps")
    m.add_argument("--runs", nargs="+", type=Path, default=None, help="measure these existing ring8 / grid25 runs "
                   "(instead of training, unless --seeds is given)")  # fmt: skip

    s = suite("stacked-mnist", "1,000 modes of Stacked MNIST (VEEGAN, PacGAN)",
              "stacked-mnist-dcgan per seed, 26,000 samples each, beside VEEGAN and PacGAN.")  # fmt: skip
    s.add_argument("--seeds", type=int, default=None, help="train seeds 0..N-1 (default 3; none with --runs)")
    s.add_argument("--steps", type=int, default=None, help="override the preset's steps")
    s.add_argument("--samples", type=int, default=None, help="images measured per run (default 26000)")
    s.add_argument("--runs", nargs="+", type=Path, default=None, help="measure these existing Stacked MNIST runs "
                   "(instead of training, unless --seeds is given)")  # fmt: skip

    f = suite("fid", 'Inception FID per preset after a fixed budget ("Are GANs Created Equal?")',
              "Inception FID per preset after --minutes of training, beside Lucic et al. 2018.")  # fmt: skip
    f.add_argument("--presets", nargs="+", default=None, help="presets to train (default mnist-mlp mnist-dcgan "
                   "fashion-dcgan; none with --runs)")  # fmt: skip
    f.add_argument("--runs", nargs="+", type=Path, default=None, help="measure these existing runs")
    f.add_argument("--minutes", type=float, default=10.0, help="training budget per preset (default 10)")
    f.add_argument("--seed", type=int, default=None, help="the training seed (train.seed) and latent seed "
                   "10,000 + SEED of every preset (default 0)")  # fmt: skip
    f.add_argument("--samples", type=int, default=None, help="images measured per run (default 10000)")
    f.add_argument("--variant", default="auto", choices=INCEPTION_VARIANTS, help="Inception variant")
    _remember_leaf(suites)


def _cmd_train(args: argparse.Namespace) -> int:
    from ganforge.api import resolve_config, resume, resume_config, train
    from ganforge.config import load_preset, parse_overrides

    if args.resume is not None:
        # argparse puts the first KEY=VALUE into `preset`: with --resume every positional is an override.
        pairs = [args.preset, *args.overrides] if args.preset else list(args.overrides)
        if args.seed is not None or args.run_dir is not None or any("=" not in pair for pair in pairs):
            raise GanforgeError(
                "--resume takes the run directory, optionally --steps and budget/cadence overrides "
                "(e.g. train.max_minutes=30); the rest of the config is the run's"
            )
        resume_overrides = parse_overrides(pairs)
        if args.dry_run:
            print(resume_config(args.resume, steps=args.steps, overrides=resume_overrides).to_json())
            return 0
        run_dir = resume(
            args.resume, steps=args.steps, overrides=resume_overrides, progress=False if args.no_progress else None
        )
    else:
        if not args.preset:
            raise GanforgeError("name a preset (see `ganforge presets`) or give --resume DIR")
        if "=" in args.preset:
            raise GanforgeError(f"the first argument must be a preset name, got override {args.preset!r}")
        if args.seed is not None:
            check_seed(args.seed, "--seed")
        overrides: dict[str, object] = dict(parse_overrides(args.overrides))
        if args.steps is not None:
            overrides["train.steps"] = args.steps
        if args.seed is not None:
            overrides["train.seed"] = args.seed
        cfg = load_preset(args.preset, overrides)
        if args.dry_run:
            print(resolve_config(cfg).to_json())  # as the run would record it: `auto` settings fixed for the device
            return 0
        run_dir = train(cfg, run_dir=args.run_dir, progress=False if args.no_progress else None)
    samples = RunDir(run_dir).sample_grids()
    print(f"run directory: {run_dir}")
    if samples:
        print(f"last sample grid: {samples[-1]}")
    return 0


def _parse_labels(text: str, names: list[str] | None) -> list[int]:
    """``--labels``: class numbers, or class names where the run's data named its classes (its subfolders)."""
    out = []
    for token in (t.strip() for t in text.split(",")):
        if names and token in names:
            out.append(names.index(token))
            continue
        try:
            out.append(int(token))
        except ValueError:
            known = f" or class names ({', '.join(names)})" if names else ""
            raise GanforgeError(
                f"--labels takes class numbers{known} separated by commas (e.g. 0,2,4), got {text!r}"
            ) from None
    return out


def _cmd_sample(args: argparse.Namespace) -> int:
    from ganforge.api import resolve_device
    from ganforge.models import module_config
    from ganforge.sampling import class_names, generate, load_generator, make_grid, save_npz, save_png

    suffix = args.out.suffix.lower()
    if suffix not in (".png", ".npz"):
        raise GanforgeError(f"--out must end in .png (grid) or .npz (arrays), got {args.out}")
    if args.n < 1:
        raise GanforgeError(f"--n must be >= 1, got {args.n}")
    check_seed(args.seed, "--seed")
    if args.out.exists() and not args.out.is_dir() and not args.overwrite:
        raise GanforgeError(f"{args.out} exists; choose another --out or pass --overwrite")
    check_creatable(args.out, "--out")
    G = load_generator(args.source, device=resolve_device(args.device, "--device"))
    classes = _parse_labels(args.labels, class_names(args.source)) if args.labels is not None else None
    wanted = [classes[i % len(classes)] for i in range(args.n)] if classes else None
    images, labels = generate(G, args.n, seed=args.seed, labels=wanted)
    points = images.ndim == 2  # a 2D point generator: float32 [N, D]
    if suffix == ".png" and points:
        from ganforge.sampling.points import scatter_image

        save_png(args.out, scatter_image(images))
    elif suffix == ".png":
        per_row = len(classes) if classes else int(module_config(G).get("num_classes", 0))
        nrow = per_row if per_row > 1 and args.n % per_row == 0 else None  # a class per column
        save_png(args.out, make_grid(images, nrow=nrow))
    else:
        arrays = {"points" if points else "images": images}
        if labels is not None:
            arrays["labels"] = labels
        save_npz(args.out, **arrays)
    print(f"wrote {args.n} {'points' if points else 'images'} to {args.out}")
    return 0


def _cmd_translate(args: argparse.Namespace) -> int:
    from ganforge.api import resolve_device
    from ganforge.sampling import load_generator, read_inputs, save_png, translate
    from ganforge.sampling.translate import translator_shape

    G = load_generator(args.source, device=resolve_device(args.device, "--device"))
    resolution, c_in, _ = translator_shape(G)
    images, files = read_inputs(args.input, resolution, c_in)
    base = args.input if args.input.is_dir() else args.input.parent
    targets = [args.out / f.relative_to(base).with_suffix(".png") for f in files]
    existing = [t for t in targets if t.exists()]
    if existing and not args.overwrite:
        more = f" (and {len(existing) - 1} more)" if len(existing) > 1 else ""
        raise GanforgeError(f"{existing[0]} exists{more}; choose another --out or pass --overwrite")
    check_creatable(args.out, "--out", folder=True)
    for target, out in zip(targets, translate(G, images), strict=True):
        target.parent.mkdir(parents=True, exist_ok=True)
        save_png(target, out)
    print(f"wrote {len(targets)} translated image(s) to {args.out}")
    return 0


def _cmd_eval(args: argparse.Namespace) -> int:
    import json

    from ganforge.api import resolve_device
    from ganforge.fileio import atomic_write_text
    from ganforge.metrics.evaluate import default_metrics, evaluate, parse_metrics
    from ganforge.metrics.sources import load_source

    if args.n is not None and args.n < 2:
        raise GanforgeError(f"--n must be >= 2, got {args.n}")
    check_seed(args.seed, "--seed")
    if args.json is not None and args.json.exists() and not args.json.is_dir() and not args.overwrite:
        raise GanforgeError(f"{args.json} exists; choose another --json or pass --overwrite")
    if args.json is not None:
        check_creatable(args.json, "--json")
    device = str(resolve_device(args.device, "--device"))
    source = load_source(args.source, n=args.n, seed=args.seed, device=device)
    if args.against is None:
        if source.dataset is None:
            raise GanforgeError(f"give --against REF: {args.source} is not known to belong to a dataset")
        args.against = f"{source.dataset}:test"
    against = load_source(args.against, n=None, seed=args.seed, device=device)
    metrics = default_metrics(source, against) if args.metrics is None else parse_metrics(args.metrics)
    report = evaluate(source, against, metrics, variant=args.variant, device=device, seed=args.seed)
    print(f"{report.source} ({report.n_source} images) vs {report.against} ({report.n_against} images)")
    for key, value in report.values.items():
        if key.endswith("_real") and key.removesuffix("_real") in report.values:
            continue  # printed beside its metric
        real = report.values.get(f"{key}_real")
        print(f"  {key:22s} {value:.6g}" + ("" if real is None else f"   (real data: {real:.6g})"))
    print(f"  ({report.seconds:.1f} s)")
    if args.json is not None:
        atomic_write_text(args.json, json.dumps(report.as_dict(), indent=2) + "\n")
        print(f"wrote {args.json}")
    return 0


def _no_swallowed_overrides(option: str, values: list[Any] | None, suite: str) -> None:
    """``--presets a KEY=VALUE`` hands the override to the list option (argparse's ``nargs="+"``): say so."""
    for value in values or []:
        if "=" in str(value) and not Path(value).exists():
            raise GanforgeError(f"{str(value)!r} after {option} looks like a KEY=VALUE override; put overrides before "
                                f"{option}: ganforge bench {suite} {value} {option} ...")  # fmt: skip


def _check_bench_outputs(args: argparse.Namespace) -> None:
    """What every suite checks before it trains: --json new and writable, --out a new folder."""
    if args.json is not None and args.json.exists():
        raise GanforgeError(f"{args.json} exists; choose a new --json file (results are never overwritten)")
    if args.json is not None:
        check_creatable(args.json, "--json")
    if args.out.exists() and not args.out.is_dir():
        raise GanforgeError(f"--out {args.out} is a file; name a new folder")
    check_creatable(args.out, "--out", folder=True)


def _check_samples(samples: int | None) -> None:
    if samples is not None and samples < 2:
        raise GanforgeError(f"--samples must be >= 2, got {samples}")


def _seed_list(args: argparse.Namespace, default: int) -> list[int]:
    """Seeds 0..N-1 to train: ``--seeds N``, else ``default``, else none when ``--runs`` alone is measured."""
    if args.seeds is not None and args.seeds < 1:
        raise GanforgeError(f"--seeds must be >= 1, got {args.seeds}")
    if args.runs and args.seeds is None:
        return []
    return list(range(args.seeds if args.seeds is not None else default))


def _bench_modes2d(args: argparse.Namespace) -> tuple[str, list[object]]:
    from ganforge.reproduce.modes2d import modes2d_table, run_modes2d

    _no_swallowed_overrides("--runs", args.runs, args.suite)
    seeds = _seed_list(args, 5)
    _check_bench_outputs(args)
    rows = run_modes2d(args.out, seeds=seeds, steps=args.steps, overrides=args.overrides, runs=args.runs)
    return modes2d_table(rows), list(rows)


def _bench_stacked(args: argparse.Namespace) -> tuple[str, list[object]]:
    from ganforge.reproduce.stacked import run_stacked, stacked_table

    _no_swallowed_overrides("--runs", args.runs, args.suite)
    seeds = _seed_list(args, 3)
    _check_samples(args.samples)
    _check_bench_outputs(args)
    rows = run_stacked(args.out, seeds=seeds, steps=args.steps, samples=args.samples or 26_000,
                       overrides=args.overrides, runs=args.runs)  # fmt: skip
    return stacked_table(rows), list(rows)


def _bench_fid(args: argparse.Namespace) -> tuple[str, list[object]]:
    from ganforge.reproduce.fid import fid_table, run_fid

    _no_swallowed_overrides("--presets", args.presets, args.suite)
    _no_swallowed_overrides("--runs", args.runs, args.suite)
    if args.seed is not None:
        check_seed(args.seed, "--seed")
    if args.seed is not None and args.runs and not args.presets:
        raise GanforgeError("--seed sets the seed of the runs fid trains; existing --runs are measured with their own")
    _check_samples(args.samples)
    _check_bench_outputs(args)
    default = [] if args.runs else ["mnist-mlp", "mnist-dcgan", "fashion-dcgan"]
    presets = args.presets if args.presets is not None else default
    rows = run_fid(args.out, presets=presets, minutes=args.minutes, samples=args.samples or 10_000,
                   seed=args.seed or 0, variant=args.variant, runs=args.runs, overrides=args.overrides)  # fmt: skip
    return fid_table(rows), list(rows)


def _cmd_bench(args: argparse.Namespace) -> int:
    from ganforge.reproduce import write_json

    run = {"modes2d": _bench_modes2d, "stacked-mnist": _bench_stacked, "fid": _bench_fid}[args.suite]
    table, results = run(args)
    print(table)
    if args.json is not None:
        write_json(args.json, results)
    return 0


def _cmd_list(what: str) -> int:
    if what == "presets":
        from ganforge.config import load_preset, preset_names

        for name in preset_names():
            cfg = load_preset(name)
            print(f"{name:24s} {cfg.description}")
    elif what == "models":
        from ganforge.models import MODELS

        for name in MODELS.names():
            fam = MODELS.get(name)
            sizes = ", ".join(map(str, fam.resolutions)) if fam.resolutions else "any"
            shape = "2D points" if fam.data_kind == "points" else f"{sizes} px"
            print(f"{name:12s} [{shape}] {fam.description}")
    elif what == "losses":
        from ganforge.losses import LOSSES

        for name in LOSSES.names():
            print(f"{name:14s} {LOSSES.get(name).description}")
    elif what == "recipes":
        import dataclasses
        import textwrap

        from ganforge.recipes import RECIPES

        for name in RECIPES.names():
            recipe = RECIPES.get(name)
            keys = ", ".join(f"recipe.{f.name}" for f in dataclasses.fields(recipe.config) if f.name != "name")
            print(f"{name:14s} {recipe.description}")
            for line in textwrap.wrap(f"keys: {keys} (docs/configuration.md)", width=104, break_on_hyphens=False):
                print(f"{'':14s}   {line}")
    else:
        import textwrap

        from ganforge.data import DATASETS

        for name in DATASETS.names():
            source = DATASETS.get(name)
            print(f"{name:14s} {source.description}")
            for line in textwrap.wrap(source.expects, width=104, break_on_hyphens=False):
                print(f"{'':14s}   {line}")
    return 0


def _stdout_reader_gone() -> bool:
    """Whether stdout is a pipe whose reader has closed it (poll reports an error on its write end)."""
    try:
        poller = select.poll()
        poller.register(sys.stdout.fileno(), select.POLLOUT)
        return any(events & select.POLLERR for _, events in poller.poll(0))
    except (AttributeError, OSError, ValueError):  # no file descriptor (captured output), no poll (Windows)
        return False


def _dispatch(args: argparse.Namespace) -> int:
    if args.command == "train":
        return _cmd_train(args)
    if args.command == "sample":
        return _cmd_sample(args)
    if args.command == "eval":
        return _cmd_eval(args)
    if args.command == "translate":
        return _cmd_translate(args)
    if args.command == "bench":
        return _cmd_bench(args)
    return _cmd_list(args.command)


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``ganforge`` command; returns the exit code."""
    parser = _parser()
    args, extra = parser.parse_known_args(argv)
    # KEY=VALUE overrides may come after options (`train PRESET --steps 9 optim.lr_g=1e-4`, `bench ... --out D k=v`).
    stray = [e for e in extra if args.command not in ("train", "bench") or e.startswith("-") or "=" not in e]
    if stray:
        args._leaf.error(f"unrecognized arguments: {' '.join(stray)}")
    if extra:
        args.overrides = [*args.overrides, *extra]
    logging.basicConfig(level=logging.INFO, format="%(message)s", stream=sys.stderr)
    from ganforge.training.loop import TrainingDiverged, TrainingInterrupted

    try:
        code = _dispatch(args)
        sys.stdout.flush()  # a reader that left shows here, not as an "Exception ignored" at exit
        return code
    except BrokenPipeError:  # `ganforge presets | head -3`: the reader has what it wanted
        if not _stdout_reader_gone():  # some other pipe or socket: a real error
            raise
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())  # the exit's own flush goes nowhere
        return 141  # 128 + SIGPIPE, what a shell reports for a command whose reader left
    except TrainingInterrupted as exc:
        print(f"interrupted: {exc}", file=sys.stderr)
        return 130
    except TrainingDiverged as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    except WriteError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 74  # EX_IOERR of sysexits.h
    except GanforgeError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
