"""Trains the domain classifier shipped in ganforge/assets/ for MNIST or Fashion-MNIST.

    .venv/bin/python scripts/train_domain_classifier.py mnist          # ~99.5% test accuracy
    .venv/bin/python scripts/train_domain_classifier.py fashion-mnist  # ~93% test accuracy

Trains on the full training split (random ±2 px shifts; horizontal flips for Fashion-MNIST), evaluates
on the test split, refuses to write weights below the required accuracy (99.3% / 92%), and writes
``ganforge/assets/domain_DATASET.safetensors`` atomically with its training record in the metadata.
Prints the file's SHA-256 for ``ganforge.metrics.domain.CLASSIFIERS``.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import math
import os
import sys
import time
from pathlib import Path

import torch
import torch.nn.functional as F
from safetensors.torch import save_file

from ganforge.data import load_dataset
from ganforge.metrics.domain import ASSETS, DomainClassifier, to_input

REQUIRED = {"mnist": 0.993, "fashion-mnist": 0.92}


def shifted(x: torch.Tensor, gen: torch.Generator, flip: bool) -> torch.Tensor:
    """Random ±2 px translation per image (zero padding at -1 = black) and optional horizontal flip."""
    b = x.shape[0]
    padded = F.pad(x, (2, 2, 2, 2), value=-1.0)  # [B, 1, 32, 32]
    oy = torch.randint(0, 5, (b,), generator=gen)
    ox = torch.randint(0, 5, (b,), generator=gen)
    rows = (oy[:, None] + torch.arange(28))[:, :, None]  # [B, 28, 1]
    cols = (ox[:, None] + torch.arange(28))[:, None, :]  # [B, 1, 28]
    out = padded[torch.arange(b)[:, None, None], 0, rows, cols].unsqueeze(1)  # [B, 1, 28, 28]
    if flip:
        mask = torch.rand(b, generator=gen) < 0.5
        out[mask] = out[mask].flip(-1)
    return out


@torch.no_grad()
def accuracy(model: DomainClassifier, x: torch.Tensor, y: torch.Tensor) -> float:
    model.eval()
    pred = torch.cat([model(x[i : i + 2000]).argmax(1) for i in range(0, len(x), 2000)])
    return float((pred == y).float().mean())


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("dataset", choices=sorted(REQUIRED))
    p.add_argument("--epochs", type=int, default=None, help="default: 6 (mnist), 15 (fashion-mnist)")
    p.add_argument("--batch-size", type=int, default=128)
    p.add_argument("--lr", type=float, default=3e-3)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--out", type=Path, default=None)
    args = p.parse_args()
    epochs = args.epochs or (6 if args.dataset == "mnist" else 15)
    torch.manual_seed(args.seed)
    gen = torch.Generator().manual_seed(args.seed)

    train, test = load_dataset(args.dataset, "train"), load_dataset(args.dataset, "test")
    assert train.labels is not None and test.labels is not None
    x, y = to_input(train.images), torch.from_numpy(train.labels)
    xt, yt = to_input(test.images), torch.from_numpy(test.labels)
    model = DomainClassifier()
    opt = torch.optim.AdamW(model.parameters(), lr=args.lr, weight_decay=5e-4)
    steps_per_epoch = math.ceil(len(x) / args.batch_size)
    sched = torch.optim.lr_scheduler.OneCycleLR(opt, max_lr=args.lr, total_steps=epochs * steps_per_epoch)
    started = time.perf_counter()
    for epoch in range(epochs):
        model.train()
        order = torch.randperm(len(x), generator=gen)
        for i in range(steps_per_epoch):
            idx = order[i * args.batch_size : (i + 1) * args.batch_size]
            xb = shifted(x[idx], gen, flip=args.dataset == "fashion-mnist")
            with torch.autocast("cpu", dtype=torch.bfloat16):
                loss = F.cross_entropy(model(xb), y[idx], label_smoothing=0.05)
            opt.zero_grad(set_to_none=True)
            loss.backward()
            opt.step()
            sched.step()
        acc = accuracy(model, xt, yt)
        print(f"epoch {epoch + 1}/{epochs}  loss {loss.item():.4f}  test accuracy {acc:.4f}  "
              f"{time.perf_counter() - started:.0f} s", flush=True)  # fmt: skip
    acc = accuracy(model, xt, yt)
    if acc < REQUIRED[args.dataset]:
        sys.exit(f"test accuracy {acc:.4f} is below the required {REQUIRED[args.dataset]}; nothing written")
    record = {
        "config": model.config,
        "dataset": args.dataset,
        "test_accuracy": round(acc, 5),
        "epochs": epochs,
        "seed": args.seed,
        "train_images_sha256": hashlib.sha256(train.images.tobytes()).hexdigest(),
        "torch": torch.__version__,
        "command": "scripts/train_domain_classifier.py " + " ".join(sys.argv[1:]),
    }
    out = args.out or ASSETS / f"domain_{args.dataset.replace('-', '_')}.safetensors"
    tmp = out.with_name(f".{out.name}.tmp")
    tensors = {k: v.detach().contiguous() for k, v in model.state_dict().items()}
    save_file(tensors, str(tmp), metadata={k: json.dumps(v) for k, v in record.items()})
    os.chmod(tmp, 0o644)
    os.replace(tmp, out)
    digest = hashlib.sha256(out.read_bytes()).hexdigest()
    print(json.dumps({**record, "file": str(out), "sha256": digest}, indent=2))


if __name__ == "__main__":
    main()
