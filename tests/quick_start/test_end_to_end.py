"""A real train + evaluate run through RecBole's data pipeline, trainer and evaluator."""

import json

import pytest
import torch

from recbole_elcrec.quick_start.run import run
from recbole_elcrec.utils.compat import load_checkpoint
from tests.helpers import TINY_DATASET, tiny_overrides


@pytest.fixture(scope="module")
def trained(tiny_data_path, tmp_path_factory):
    tmp_path = tmp_path_factory.mktemp("run")
    return run("ELCRec", TINY_DATASET, overrides=tiny_overrides(tmp_path, tiny_data_path)), tmp_path


def test_run_reports_valid_and_test_metrics(trained):
    result, _ = trained
    expected = {"hit@5", "hit@20", "ndcg@5", "ndcg@20"}
    assert set(result["test_result"]) == expected == set(result["best_valid_result"])
    assert all(0.0 <= value <= 1.0 for value in result["test_result"].values())
    assert result["epochs_run"] == 2
    assert set(result["history"][0]) >= {"epoch", "next_item", "seq_cl", "intent_cl", "cluster", "valid_score"}


def test_results_json_sits_beside_the_checkpoint(trained):
    result, _ = trained
    written = json.loads(open(result["results_file"]).read())
    assert result["results_file"] == result["checkpoint"].replace(".pth", ".json")
    assert written["test_result"] == result["test_result"]


def test_checkpoint_loads_with_weights_only(trained):
    result, _ = trained
    checkpoint = torch.load(result["checkpoint"], weights_only=True)
    assert checkpoint["model"] == "ELCRec" and "cluster_centres" in checkpoint["state_dict"]
    assert checkpoint["run_spec"]["dataset"] == TINY_DATASET


def test_resume_continues_from_last_checkpoint(trained, tiny_data_path, tmp_path):
    result, _ = trained
    last = load_checkpoint(result["resume_checkpoint"])
    assert last["epoch"] == 1
    resumed = run("ELCRec", TINY_DATASET, overrides=tiny_overrides(tmp_path, tiny_data_path, epochs=3),
                  resume=result["resume_checkpoint"])
    assert [record["epoch"] for record in resumed["history"]] == [0, 1, 2]
    assert load_checkpoint(resumed["resume_checkpoint"])["epoch"] == 2


@pytest.mark.parametrize("model", ["SASRec", "GRU4Rec"])
def test_recbole_baselines_run_with_safe_checkpoints(model, tiny_data_path, tmp_path):
    result = run(model, TINY_DATASET, overrides=tiny_overrides(tmp_path, tiny_data_path, epochs=1))
    assert set(result["test_result"]) == {"hit@5", "hit@20", "ndcg@5", "ndcg@20"}
    assert load_checkpoint(result["checkpoint"])["model"] == model


def test_the_record_names_the_commit_the_run_started_from(tiny_data_path, tmp_path, monkeypatch):
    """A checkout moved on during a long run does not relabel the code that trained it."""
    from recbole_elcrec.quick_start import run as run_module

    checkout = {"head": "abc1234"}
    monkeypatch.setattr(run_module, "package_commit", lambda: checkout["head"])
    result = run("SASRec", TINY_DATASET, overrides=tiny_overrides(tmp_path, tiny_data_path, epochs=1),
                 callback_fn=lambda epoch, score: checkout.update(head="def5678"))  # a commit lands mid-run
    assert result["commit"] == "abc1234"


def test_time_cap_stops_after_the_epoch_that_crosses_it(tiny_data_path, tmp_path):
    result = run("ELCRec", TINY_DATASET, overrides=tiny_overrides(tmp_path, tiny_data_path, epochs=5,
                                                                 time_cap_minutes=1e-6))
    assert result["stop_reason"] == "time cap" and not result["converged"]
    assert result["epochs_trained"] == 1 and result["best_epoch"] == 0
    assert set(result["test_result"]) == {"hit@5", "hit@20", "ndcg@5", "ndcg@20"}


