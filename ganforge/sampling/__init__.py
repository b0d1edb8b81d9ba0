"""Generating, tiling and saving images."""

from ganforge.sampling.generate import class_names, generate, latents, load_generator, resolve_generator_dir
from ganforge.sampling.images import make_grid, save_npz, save_png, to_uint8

__all__ = [
    "class_names",
    "generate",
    "latents",
    "load_generator",
    "make_grid",
    "resolve_generator_dir",
    "save_npz",
    "save_png",
    "to_uint8",
]
