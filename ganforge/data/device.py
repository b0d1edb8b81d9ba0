"""The whole dataset as one tensor on the training device, batched by index (no per-step Python loading)."""

from __future__ import annotations

import hashlib

import torch

from ganforge.data.base import ImageArray
from ganforge.data.points import PointArray
from ganforge.errors import DataError


def epoch_seed(seed: int, epoch: int) -> int:
    """A 63-bit generator seed derived from ``(seed, epoch)``; stable across processes and Python versions."""
    digest = hashlib.blake2b(f"ganforge-epoch:{seed}:{epoch}".encode(), digest_size=8).digest()
    return int.from_bytes(digest, "little") & (2**63 - 1)


class DeviceDataset:
    """Whole dataset as one tensor on the training device; batches by index, no per-step Python loading.

    Batch ``step`` is a pure function of ``(seed, step, batch_size)``: epoch ``e = step // (N // batch_size)``
    uses the permutation ``torch.randperm(N)`` drawn from a CPU generator seeded with ``epoch_seed(seed, e)``,
    and the batch is slice ``step % (N // batch_size)`` of it. The last ``N % batch_size`` images of each
    permutation are dropped (drop-last), so every batch is full. A resumed run therefore sees exactly the
    batches it would have seen; the only state kept is a cache of the current epoch's permutation.

    Args:
        array: The dataset, e.g. from :func:`ganforge.data.load_dataset`.
        device: Where the images live and batches are produced.
        seed: Shuffling seed.
        channels_last: Store images (and return batches) in ``torch.channels_last`` memory format.

    Attributes:
        images: ``float32 [N, C, H, W]`` in ``[-1, 1]`` (``x / 255 * 2 - 1``) on ``device``; for a
            :class:`~ganforge.data.points.PointArray`, its raw points ``float32 [N, D]``.
        labels: ``int64 [N]`` on ``device``, or ``None`` for an unlabelled dataset.
        num_classes: From ``array`` (0 when unlabelled).
    """

    def __init__(
        self,
        array: ImageArray | PointArray,
        device: torch.device | str = "cpu",
        *,
        seed: int = 0,
        channels_last: bool = False,
    ) -> None:
        self.device = torch.device(device)
        self.seed = int(seed)
        self.num_classes = array.num_classes
        self.name = array.name
        self._cached_epoch: int | None = None
        self._cached_perm: torch.Tensor | None = None
        if isinstance(array, PointArray):  # 2D mixtures: raw coordinates [N, D], labels = mode index
            self.channels_last = False
            self.images: torch.Tensor = torch.from_numpy(array.points).to(self.device)
            self.labels: torch.Tensor | None = torch.from_numpy(array.labels).to(self.device)
            return
        self.channels_last = channels_last
        # Move uint8 (4x smaller) and convert on the device.
        host = array.images if array.images.flags.writeable else array.images.copy()  # torch wants writable memory
        pixels = torch.from_numpy(host).to(self.device).permute(0, 3, 1, 2)  # [N, C, H, W] uint8
        images = pixels.to(torch.float32).div_(255.0).mul_(2.0).sub_(1.0)  # [N, C, H, W] in [-1, 1]
        memory_format = torch.channels_last if channels_last else torch.contiguous_format
        self.images = images.contiguous(memory_format=memory_format)
        self.labels = torch.from_numpy(array.labels).to(self.device, torch.int64) if array.labels is not None else None

    def __len__(self) -> int:
        return int(self.images.shape[0])

    def batches_per_epoch(self, batch_size: int) -> int:
        """Number of full batches in one epoch (drop-last)."""
        self._check_batch_size(batch_size)
        return len(self) // batch_size

    def permutation(self, epoch: int) -> torch.Tensor:
        """The index order of ``epoch`` (``int64 [N]`` on the device); cached for the latest epoch asked for."""
        if self._cached_epoch != epoch or self._cached_perm is None:
            generator = torch.Generator().manual_seed(epoch_seed(self.seed, epoch))
            self._cached_perm = torch.randperm(len(self), generator=generator).to(self.device)
            self._cached_epoch = epoch
        return self._cached_perm

    def batch(self, step: int, batch_size: int) -> tuple[torch.Tensor, torch.Tensor | None]:
        """Returns batch ``step`` as ``(images [B, C, H, W] in [-1, 1], labels [B] or None)``.

        Args:
            step: Global step, counted from 0 over all epochs.
            batch_size: Images per batch; at most the dataset size.

        Raises:
            DataError: If the dataset holds fewer than ``batch_size`` images.
            ValueError: If ``step`` is negative or ``batch_size`` is not positive.
        """
        if step < 0:
            raise ValueError(f"step must be >= 0, got {step}")
        per_epoch = self.batches_per_epoch(batch_size)
        epoch, index = divmod(step, per_epoch)
        rows = self.permutation(epoch)[index * batch_size : (index + 1) * batch_size]
        images = self.images.index_select(0, rows)
        if self.channels_last:
            images = images.contiguous(memory_format=torch.channels_last)
        labels = self.labels.index_select(0, rows) if self.labels is not None else None
        return images, labels

    def _check_batch_size(self, batch_size: int) -> None:
        if batch_size < 1:
            raise ValueError(f"batch_size must be >= 1, got {batch_size}")
        if batch_size > len(self):
            raise DataError(
                f"{self.name} holds {len(self)} images, fewer than batch_size={batch_size}; "
                "lower the batch size or use a larger dataset"
            )
