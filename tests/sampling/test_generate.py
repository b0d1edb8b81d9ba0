"""generate(): the labels a user may pass (the ones it returned included) and clear errors for the rest."""

import hashlib
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import torch

from ganforge.errors import ConfigError, GanforgeError
from ganforge.models import MODELS, save_pretrained
from ganforge.sampling import generate, load_generator


def conditional_generator() -> torch.nn.Module:
    torch.manual_seed(0)
    return MODELS.get("mlp").generator(z_dim=16, channels=1, resolution=28, width=8, num_classes=10)


def test_labels_as_tensor_array_or_list_give_the_same_images() -> None:
    G = conditional_generator()
    cycled, labels = generate(G, 6, seed=3)
    assert labels is not None and labels.tolist() == [0, 1, 2, 3, 4, 5]
    for given in (labels, torch.from_numpy(labels), labels.tolist(), labels.astype(np.int32)):  # incl. what it returned
        images, back = generate(G, 6, seed=3, labels=given)
        assert np.array_equal(images, cycled) and back is not None and back.tolist() == labels.tolist()
    sevens, _ = generate(G, 6, seed=3, labels=[7] * 6)
    assert not np.array_equal(sevens, cycled)  # the labels condition the images
    assert np.array_equal(generate(G, 6, seed=3, batch_size=4)[0], cycled)  # any batch size, same images


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"labels": [0.5] * 4}, "labels must be 4 integers"),
        ({"labels": [1, 2, 3]}, "labels must be 4 integers"),
        ({"labels": [0, 1, 2, 10]}, r"class numbers 0\.\.9, got 0\.\.10"),
        ({"labels": [-1, 0, 0, 0]}, "class numbers"),
        ({"batch_size": 0}, "batch_size must be >= 1"),
    ],
)
def test_bad_labels_and_batch_size_are_named(kwargs: dict, message: str) -> None:
    with pytest.raises(GanforgeError, match=message):
        generate(conditional_generator(), 4, **kwargs)


def test_labels_for_an_unconditional_generator_are_refused() -> None:
    torch.manual_seed(0)
    G = MODELS.get("mlp").generator(z_dim=16, channels=1, resolution=28, width=8, num_classes=0)
    with pytest.raises(GanforgeError, match="only for a conditional generator"):
        generate(G, 2, labels=[0, 1])


def test_load_generator_names_a_bad_device(tmp_path: Path) -> None:
    save_pretrained(conditional_generator(), tmp_path / "g", family="mlp", role="generator")
    assert next(load_generator(tmp_path / "g", device="auto").parameters()).device.type in ("cpu", "cuda")
    with pytest.raises(ConfigError, match="device='gpu' is not a device; use auto, cpu, cuda or cuda:N"):
        load_generator(tmp_path / "g", device="gpu")
    if not torch.cuda.is_available():
        with pytest.raises(ConfigError, match="CUDA is not available here"):
            load_generator(tmp_path / "g", device="cuda")


def test_same_seed_gives_the_same_bytes_in_every_process(tmp_path: Path) -> None:
    """`ganforge sample RUN --seed 7` in fresh processes at the default thread count: byte-identical files.

    Four processes at a time on a 2-core machine: the load makes the two threads of a process start the
    generator's first tanh together, the case in which MKL's vector math once computed half of it differently.
    """
    import ganforge

    overrides = {"data.limit": 64, "optim.batch_size": 16, "train.steps": 2, "train.checkpoint_every": 2}
    run = ganforge.train("mnist-dcgan", run_dir=tmp_path / "run", overrides={**overrides, "eval.every": 0})
    env = {k: v for k, v in os.environ.items() if k not in ("OMP_NUM_THREADS", "MKL_NUM_THREADS")}
    outs = [tmp_path / f"s{i}.png" for i in range(8)]
    for group in (outs[:4], outs[4:]):
        argvs = [[sys.executable, "-m", "ganforge", "sample", str(run), "--seed", "7", "--out", str(o)] for o in group]
        procs = [subprocess.Popen(a, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE) for a in argvs]
        assert all(p.wait(timeout=300) == 0 for p in procs), [p.stderr.read() for p in procs if p.stderr]
    digests = {hashlib.sha256(out.read_bytes()).hexdigest() for out in outs}
    assert len(digests) == 1, f"{len(digests)} different files from 8 processes"