def test_early_stopping_is_the_only_convergence(tiny_data_path, tmp_path, monkeypatch):
    from recbole_elcrec.quick_start import run as run_module

    answers = []  # what the time cap is told, after each validation, about RecBole's early stopping

    class RecordingWatch(run_module.ValidationWatch):
        def __call__(self, epoch_idx, valid_score):
            super().__call__(epoch_idx, valid_score)
            answers.append(self.stopping())

    capped = run("SASRec", TINY_DATASET, overrides=tiny_overrides(tmp_path, tiny_data_path, epochs=2))
    assert (capped["stop_reason"], capped["converged"], capped["epochs_trained"]) == ("epoch cap", False, 2)
    monkeypatch.setattr(run_module, "ValidationWatch", RecordingWatch)
    stopped = run("GRU4Rec", TINY_DATASET, overrides=tiny_overrides(tmp_path, tiny_data_path, epochs=50,
                                                                    stopping_step=1, learning_rate=0.05))
    assert (stopped["stop_reason"], stopped["converged"]) == ("early stopping", True)
    assert stopped["epochs_trained"] < 50 and stopped["eval_protocol"] == "paper"
    assert answers == [False] * (stopped["epochs_trained"] - 1) + [True]  # true only when RecBole stopped


def test_a_resumed_runs_best_epoch_and_stop_reason_count_the_epochs_before_the_resume():
    from recbole_elcrec.quick_start.run import ValidationWatch

    earlier = [{"epoch": 0, "valid_score": 0.5}, {"epoch": 1, "valid_score": 0.4}, {"epoch": 2, "train_seconds": 1.0}]
    watch = ValidationWatch(None, True, lambda: 0.0, earlier=earlier)
    watch(2, 0.3)
    assert watch.best_epoch() == 0 and watch.stop_reason(epochs=10) == "early stopping"
    assert ValidationWatch(None, False, lambda: 0.0, earlier=earlier).best_epoch() == 1  # smaller is better


def test_the_best_epoch_is_the_last_of_tied_scores_as_recbole_keeps_that_checkpoint():
    from recbole.utils import early_stopping

    from recbole_elcrec.quick_start.run import ValidationWatch

    scores = [0.03, 0.0396, 0.038, 0.0396, 0.037]
    watch = ValidationWatch(None, True, lambda: 0.0)
    best, steps, saved = -float("inf"), 0, None
    for epoch, score in enumerate(scores):
        watch(epoch, score)
        best, steps, _, update = early_stopping(score, best, steps, max_step=10)
        saved = epoch if update else saved
    assert watch.best_epoch() == saved == 3


def test_a_run_whose_patience_runs_out_at_the_cap_converged():
    """Early stopping and the cap at the same epoch: the run ended by its patience, not by the cap."""
    from recbole.utils import early_stopping

    from recbole_elcrec.quick_start.run import TimeCapReached, ValidationWatch

    def new_watch():
        """A one-minute cap passed in the fourth epoch; patience 2 kept as RecBole's fit keeps it."""
        seconds, patience = iter([15.0, 30.0, 45.0, 61.0]), {"best": -float("inf"), "step": 0, "stop": False}
        watch = ValidationWatch(1.0, True, lambda: next(seconds), stopping=lambda: patience["stop"])

        def validate(epoch: int, score: float) -> None:
            patience["best"], patience["step"], patience["stop"], _ = early_stopping(
                score, patience["best"], patience["step"], max_step=2)
            watch(epoch, score)
        return watch, validate

    watch, validate = new_watch()
    for epoch, score in enumerate([0.3, 0.2, 0.2, 0.1]):
        validate(epoch, score)  # the fourth epoch's score is the third below the best: patience 2 ran out
    assert watch.stop_reason(epochs=10) == "early stopping" and watch.best_epoch() == 0
    capped, validate = new_watch()
    for epoch, score in enumerate([0.3, 0.2, 0.2]):
        validate(epoch, score)
    with pytest.raises(TimeCapReached):
        validate(3, 0.3)  # a tie with the best: patience restarts, so only the cap ends the run
    assert capped.stop_reason(epochs=10) == "time cap"


def test_user_weighting_needs_sequence_mode(tiny_data_path, tmp_path):
    overrides = tiny_overrides(tmp_path, tiny_data_path, train_mode="prefix", next_item_weighting="user")
    with pytest.raises(ValueError, match="next_item_weighting: user needs train_mode: sequence"):
        run("SASRec", TINY_DATASET, overrides=overrides)
