"""Subnormal flushing: every training run and checkpoint load treats subnormal floats as zero in all threads."""

import subprocess
import sys
from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parents[2]

# 4M copies of a subnormal float32 times 1.0, on two threads: how many products stay non-zero
COUNT_SUBNORMAL_PRODUCTS = (
    "import torch; torch.set_num_threads(2); "
    "x = torch.full((4_000_000,), 1e-39); print(int((x * 1.0).count_nonzero()))"
)


def _call_failing_on_missing_input(module: str, call: str) -> str:
    """Code that calls an entry point of ``module`` on a missing input and ignores its error."""
    return f"from recbole_elcrec.{module} import *\ntry: {call}\nexcept Exception: pass"


def _nonzero_products(setup: str) -> int:
    code = f"{setup}\n{COUNT_SUBNORMAL_PRODUCTS}"
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120, cwd=REPO_ROOT)
    assert done.returncode == 0, done.stderr
    return int(done.stdout.split()[-1])


def test_without_flushing_subnormal_products_stay_non_zero():
    assert _nonzero_products("") == 4_000_000


@pytest.mark.parametrize("setup", [
    "from recbole_elcrec.utils.hardware import flush_denormals; assert flush_denormals()",
    # the entry points of training, of S3Rec's pre-training and of loading a checkpoint flush before they fail on a
    # missing input
    _call_failing_on_missing_input("quick_start.run", "run('SASRec', 'no-such-dataset')"),
    _call_failing_on_missing_input("quick_start.restore", "load_trained('no-such.pth')"),
    _call_failing_on_missing_input("quick_start.pretrain", "pretrain('S3Rec', 'no-such-dataset', [], {})"),
])
def test_flushing_before_the_first_threads_makes_every_threads_products_zero(setup):
    assert _nonzero_products(setup) == 0
