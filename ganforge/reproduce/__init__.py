"""Published benchmark tables reproduced with ganforge's own presets, printed side by side (``ganforge bench``).

- :mod:`~ganforge.reproduce.modes2d`: ring of 8 / grid of 25 Gaussians (VEEGAN, PacGAN).
- :mod:`~ganforge.reproduce.stacked`: Stacked MNIST, 1,000 modes (VEEGAN, PacGAN).
- :mod:`~ganforge.reproduce.fid`: Inception FID per preset after a fixed CPU budget ("Are GANs Created Equal?").

Every suite trains into a new folder (never over existing runs) and returns plain records that
:func:`write_json` stores.
"""

from __future__ import annotations

import json
import statistics
from dataclasses import asdict, is_dataclass
from pathlib import Path
from typing import Any


def mean_std(values: list[float], fmt: str = ".3g") -> str:
    """``"m ± s"`` over seeds (just ``m`` for one value)."""
    if len(values) == 1:
        return format(values[0], fmt)
    return f"{format(statistics.mean(values), fmt)} ± {statistics.stdev(values):.2g}"


def write_json(path: Path, results: list[Any]) -> None:
    """Writes benchmark records (dataclasses) as a JSON list, atomically."""
    from ganforge.fileio import atomic_write_text

    rows = [asdict(r) if is_dataclass(r) and not isinstance(r, type) else r for r in results]
    atomic_write_text(path, json.dumps(rows, indent=2) + "\n")
