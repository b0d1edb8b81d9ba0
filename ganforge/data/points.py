"""Synthetic 2D mixtures for mode-collapse experiments (VEEGAN / PacGAN protocol).

- ``ring8``: 8 Gaussians with means evenly spaced on the circle of radius 1, σ = 0.01.
- ``grid25``: 25 Gaussians with means on {−4, −2, 0, 2, 4}², σ = 0.05.

Each is a fixed dataset of 100,000 points (``train``, seed 0) or 25,000 (``test``, seed 1), with the index
of the mode each point came from as its label. Points are raw coordinates (not scaled to [-1, 1]).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from ganforge.data.base import LoadRequest
from ganforge.errors import DataError

SPLIT_SIZES = {"train": (100_000, 0), "test": (25_000, 1)}


@dataclass(frozen=True, eq=False)
class PointArray:
    """A dataset of points drawn from a Gaussian mixture.

    Args:
        points: ``float32 [N, D]`` coordinates.
        labels: ``int64 [N]`` index of the mixture component of each point.
        modes: ``float64 [K, D]`` component means.
        std: Standard deviation of every component (isotropic).
        name: e.g. ``"ring8:train"``.
    """

    points: np.ndarray
    labels: np.ndarray
    modes: np.ndarray
    std: float
    name: str

    def __post_init__(self) -> None:
        if self.points.dtype != np.float32 or self.points.ndim != 2 or len(self.points) == 0:
            raise DataError(f"{self.name}: points must be float32 [N, D], got {self.points.dtype} {self.points.shape}")
        if self.labels.shape != (len(self.points),) or self.modes.shape[1] != self.points.shape[1]:
            raise DataError(f"{self.name}: labels [N] and modes [K, D] must match points [N, D]")

    @property
    def num_classes(self) -> int:
        return int(self.modes.shape[0])

    @property
    def dim(self) -> int:
        return int(self.points.shape[1])

    def __len__(self) -> int:
        return int(self.points.shape[0])


def ring_modes(k: int = 8, radius: float = 1.0) -> np.ndarray:
    angles = 2 * np.pi * np.arange(k) / k
    return np.stack([radius * np.cos(angles), radius * np.sin(angles)], axis=1)


def grid_modes(values: tuple[float, ...] = (-4, -2, 0, 2, 4)) -> np.ndarray:
    return np.array([(x, y) for x in values for y in values], dtype=np.float64)


def sample_mixture(modes: np.ndarray, std: float, n: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """``n`` points of the equal-weight mixture and their component indices."""
    rng = np.random.default_rng(seed)
    labels = rng.integers(0, len(modes), n)
    points = modes[labels] + std * rng.standard_normal((n, modes.shape[1]))
    return points.astype(np.float32), labels.astype(np.int64)


MIXTURES: dict[str, tuple[Callable[[], np.ndarray], float]] = {
    "ring8": (ring_modes, 0.01),
    "grid25": (grid_modes, 0.05),
}


def load_mixture(request: LoadRequest) -> PointArray:
    """The ``request.name`` mixture's ``request.split``."""
    if request.path or request.resolution or request.channels:
        raise DataError(f"{request.name} is a synthetic 2D dataset: data.path, resolution and channels do not apply")
    make_modes, std = MIXTURES[request.name]
    modes = make_modes()
    n, seed = SPLIT_SIZES[request.split]
    points, labels = sample_mixture(modes, std, n, seed)
    return PointArray(points, labels, modes, std, f"{request.name}:{request.split}")
