"""DeviceDataset: values, and batches that are a pure function of (seed, step, batch_size)."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from ganforge.data import DeviceDataset, ImageArray
from ganforge.data.device import epoch_seed
from ganforge.errors import DataError


def indexed_array(n: int) -> ImageArray:
    """Images whose first two pixels encode their index; label = index % 7 (to check alignment)."""
    images = np.zeros((n, 4, 4, 1), dtype=np.uint8)
    images[:, 0, 0, 0] = np.arange(n) % 256
    images[:, 0, 1, 0] = np.arange(n) // 256
    return ImageArray(images=images, labels=np.arange(n, dtype=np.int64) % 7, num_classes=7, name="indexed")


def decode_index(batch: torch.Tensor) -> torch.Tensor:
    pixels = ((batch[:, 0, 0, :2] + 1) / 2 * 255).round().long()  # [B, 2]
    return pixels[:, 0] + 256 * pixels[:, 1]


def test_images_are_float_in_minus_one_one(mnist_test: ImageArray) -> None:
    data = DeviceDataset(mnist_test)
    assert data.images.shape == (10000, 1, 28, 28) and data.images.dtype == torch.float32
    assert (data.images.min().item(), data.images.max().item()) == (-1.0, 1.0)
    expected = torch.from_numpy(mnist_test.images[:5]).permute(0, 3, 1, 2).float() / 255 * 2 - 1
    torch.testing.assert_close(data.images[:5], expected, rtol=0, atol=1e-6)
    assert data.labels is not None and data.labels.dtype == torch.int64
    assert data.labels[:10].tolist() == [7, 2, 1, 0, 4, 1, 4, 9, 5, 9]
    assert data.num_classes == 10 and len(data) == 10000


def test_batches_are_a_pure_function_of_seed_and_step(mnist_test: ImageArray) -> None:
    a, b = DeviceDataset(mnist_test, seed=3), DeviceDataset(mnist_test, seed=3)
    steps = [0, 1, 2, 156, 157, 400]  # crosses epochs (156 batches of 64 per epoch)
    for step in steps:  # b is asked in reverse order: no hidden state may leak between calls
        images_a, labels_a = a.batch(step, 64)
        b.batch(steps[len(steps) - 1 - steps.index(step)], 64)
        images_b2, labels_b2 = b.batch(step, 64)
        assert torch.equal(images_a, images_b2) and labels_a is not None and torch.equal(labels_a, labels_b2)
    first, _ = a.batch(0, 64)
    assert not torch.equal(first, a.batch(1, 64)[0])
    assert not torch.equal(first, a.batch(156, 64)[0])  # the next epoch is reshuffled
    assert not torch.equal(first, DeviceDataset(mnist_test, seed=4).batch(0, 64)[0])


def test_every_index_once_per_epoch_with_aligned_labels() -> None:
    data = DeviceDataset(indexed_array(1000), seed=0)
    per_epoch = data.batches_per_epoch(64)
    assert per_epoch == 15  # drop-last: 15 * 64 = 960
    for epoch in range(2):
        seen = []
        for step in range(epoch * per_epoch, (epoch + 1) * per_epoch):
            images, labels = data.batch(step, 64)
            assert images.shape == (64, 1, 4, 4) and labels is not None
            index = decode_index(images)
            assert torch.equal(labels, index % 7)
            seen.append(index)
        everything = torch.cat(seen)
        assert everything.unique().numel() == 960  # no index twice
        assert torch.equal(torch.sort(data.permutation(epoch)[:960]).values, torch.sort(everything).values)
    exact = DeviceDataset(indexed_array(640), seed=1)
    indices = torch.cat([decode_index(exact.batch(step, 64)[0]) for step in range(10)])
    assert torch.equal(torch.sort(indices).values, torch.arange(640))  # N divisible: every index exactly once


def test_epoch_seed_is_stable_across_versions() -> None:
    # Changing the derivation would silently change the batches of resumed runs.
    assert epoch_seed(0, 0) == 8359866622583113786
    assert epoch_seed(1234, 7) == 259401143106236121


def test_channels_last_and_unlabelled(mnist_test: ImageArray) -> None:
    unlabelled = ImageArray(images=mnist_test.images[:100].repeat(3, axis=-1), labels=None, num_classes=0, name="x")
    data = DeviceDataset(unlabelled, channels_last=True)
    images, labels = data.batch(0, 32)
    assert labels is None and images.shape == (32, 3, 28, 28)
    assert images.is_contiguous(memory_format=torch.channels_last)
    assert DeviceDataset(unlabelled).images.is_contiguous()  # default: plain NCHW
    plain, _ = DeviceDataset(unlabelled).batch(0, 32)
    assert torch.equal(images, plain)


def test_batch_size_larger_than_dataset_is_an_error(mnist_test: ImageArray) -> None:
    small = ImageArray(images=mnist_test.images[:10], labels=None, num_classes=0, name="tiny")
    with pytest.raises(DataError, match="tiny holds 10 images, fewer than batch_size=16"):
        DeviceDataset(small).batch(0, 16)
    with pytest.raises(ValueError, match="batch_size must be >= 1"):
        DeviceDataset(small).batch(0, 0)


@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA device")
def test_cuda_batches_equal_cpu_batches(mnist_test: ImageArray) -> None:
    cpu, gpu = DeviceDataset(mnist_test, seed=5), DeviceDataset(mnist_test, "cuda", seed=5)
    assert gpu.images.is_cuda
    for step in (0, 200):
        images, labels = gpu.batch(step, 128)
        assert images.is_cuda and labels is not None and labels.is_cuda
        expected_images, expected_labels = cpu.batch(step, 128)
        assert torch.equal(images.cpu(), expected_images) and torch.equal(labels.cpu(), expected_labels)
