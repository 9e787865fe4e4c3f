"""The tune command: a bad search space stops before Ray, and a real two-trial search resumes."""

import json

import pandas as pd

from recbole_elcrec.commands.tune import main
from tests.helpers import PNG_SIGNATURE, TINY_DATASET, tiny_overrides


def test_bad_spec_exits_2_before_ray_starts(capsys):
    assert main(["--alpha", "1,,x"]) == 2
    assert "empty value" in capsys.readouterr().err


def test_two_trial_search_on_local_ray_and_resume(tiny_data_path, tmp_path, capsys):
    settings = tiny_overrides(tmp_path, tiny_data_path, epochs=1)
    settings.pop("checkpoint_dir")
    argv = ["--dataset", TINY_DATASET, "--alpha", "0.1,1", "--k", "4", "--num-cpus", "2", "--grace-period", "2",
            "--out", str(tmp_path / "out")]
    argv += [f"--{key}={value}" for key, value in settings.items()]
    assert main(argv) == 0
    out = tmp_path / "out"
    trials = pd.read_csv(out / "trials.csv")
    assert sorted(trials["alpha"]) == [0.1, 1.0] and (trials["status"] == "finished").all()
    best = json.loads((out / "best.json").read_text())
    assert set(best["test"]) == {"hit@5", "hit@20", "ndcg@5", "ndcg@20"}
    for plot in ("sensitivity_alpha.png", "sensitivity_k.png"):
        assert (out / plot).read_bytes().startswith(PNG_SIGNATURE)
    checkpoints = sorted((out / "checkpoints").iterdir())
    assert len(checkpoints) == 6  # best, last and results JSON of each trial
    assert main(argv) == 0  # the rerun restores the finished experiment instead of training again
    assert sorted((out / "checkpoints").iterdir()) == checkpoints
