#!/usr/bin/env bash
# Download the wheels a stock PyTorch GPU image lacks (for a machine without network access).
#
# Usage:   benchmarks/offline_wheels.sh [DEST=.whl] [PYTHON_VERSION=3.12]
# Then, on the offline machine, from the repository root:
#   python3 -m pip install --no-index --no-deps --target /tmp/site DEST/*.whl && export PYTHONPATH=/tmp/site:$PWD
#
# The image is expected to hold torch, numpy, pandas, scipy, scikit-learn, tqdm, pyyaml, tabulate,
# colorama, tensorboard and matplotlib (as NVIDIA/PyTorch images do). Ray is not needed: the training
# path imports neither ray nor recbole.quick_start, and recbole_elcrec.utils.compat restores the numpy aliases
# RecBole's Config reads under numpy 2.
set -euo pipefail

dest="${1:-.whl}"
python_version="${2:-3.12}"
mkdir -p "$dest"
python3 -m pip download --quiet --no-deps --only-binary=:all: \
    --python-version "$python_version" --implementation cp \
    --platform manylinux_2_28_x86_64 --platform manylinux_2_27_x86_64 --platform manylinux_2_17_x86_64 \
    --platform manylinux2014_x86_64 --platform manylinux1_x86_64 \
    -d "$dest" recbole==1.2.1 colorlog texttable thop faiss-cpu==1.15.1
ls -1 "$dest"
