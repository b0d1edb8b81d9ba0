"""Pictures of 2D point samples (the 'sample grid' of a point generator)."""

from __future__ import annotations

import io

import numpy as np
from PIL import Image


def scatter_image(points: np.ndarray, modes: np.ndarray | None = None, *, size: int = 480) -> np.ndarray:
    """Renders generated ``points [N, 2]`` (and the true ``modes [K, 2]`` as red crosses) to uint8 ``[H, W, 3]``."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(size / 100, size / 100), dpi=100)
    ax.scatter(points[:, 0], points[:, 1], s=2, alpha=0.5, color="tab:blue", label="generated")
    if modes is not None:
        ax.scatter(modes[:, 0], modes[:, 1], s=40, marker="x", color="tab:red", label="modes")
        span = np.abs(modes).max() * 1.5 + 1e-6
        ax.set_xlim(-span, span)
        ax.set_ylim(-span, span)
    ax.set_aspect("equal")
    ax.grid(alpha=0.3)
    ax.legend(loc="upper right", fontsize=7)
    fig.tight_layout()
    buf = io.BytesIO()
    fig.savefig(buf, format="png")
    plt.close(fig)
    buf.seek(0)
    with Image.open(buf) as im:
        return np.asarray(im.convert("RGB"))
