"""Tasks: what one sample of a model is, and so how it is drawn and judged.

A recipe says which task a run trains (:attr:`ganforge.recipes.Recipe.task`); sampling, ``ganforge eval``, the
CLI and the metric registry ask the task instead of the dataset's name. Today's adversarial recipe trains
``unconditional`` (``z -> image``) or, with ``model.conditional``, ``conditional`` (``(z, class) -> image``)
generators; ``translation`` (``image -> image``) and ``anomaly`` (``image -> score``) are the shapes of the
image-to-image and anomaly-detection methods.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from ganforge.registry import Registry


@dataclass(frozen=True)
class Task:
    """What a model maps from and to.

    Attributes:
        name: Registry name.
        inputs: What one sample needs: ``z`` (a latent), ``class`` (a label), ``image`` (an input image).
        output: What it produces: ``image`` (or a 2D point for point data) or ``score`` (one number per input).
        description: One line for listings.
    """

    name: str
    inputs: tuple[Literal["z", "class", "image"], ...]
    output: Literal["image", "score"]
    description: str


TASKS: Registry[Task] = Registry("task")
for _task in (
    Task("unconditional", ("z",), "image", "z -> image: samples of the training distribution"),
    Task("conditional", ("z", "class"), "image", "(z, class) -> image: samples of the class asked for"),
    Task("translation", ("image",), "image", "image -> image: translation, restoration, super-resolution"),
    Task("anomaly", ("image",), "score", "image -> score: how unlike the training images an image is"),
):
    TASKS.add(_task.name, _task)


def generator_task(num_classes: int) -> Task:
    """The task of a generator: ``conditional`` when it takes ``num_classes > 0`` labels, else ``unconditional``."""
    return TASKS.get("conditional" if num_classes > 0 else "unconditional")
