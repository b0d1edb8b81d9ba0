"""A non-editable install carries everything a run needs: the presets, the shipped classifiers, the CLI.

Builds the wheel, installs it into a fresh virtual environment (its dependencies borrowed from this one through a
``.pth`` line, so nothing is downloaded) and runs the installed ``ganforge`` from a folder outside the source tree.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import sysconfig
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent


def _run(args: list[str], cwd: Path, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(args, cwd=cwd, env=env, capture_output=True, text=True, timeout=600, check=False)


def test_installed_wheel_has_presets_and_trains_from_another_folder(tmp_path: Path) -> None:
    source = tmp_path / "source"  # a copy: building writes build/ and *.egg-info beside the sources
    shutil.copytree(REPO / "ganforge", source / "ganforge", ignore=shutil.ignore_patterns("__pycache__"))
    for name in ("pyproject.toml", "README.md"):
        shutil.copy2(REPO / name, source / name)
    wheels = tmp_path / "wheels"
    built = _run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "-q", "-w", str(wheels),
                  str(source)], cwd=tmp_path)  # fmt: skip
    assert built.returncode == 0, built.stderr
    (wheel,) = wheels.glob("ganforge-*.whl")
    fresh = tmp_path / "fresh"
    assert _run([sys.executable, "-m", "venv", str(fresh)], cwd=tmp_path).returncode == 0
    python = fresh / "bin" / "python"
    site = _run([str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"], cwd=tmp_path)
    # torch and the other pinned dependencies come from this environment; ganforge itself only from the wheel
    (Path(site.stdout.strip()) / "borrowed.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")
    installed = _run([str(python), "-m", "pip", "install", "--no-deps", "--no-index", "-q", str(wheel)], cwd=tmp_path)
    assert installed.returncode == 0, installed.stderr

    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    where = _run([str(python), "-c", "import ganforge; print(ganforge.__file__)"], cwd=elsewhere, env=env)
    assert where.stdout.startswith(str(fresh)), where.stdout + where.stderr  # not the source tree
    ganforge = str(fresh / "bin" / "ganforge")
    presets = _run([ganforge, "presets"], cwd=elsewhere, env=env)
    assert presets.returncode == 0, presets.stderr
    listed = {line.split()[0] for line in presets.stdout.splitlines() if line.strip()}
    assert {"mnist-dcgan", "mnist-wgan-gp", "fashion-dcgan", "ring8-gan", "stacked-mnist-dcgan"} <= listed
    trained = _run([ganforge, "train", "mnist-dcgan", "--steps", "3", "--run-dir", "run", "data.limit=64",
                    "optim.batch_size=16", "model.g_width=8", "model.d_width=8", "eval.every=0", "train.threads=1"],
                   cwd=elsewhere, env=env)  # fmt: skip
    assert trained.returncode == 0, trained.stderr
    assert (elsewhere / "run" / "generator" / "model.safetensors").is_file()
    assert '"loss": "nonsaturating"' in (elsewhere / "run" / "config.json").read_text()
