"""int8 Inception (tried, not kept): speed and FID agreement of static int8 against fp32 and bf16.

    pip install --no-deps torchao==0.18.0      # not a ganforge dependency: only this experiment uses it
    .venv/bin/python benchmarks/int8_inception.py --n 500 --calib mnist:train fashion-mnist:train
    .venv/bin/python benchmarks/int8_inception.py --n 300 --calib mnist:train fashion-mnist:train \\
        --pairs RUN_DIR stacked-mnist:test          # a Stacked MNIST run's samples against the real test images

The frozen fp32 graph (:func:`ganforge.metrics.inception._optimized_graph`) is rebuilt as FX
(:func:`ganforge.metrics._fx.script_to_fx`), quantised with torchao's PT2E flow and ``X86InductorQuantizer``
(default config: int8 activations per tensor from histogram calibration on ``--ncalib`` training images per
``--calib`` set, int8 weights per channel; the first convolution, which sees the image itself, stays fp32 unless
``--quantize-first``) and compiled by inductor with freezing, like the bf16 graph. Printed: images/s of fp32 as
shipped, bf16 compiled and int8 compiled (median of alternating ``--rounds``), and for each FID pair its value
and relative difference to fp32. Results and why int8 is not offered: docs/PERFORMANCE.md.
"""

from __future__ import annotations

import argparse
import statistics
import time
from collections.abc import Callable

import numpy as np
import torch
from torch import Tensor

from ganforge.metrics._fx import script_to_fx
from ganforge.metrics.frechet import GaussianStats, frechet_distance
from ganforge.metrics.inception import InceptionFeatures, preprocess
from ganforge.metrics.sources import load_source


def quantized_int8(calibration: list[np.ndarray], example: Tensor, quantize_first: bool) -> Callable[..., Tensor]:
    """The Inception graph in static int8, calibrated on ``calibration`` (uint8 image arrays), compiled."""
    try:
        import torchao.quantization.pt2e.quantizer.x86_inductor_quantizer as xiq
        from torchao.quantization.pt2e.quantize_pt2e import convert_pt2e, prepare_pt2e
    except ImportError as exc:
        raise SystemExit(f"this experiment needs torchao ({exc}): pip install --no-deps torchao==0.18.0") from exc

    fp32 = InceptionFeatures("fp32-frozen", compile=False)
    module = torch.export.export(script_to_fx(fp32.net, example), (example,)).module()
    kind = {torch.ops.aten.conv2d.default: torch.nn.Conv2d, torch.ops.aten.relu.default: torch.nn.ReLU}
    for node in module.graph.nodes:  # the quantizer finds conv -> relu pairs by their source module type
        if node.target in kind:
            node.meta["source_fn_stack"] = [(node.name, kind[node.target])]

    class Quantizer(xiq.X86InductorQuantizer):
        def annotate(self, model: torch.fx.GraphModule) -> torch.fx.GraphModule:
            model = super().annotate(model)
            if not quantize_first:  # leave the first convolution (and its relu) in fp32
                first = next(n for n in model.graph.nodes if n.target == torch.ops.aten.conv2d.default)
                for node in (first, *first.users):
                    node.meta.pop("quantization_annotation", None)
            return model

    quantizer = Quantizer()
    quantizer.set_global(xiq.get_default_x86_inductor_quantization_config())
    prepared = prepare_pt2e(module, quantizer)
    batch = len(example)
    with torch.no_grad():
        for images in calibration:
            for start in range(0, len(images), batch):
                prepared(preprocess(images[start : start + batch], torch.float32, True))
    converted = convert_pt2e(prepared)
    with torch.no_grad(), torch._inductor.config.patch(freezing=True):
        compiled = torch.compile(converted, dynamic=False)
        compiled(example)
    return compiled


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--n", type=int, default=500, help="images per set")
    p.add_argument("--ncalib", type=int, default=100, help="calibration images per --calib set")
    p.add_argument("--calib", nargs="+", default=["mnist:train", "fashion-mnist:train"])
    p.add_argument("--pairs", nargs="+", default=["mnist:train", "mnist:test", "fashion-mnist:test", "mnist:test"],
                   help="sources, two per FID pair")  # fmt: skip
    p.add_argument("--quantize-first", action="store_true", help="quantise the first convolution too")
    p.add_argument("--rounds", type=int, default=3)
    p.add_argument("--batch-size", type=int, default=25)
    args = p.parse_args()
    if len(args.pairs) % 2:
        raise SystemExit("--pairs takes sources two by two")
    B = args.batch_size
    pairs = list(zip(args.pairs[::2], args.pairs[1::2], strict=True))
    sets = {s: load_source(s, n=args.n, seed=0).images for s in dict.fromkeys(args.pairs)}
    calibration = [load_source(s, n=args.ncalib, seed=1).images for s in args.calib]
    example = preprocess(next(iter(sets.values()))[:B], torch.float32, True)
    int8 = quantized_int8(calibration, example, args.quantize_first)

    @torch.no_grad()
    def run_int8(images: np.ndarray) -> np.ndarray:
        out = []
        for start in range(0, len(images), B):
            x = preprocess(images[start : start + B], torch.float32, True)
            n = len(x)
            if n < B:  # one shape for the compiled graph
                x = torch.cat([x, x.new_zeros(B - n, *x.shape[1:])]).contiguous(memory_format=torch.channels_last)
            out.append(int8(x)[:n].float().numpy())
        return np.concatenate(out).astype(np.float64)

    extractors: dict[str, Callable[[np.ndarray], np.ndarray]] = {
        "fp32 (as shipped)": InceptionFeatures("fp32", compile=False),
        "bf16 compiled": InceptionFeatures("bf16", compile=True),
        "int8 compiled": run_int8,
    }
    timing = sets[args.pairs[1]][: 4 * B]
    speeds: dict[str, list[float]] = {k: [] for k in extractors}
    for fn in extractors.values():
        fn(timing[:B])  # warm-up
    for r in range(args.rounds):
        for name in list(extractors) if r % 2 == 0 else list(extractors)[::-1]:
            started = time.perf_counter()
            extractors[name](timing)
            speeds[name].append(len(timing) / (time.perf_counter() - started))
    fids = {}
    for name, fn in extractors.items():
        stats = {s: GaussianStats.of(fn(images)) for s, images in sets.items()}
        fids[name] = [frechet_distance(stats[a], stats[b]) for a, b in pairs]
    print(f"{torch.get_num_threads()} threads, n = {args.n} per set, calibration {args.ncalib} x {args.calib}, "
          f"first convolution {'int8' if args.quantize_first else 'fp32'}")  # fmt: skip
    pair_names = [f"FID {a} vs {b}" for a, b in pairs]
    print("| variant | images/s | speed-up | " + " | ".join(f"{n} | rel. diff" for n in pair_names) + " |")
    print("|---|---|---|" + "---|---|" * len(pair_names))
    base_speed, base_fid = statistics.median(speeds["fp32 (as shipped)"]), fids["fp32 (as shipped)"]
    for name in extractors:
        speed = statistics.median(speeds[name])
        cells = " | ".join(f"{f:.3f} | {100 * (f / b - 1):+.2f}%" for f, b in zip(fids[name], base_fid, strict=True))
        print(f"| {name} | {speed:.1f} | {speed / base_speed:.2f}x | {cells} |")


if __name__ == "__main__":
    main()
