"""Generating, tiling and saving images."""

from ganforge.sampling.generate import class_names, generate, latents, load_generator, resolve_generator_dir
from ganforge.sampling.images import make_grid, save_npz, save_png, to_uint8
from ganforge.sampling.translate import read_inputs, translate

__all__ = [
    "class_names",
    "generate",
    "latents",
    "load_generator",
    "make_grid",
    "read_inputs",
    "resolve_generator_dir",
    "save_npz",
    "save_png",
    "to_uint8",
    "translate",
]
