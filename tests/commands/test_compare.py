"""The compare command: misspelt models, nothing to run, and real comparisons on tiny data."""

import json

import pytest

from recbole_elcrec.commands.compare import main
from recbole_elcrec.evaluation.tables import METRICS
from recbole_elcrec.quick_start import compare
from tests.helpers import PNG_SIGNATURE, TINY_DATASET, tiny_overrides


def test_unknown_model_is_named(capsys):
    assert main(["--models", "ELCRec,SASrec,Nope"]) == 2
    err = capsys.readouterr().err
    assert "Did you mean SASRec" in err and "unknown model 'Nope'" in err


@pytest.mark.parametrize(("argv", "message"), [(["--models", "S3Rec"], "no model left to run"),
                                               (["--models", "SASRec", "--seeds", "0"], "--seeds must be at least 1")])
def test_nothing_to_run_is_an_error(argv, message, tmp_path, capsys):
    assert main(argv + ["--out", str(tmp_path)]) == 2
    assert message in capsys.readouterr().err


def test_real_comparison_on_tiny_data(tiny_data_path, tmp_path, capsys):
    settings = tiny_overrides(tmp_path, tiny_data_path, epochs=1)
    argv = ["--dataset", TINY_DATASET, "--models", "ELCRec,SASRec,S3Rec", "--seeds", "2", "--out", str(tmp_path / "c")]
    assert main(argv + [f"--{key}={value}" for key, value in settings.items()]) == 0
    captured = capsys.readouterr()
    assert "skipping S3Rec" in captured.err
    table = (tmp_path / "c" / "table.md").read_text()
    assert table.count("**") == 8 and table.count("<u>") == 4
    run_file = json.loads((tmp_path / "c" / "runs" / "ELCRec-seed2021.json").read_text())
    assert run_file["seed"] == 2021 and set(run_file["test_result"]) == set(METRICS)


def test_real_ablation_on_tiny_data(tiny_data_path, tmp_path):
    settings = tiny_overrides(tmp_path, tiny_data_path, epochs=1)
    argv = ["--dataset", TINY_DATASET, "--ablation", "--seeds", "1", "--out", str(tmp_path / "a")]
    assert main(argv + [f"--{key}={value}" for key, value in settings.items()]) == 0
    assert (tmp_path / "a" / "ablation.png").read_bytes().startswith(PNG_SIGNATURE)
    table = (tmp_path / "a" / "ablation.md").read_text()
    assert all(f"| {name} |" in table for name in compare.ABLATION)
    run_file = json.loads((tmp_path / "a" / "runs" / "plus_CCL-seed2020.json").read_text())
    assert run_file["model"] == "ELCRec" and run_file["history"][0]["cluster"] == 0  # +CCL: no cluster loss
