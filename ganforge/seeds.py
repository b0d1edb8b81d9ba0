"""The range of random seeds, checked where a seed enters (CLI options, ``train.seed``, the sampling API)."""

from __future__ import annotations

import operator

from ganforge.errors import ConfigError

#: Seeds a user gives are 0 .. 2**63 - 1, leaving room below torch's limit (:data:`MAX_DERIVED_SEED`) for the
#: offsets added to them (training noise: seed + 1; sample grids: seed + 1,000,003; benchmarks: 10,000 + seed).
MAX_SEED = 2**63 - 1
#: The largest seed ``torch.Generator.manual_seed`` takes.
MAX_DERIVED_SEED = 2**64 - 1


def check_seed(value: object, option: str, *, limit: int = MAX_SEED) -> int:
    """Returns ``value`` if it is a whole number from 0 to ``limit``, else raises :class:`ConfigError` naming
    ``option`` and the range."""
    try:
        seed = None if isinstance(value, bool) else operator.index(value)  # type: ignore[arg-type]
    except TypeError:
        seed = None
    if seed is None or not 0 <= seed <= limit:
        power = 63 if limit == MAX_SEED else 64
        raise ConfigError(f"{option} must be a whole number from 0 to {limit} (2**{power} - 1), got {value!r}")
    return seed
