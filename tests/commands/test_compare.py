"""The compare command: misspelt models, nothing to run, and real comparisons on tiny data."""

import json

import pytest

from recbole_elcrec.commands.compare import main
from recbole_elcrec.evaluation.tables import METRICS
from recbole_elcrec.quick_start import compare
from tests.helpers import TINY_DATASET, tiny_overrides


def test_unknown_model_is_named(capsys):
    assert main(["--models", "ELCRec,SASrec,Nope"]) == 2
    err = capsys.readouterr().err
    assert "Did you mean SASRec" in err and "unknown model 'Nope'" in err


@pytest.mark.parametrize(("argv", "message"), [(["--models", " , "], "no model to run in --models ' , '"),
                                               (["--models", "SASRec", "--seeds", "0"], "--seeds must be at least 1")])
def test_nothing_to_run_is_an_error(argv, message, tmp_path, capsys):
    assert main(argv + ["--out", str(tmp_path)]) == 2
    assert message in capsys.readouterr().err


def test_real_comparison_on_tiny_data(tiny_data_path, tmp_path, capsys):
    settings = tiny_overrides(tmp_path, tiny_data_path, epochs=1)
    argv = ["--dataset", TINY_DATASET, "--models", "ELCRec,SASRec", "--seeds", "2", "--out", str(tmp_path / "c")]
    assert main(argv + [f"--{key}={value}" for key, value in settings.items()]) == 0
    tables = (tmp_path / "c" / "tables.md").read_text()
    assert "no run has converged" in tables  # one epoch of a 1-epoch cap: both models hit the epoch cap
    capped = tables.split("did **not** converge")[1]
    assert capped.count("**") == 8 and capped.count("<u>") == 4 and "| ELCRec (epoch cap) | 2 |" in capped
    run_file = json.loads((tmp_path / "c" / TINY_DATASET / "paper" / "ELCRec-CE-seed2021.json").read_text())
    assert run_file["seed"] == 2021 and set(run_file["test_result"]) == set(METRICS)
    assert run_file["stop_reason"] == "epoch cap" and run_file["converged"] is False and run_file["commit"]
    assert run_file["denormals_flushed"] is True and run_file["large_buffers_kept"] is True
    assert run_file["settings"]["n_clusters"] == 4 and "data_path" not in run_file["settings"]


def test_real_ablation_on_tiny_data(tiny_data_path, tmp_path):
    settings = tiny_overrides(tmp_path, tiny_data_path, epochs=1)
    argv = ["--dataset", TINY_DATASET, "--ablation", "--seeds", "1", "--out", str(tmp_path / "a")]
    assert main(argv + [f"--{key}={value}" for key, value in settings.items()]) == 0
    tables = (tmp_path / "a" / "tables.md").read_text().split("Figure 4 ablation", 1)[1]
    assert all(f"| {name} (epoch cap) |" in tables for name in compare.ABLATION)
    run_file = json.loads((tmp_path / "a" / TINY_DATASET / "paper" / "ablation-plus_CCL-CE-seed2020.json").read_text())
    assert run_file["model"] == "ELCRec" and run_file["history"][0]["cluster"] == 0  # +CCL: no cluster loss
