"""SHA-256 of the weights every preset trains in a short fixed-seed run: a refactor must leave them unchanged.

    .venv/bin/python scripts/preset_digests.py --out runs/digests.json            # record
    .venv/bin/python scripts/preset_digests.py --check runs/digests.json          # compare (exit 1 on a change)

Each preset trains ``--steps`` steps (default 20, so the lazy R1 phase and ``n_critic`` repeats run) on the
first 512 images (``data.limit``), with evaluation off and one CPU thread, into a temporary folder. The digest
covers the EMA generator's tensors (names, dtypes, shapes and bytes; not the file's metadata), the whole training
checkpoint's tensors (discriminator, optimisers, RNG states) and 16 images drawn from the generator with seed 0.
The digests depend on the CPU's kernels and the torch build: compare files recorded on the same machine.
``folder-dcgan`` trains on 512 MNIST digits written as PNG files into one folder; ``folder-cgan`` on the same digits
in one subfolder per class.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import sys
import tempfile
from pathlib import Path

import numpy as np
import torch
from PIL import Image
from safetensors.numpy import load_file

import ganforge
from ganforge.config import load_preset, preset_names
from ganforge.data import load_dataset


def tensor_digest(path: Path) -> str:
    """SHA-256 over the tensors of a safetensors file in name order (name, dtype, shape, bytes)."""
    tensors = load_file(str(path))
    h = hashlib.sha256()
    for name in sorted(tensors):
        t = np.ascontiguousarray(tensors[name])
        h.update(f"{name}|{t.dtype}|{list(t.shape)}|".encode())
        h.update(t.tobytes())
    return h.hexdigest()


def image_folder(root: Path, n: int = 512, *, classes: bool = False) -> Path:
    folder = root / ("class-images" if classes else "folder-images")
    folder.mkdir()
    mnist = load_dataset("mnist", "train")
    assert mnist.labels is not None
    for i, image in enumerate(mnist.images[:n]):  # uint8 [N, 28, 28, 1]
        sub = folder / f"digit_{mnist.labels[i]}" if classes else folder
        sub.mkdir(exist_ok=True)
        Image.fromarray(image[..., 0]).save(sub / f"{i:04d}.png")
    return folder


def digests(presets: list[str], steps: int) -> dict[str, dict[str, str]]:
    out: dict[str, dict[str, str]] = {}
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        folders: dict[bool, Path] = {}
        for name in presets:
            overrides: dict[str, object] = {
                "train.steps": steps,
                "train.threads": 1,
                "train.max_minutes": 0,
                "eval.every": 0,
                "data.limit": 512,
            }
            if name.startswith("folder"):
                classes = load_preset(name).data.classes == "subfolders"
                if classes not in folders:
                    folders[classes] = image_folder(root, classes=classes)
                overrides["data.path"] = str(folders[classes])
            run = ganforge.train(name, run_dir=root / name, overrides=overrides, progress=False)
            checkpoint = (
                run / "checkpoints" / (run / "checkpoints" / "latest").read_text().strip()
            ) / "state.safetensors"
            G = ganforge.load_generator(run)
            images, _ = ganforge.generate(G, 16, seed=0)
            out[name] = {
                "generator": tensor_digest(run / "generator" / "model.safetensors"),
                "checkpoint": tensor_digest(checkpoint),
                "samples": hashlib.sha256(np.ascontiguousarray(images).tobytes()).hexdigest(),
            }
            print(
                f"{name:24s} {out[name]['generator'][:16]} {out[name]['checkpoint'][:16]} {out[name]['samples'][:16]}"
            )
    return out


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--out", type=Path, help="write the digests here (a new file)")
    p.add_argument("--check", type=Path, help="compare with digests recorded earlier on this machine")
    p.add_argument("--steps", type=int, default=20)
    p.add_argument("--presets", nargs="+", default=None, help="default: every preset")
    args = p.parse_args(argv)
    presets = args.presets or preset_names()
    result = {"torch": torch.__version__, "cpu": torch.backends.cpu.get_cpu_capability(), "steps": args.steps,
              "presets": digests(presets, args.steps)}  # fmt: skip
    if args.out is not None:
        if args.out.exists():
            p.error(f"{args.out} exists; choose a new --out")
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.write_text(json.dumps(result, indent=2) + "\n")
    if args.check is not None:
        before = json.loads(args.check.read_text())
        changed = [n for n in presets if before["presets"].get(n) != result["presets"][n]]
        missing = [n for n in before["presets"] if n not in result["presets"]]
        for name in changed:
            print(f"changed: {name}: {before['presets'].get(name)} -> {result['presets'][name]}")
        print(
            f"{len(presets) - len(changed)} of {len(presets)} presets unchanged"
            + (f"; not run: {missing}" if missing else "")
        )
        return 1 if changed else 0
    return 0


if __name__ == "__main__":
    sys.exit(main())
