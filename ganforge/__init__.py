"""ganforge: train, watch, evaluate and use GANs from one command or from Python.

>>> import ganforge
>>> run = ganforge.train("mnist-dcgan", overrides={"train.steps": 200})  # doctest: +SKIP
>>> G = ganforge.load_generator(run)                                      # doctest: +SKIP
>>> images, _ = ganforge.generate(G, 16, seed=0)                          # doctest: +SKIP

The names below are imported lazily, so ``import ganforge.metrics`` (or ``ganforge.data``) does not
pull in the training code.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"

_EXPORTS = {
    "train": "ganforge.api",
    "resume": "ganforge.api",
    "RunConfig": "ganforge.config",
    "load_preset": "ganforge.config",
    "generate": "ganforge.sampling",
    "load_generator": "ganforge.sampling",
    "translate": "ganforge.sampling",
}
__all__ = ["RunConfig", "generate", "load_generator", "load_preset", "resume", "train", "translate"]

if TYPE_CHECKING:
    from ganforge.api import resume as resume
    from ganforge.api import train as train
    from ganforge.config import RunConfig as RunConfig
    from ganforge.config import load_preset as load_preset
    from ganforge.sampling import generate as generate
    from ganforge.sampling import load_generator as load_generator
    from ganforge.sampling import translate as translate


def __getattr__(name: str) -> Any:
    if name in _EXPORTS:
        return getattr(importlib.import_module(_EXPORTS[name]), name)
    raise AttributeError(f"module 'ganforge' has no attribute {name!r}")
