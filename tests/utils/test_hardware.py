"""CPU settings: every training run and checkpoint load flushes subnormals in all threads and keeps large buffers."""

import platform
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

# 39 MB tensors, each freed before the next is made: after ten (which may grow the heap), how many pages the kernel
# faulted in for thirty more
COUNT_PAGE_FAULTS = (
    "import resource, torch\n"
    "for _ in range(10): torch.ones(768, 50, 256)\n"
    "before = resource.getrusage(resource.RUSAGE_SELF).ru_minflt\n"
    "for _ in range(30): torch.ones(768, 50, 256)\n"
    "print(resource.getrusage(resource.RUSAGE_SELF).ru_minflt - before)"
)
PAGES_PER_TENSOR = 768 * 50 * 256 * 4 // 4096  # 9,600


def _call_failing_on_missing_input(module: str, call: str) -> str:
    """Code that calls an entry point of ``module`` on a missing input and ignores its error."""
    return f"from recbole_elcrec.{module} import *\ntry: {call}\nexcept Exception: pass"


def _printed_count(setup: str, count: str) -> int:
    code = f"{setup}\n{count}"
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120, cwd=REPO_ROOT)
    assert done.returncode == 0, done.stderr
    return int(done.stdout.split()[-1])


def _nonzero_products(setup: str) -> int:
    return _printed_count(setup, COUNT_SUBNORMAL_PRODUCTS)


def test_without_flushing_subnormal_products_stay_non_zero():
    assert _nonzero_products("") == 4_000_000


# the entry points of training, of S3Rec's pre-training and of loading a checkpoint prepare the CPU before they fail
# on a missing input
ENTRY_POINTS = [
    _call_failing_on_missing_input("quick_start.run", "run('SASRec', 'no-such-dataset')"),
    _call_failing_on_missing_input("quick_start.restore", "load_trained('no-such.pth')"),
    _call_failing_on_missing_input("quick_start.pretrain", "pretrain('S3Rec', 'no-such-dataset', [], {})"),
]


@pytest.mark.parametrize("setup", [
    "from recbole_elcrec.utils.hardware import flush_denormals; assert flush_denormals()", *ENTRY_POINTS,
])
def test_flushing_before_the_first_threads_makes_every_threads_products_zero(setup):
    assert _nonzero_products(setup) == 0


needs_glibc = pytest.mark.skipif(platform.libc_ver()[0] != "glibc", reason="mallopt's thresholds are glibc's")


@needs_glibc
def test_by_default_every_large_tensor_is_faulted_in_anew():
    assert _printed_count("", COUNT_PAGE_FAULTS) > 25 * PAGES_PER_TENSOR


@needs_glibc
@pytest.mark.parametrize("setup", [
    "from recbole_elcrec.utils.hardware import keep_large_buffers; assert keep_large_buffers()", *ENTRY_POINTS,
])
def test_keeping_large_buffers_reuses_their_pages(setup):
    assert _printed_count(setup, COUNT_PAGE_FAULTS) < PAGES_PER_TENSOR


def test_prepare_cpu_reports_each_setting_by_its_record_key():
    settings = _printed_count(
        "from recbole_elcrec.utils.hardware import prepare_cpu; s = prepare_cpu()",
        "print(int(s['denormals_flushed']) + 2 * int(s['large_buffers_kept']))")
    assert settings == (3 if platform.libc_ver()[0] == "glibc" else 1)


def test_the_commit_is_dirty_only_when_code_changed_not_records_or_docs(tmp_path):
    from recbole_elcrec.utils.hardware import package_commit

    def git(*args: str) -> str:
        return subprocess.run(["git", "-C", str(tmp_path), *args], capture_output=True, text=True,
                              check=True).stdout.strip()

    git("init", "-q")
    for name in ("recbole_elcrec/model.py", "results/tables.md", "results/a/run.json", "README.md"):
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text("before\n")
    git("add", ".")
    git("-c", "user.name=t", "-c", "user.email=t@t", "commit", "-qm", "start")
    head = git("rev-parse", "--short", "HEAD")
    for name in ("results/tables.md", "results/a/run.json", "README.md"):
        (tmp_path / name).write_text("after\n")
    (tmp_path / "results/a/new.json").write_text("{}\n")
    assert package_commit(tmp_path) == head
    (tmp_path / "recbole_elcrec/model.py").write_text("after\n")
    assert package_commit(tmp_path) == f"{head}+dirty"
    assert package_commit(tmp_path / "missing") is None
