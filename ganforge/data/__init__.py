"""Datasets: verified sources (MNIST, Fashion-MNIST, image folders, npz) -> ImageArray -> DeviceDataset.

>>> from ganforge.data import DeviceDataset, load_dataset
>>> train = DeviceDataset(load_dataset("mnist", resolution=32), "cuda", seed=0)
>>> images, labels = train.batch(step=0, batch_size=64)  # [64, 1, 32, 32] in [-1, 1], [64]
"""

from ganforge.data.base import DatasetSource, ImageArray, LoadRequest
from ganforge.data.device import DeviceDataset
from ganforge.data.loading import DATASETS, load_dataset, load_points
from ganforge.data.points import PointArray

__all__ = [
    "DATASETS",
    "DatasetSource",
    "DeviceDataset",
    "ImageArray",
    "LoadRequest",
    "PointArray",
    "load_dataset",
    "load_points",
]
