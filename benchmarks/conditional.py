"""Class-conditional presets against the unconditional DCGAN at the same budget, judged by the domain classifier.

    python -m benchmarks.conditional --minutes 9

Each preset trains (its own config, seed 0) until ``--minutes`` of wall time or its step count, in a new run
directory under ``--run-dir`` (default: a new ``runs/benchmarks/conditional-TIME/``). The unconditional baseline
is ``mnist-dcgan`` (on Fashion-MNIST: ``mnist-dcgan data.name=fashion-mnist``, the same settings as the
conditional presets). Every run is judged on 10,000 samples of its EMA generator (1,000 per class for the
conditional ones, from seed 0) against the test split: domain FD, and for conditional runs the metrics of
protocol ``conditional-v1`` (ganforge.metrics.conditional), each beside real data's number: conditioning
accuracy, mean per-class FD, CAS. The targets (MNIST): conditioning accuracy >= 99%, CAS within 2 points of the
real-data classifier, domain FD no worse than the unconditional DCGAN's.
"""

from __future__ import annotations

import argparse
import json
import logging
import time
from pathlib import Path

import torch

import ganforge
from benchmarks.harness import RESULTS_DIR, check_out, describe, note, out_option, save_record
from ganforge.config import load_preset
from ganforge.metrics.evaluate import evaluate
from ganforge.metrics.sources import load_source
from ganforge.training.callbacks import read_metrics

#: (row name, preset, overrides): the unconditional baseline first, then the conditional presets, per dataset.
RUNS: dict[str, list[tuple[str, str, dict[str, object]]]] = {
    "mnist": [
        ("dcgan (unconditional)", "mnist-dcgan", {}),
        ("cgan", "mnist-cgan", {}),
        ("acgan", "mnist-acgan", {}),
        ("projection", "mnist-projection", {}),
    ],
    "fashion-mnist": [
        ("dcgan (unconditional)", "mnist-dcgan", {"data.name": "fashion-mnist"}),
        ("projection", "fashion-projection", {}),
    ],
}
CONDITIONAL_METRICS = ("domain", "conditioning", "class-fd", "cas")


def run_one(dataset: str, row: str, preset: str, overrides: dict[str, object], out: Path, minutes: float) -> dict:
    cfg = load_preset(preset, {**overrides, "train.max_minutes": minutes})
    run_dir = out / f"{dataset}-{preset}"
    if not (run_dir / "config.json").is_file():  # --summarize: measure existing runs
        ganforge.train(cfg, run_dir=run_dir, progress=False)
    records = [r for r in read_metrics(run_dir / "metrics.jsonl") if "loss_D" in r]
    source = load_source(run_dir, n=10_000, seed=0)
    against = load_source(f"{dataset}:test")
    metrics = CONDITIONAL_METRICS if source.conditional else ("domain",)
    report = evaluate(source, against, metrics, seed=0)
    v = report.values
    result: dict[str, object] = {"dataset": dataset, "method": row, "preset": preset, "steps": records[-1]["step"],
                                 "domain_fd": round(v["domain_fd"], 2)}  # fmt: skip
    for key in ("conditioning_accuracy", "class_fd_mean", "cas"):
        if key in v:
            result[key] = round(v[key], 4)
            result[f"{key}_real"] = round(v[f"{key}_real"], 4)
    return result


def main(argv: list[str] | None = None) -> None:
    p = argparse.ArgumentParser(
        prog="python -m benchmarks.conditional",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("--minutes", type=float, default=9.0, help="wall-clock budget per run (the presets' own: 9)")
    p.add_argument("--datasets", nargs="*", default=list(RUNS), choices=list(RUNS))
    p.add_argument("--run-dir", type=Path, default=None,
                   help=f"new folder for the runs (default: a new {RESULTS_DIR}/conditional-TIME)")  # fmt: skip
    p.add_argument("--summarize", action="store_true", help="measure the runs already in --run-dir, train nothing")
    out_option(p)
    args = p.parse_args(argv)
    logging.basicConfig(level=logging.WARNING)
    check_out(p, args.out)
    if args.summarize and args.run_dir is None:
        p.error("--summarize measures the runs in --run-dir: name it")
    run_dir = args.run_dir or RESULTS_DIR / f"conditional-{time.strftime('%Y%m%d-%H%M%S')}"
    if run_dir.exists() and not args.summarize:
        p.error(f"{run_dir} exists; runs are never overwritten, pick a new --run-dir (or --summarize it)")
    rows = []
    for dataset in args.datasets:
        for row, preset, overrides in RUNS[dataset]:
            rows.append(run_one(dataset, row, preset, overrides, run_dir, args.minutes))
            note(json.dumps(rows[-1]))
    print(f"machine: {describe(torch.device('cpu'))}, torch {torch.__version__}, budget {args.minutes} min per run")
    print("| dataset | method | steps | domain FD | cond. accuracy (real) | class FD mean (real) | CAS (real) |")
    print("|---|---|---|---|---|---|---|")
    for r in rows:

        def pair(key: str, r: dict = r) -> str:
            return f"{r[key]} ({r[key + '_real']})" if key in r else "-"

        print(f"| {r['dataset']} | {r['method']} | {r['steps']} | {r['domain_fd']} | {pair('conditioning_accuracy')} "
              f"| {pair('class_fd_mean')} | {pair('cas')} |")  # fmt: skip
    save_record("conditional", {"minutes": args.minutes, "run_dir": str(run_dir), "rows": rows}, args.out)


if __name__ == "__main__":
    main()
