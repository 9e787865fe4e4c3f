"""Training runs on the device-resident loader, and the import-light training path."""

import os
import subprocess
import sys
from pathlib import Path

import pytest

from recbole_elcrec.quick_start.run import run
from tests.helpers import TINY_DATASET, tiny_overrides

REPO_ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.parametrize("extra", [{}, {"amp_dtype": "bf16", "compile": True}])
def test_fast_run_trains_elcrec_and_reports_metrics(extra, tiny_data_path, tmp_path):
    overrides = tiny_overrides(tmp_path, tiny_data_path, epochs=1, fast_train=True, **extra)
    result = run("ELCRec", TINY_DATASET, overrides=overrides)
    assert set(result["test_result"]) == {"hit@5", "hit@20", "ndcg@5", "ndcg@20"}
    assert all(0.0 <= value <= 1.0 for value in result["test_result"].values())
    assert result["epochs_run"] == 1 and result["history"][0]["next_item"] > 0


def test_fast_run_trains_a_recbole_baseline(tiny_data_path, tmp_path):
    result = run("SASRec", TINY_DATASET, overrides=tiny_overrides(tmp_path, tiny_data_path, epochs=1, fast_train=True))
    assert set(result["test_result"]) == {"hit@5", "hit@20", "ndcg@5", "ndcg@20"}


def test_training_path_does_not_import_ray_or_quick_start():
    code = ("import sys, recbole_elcrec.data.loaders, recbole_elcrec.quick_start.run, recbole_elcrec.trainer.trainer, "
            "recbole_elcrec.trainer.distributed, recbole_elcrec.quick_start.distributed; "
            "bad = [m for m in sys.modules if m == 'ray' or m.startswith(('ray.', 'recbole.quick_start'))]; "
            "print(bad); sys.exit(1 if bad else 0)")
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, [str(REPO_ROOT), os.environ.get("PYTHONPATH")]))}
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120, cwd=REPO_ROOT,
                          env=env)
    assert done.returncode == 0, done.stdout + done.stderr
