"""Resume (issue #17, cases 3, 4, 5, 8): exact on the CPU, settings checked, never overwriting another run's files."""

import hashlib
import shutil
from pathlib import Path

import pytest
import torch
from recbole.trainer import Trainer

from recbole_elcrec.evaluation.selection import checkpoint_epoch
from recbole_elcrec.quick_start.run import run
from recbole_elcrec.trainer.resume import ResumeError, TrainingInterrupted
from recbole_elcrec.trainer.trainer import ELCRecTrainer
from recbole_elcrec.utils.compat import load_checkpoint
from recbole_elcrec.utils.fingerprint import SettingsMismatchError
from tests.helpers import TINY_DATASET, tiny_overrides


def interrupt_at(monkeypatch, epoch: int) -> None:
    """Ctrl-C when training reaches ``epoch`` (this package's trainer and RecBole's alike)."""
    for trainer_class in (ELCRecTrainer, Trainer):
        original = trainer_class._train_epoch

        def interrupted(self, train_data, epoch_idx, *args, _original=original, **kwargs):
            if epoch_idx == epoch:
                raise KeyboardInterrupt
            return _original(self, train_data, epoch_idx, *args, **kwargs)

        monkeypatch.setattr(trainer_class, "_train_epoch", interrupted)


def weights(path: str) -> dict[str, torch.Tensor]:
    return load_checkpoint(path)["state_dict"]


def digest(path: str | Path) -> str:
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()


@pytest.mark.parametrize(("model", "extra"), [
    ("ELCRec", {}), ("ELCRec", {"train_mode": "prefix"}), ("ELCRec", {"train_mode": "prefix", "fast_train": True}),
    ("SASRec", {}), ("GRU4Rec", {}),
], ids=["ELCRec-sequence-loader", "ELCRec-recbole-loader", "ELCRec-fast-train", "SASRec", "GRU4Rec-recbole-trainer"])
def test_interrupted_and_resumed_run_repeats_the_uninterrupted_one_exactly(model, extra, tiny_data_path, tmp_path,
                                                                           monkeypatch):
    settings = tiny_overrides(tmp_path / "full", tiny_data_path, hidden_dropout_prob=0.2, **extra)
    full = run(model, TINY_DATASET, overrides=settings)
    with monkeypatch.context() as patch:
        interrupt_at(patch, 1)
        with pytest.raises(TrainingInterrupted) as raised:
            run(model, TINY_DATASET, overrides={**settings, "checkpoint_dir": str(tmp_path / "cut")})
    last = raised.value.last_checkpoint
    assert last.endswith("-last.pth") and load_checkpoint(last)["epoch"] == 0
    resumed = run(model, TINY_DATASET, overrides={**settings, "checkpoint_dir": str(tmp_path / "cut")}, resume=last)
    assert resumed["test_result"] == full["test_result"] and resumed["best_valid_result"] == full["best_valid_result"]
    final, again = weights(full["resume_checkpoint"]), weights(resumed["resume_checkpoint"])
    assert all(torch.equal(final[name], again[name]) for name in final)
    if model == "ELCRec":
        assert resumed["history"] == [{**record, "train_seconds": mine["train_seconds"]}
                                      for record, mine in zip(full["history"], resumed["history"], strict=True)]
    assert resumed["epochs_run"] == full["epochs_run"] == 2
    assert resumed["train_seconds"] > load_checkpoint(last)["train_seconds"] > 0
    for key in ("best_epoch", "epochs_trained", "stop_reason"):  # the epochs before the interruption count
        assert resumed[key] == full[key], key


@pytest.fixture(scope="module")
def finished(tiny_data_path, tmp_path_factory):
    """A two-epoch ELCRec run: its results."""
    return run("ELCRec", TINY_DATASET, overrides=tiny_overrides(tmp_path_factory.mktemp("resume"), tiny_data_path))


@pytest.mark.parametrize(("model", "extra", "error", "message"), [
    ("ELCRec", {"hidden_size": 32}, SettingsMismatchError, r"trained with other settings: hidden_size: 16 -> 32"),
    ("ELCRec", {"alpha": 5}, SettingsMismatchError, r"alpha: 1.0 -> 5"),
    ("SASRec", {}, ResumeError, r"it was trained with model 'ELCRec', not 'SASRec'"),
])
def test_resume_refuses_other_settings_before_any_work(model, extra, error, message, finished, tiny_data_path,
                                                       tmp_path, monkeypatch):
    monkeypatch.setattr("recbole_elcrec.quick_start.run.load_data", lambda config: pytest.fail("data was loaded"))
    with pytest.raises(error, match=message):
        run(model, TINY_DATASET, overrides=tiny_overrides(tmp_path, tiny_data_path, **extra),
            resume=finished["resume_checkpoint"])


def test_a_changed_learning_rate_takes_effect_on_resume(finished, tiny_data_path, tmp_path):
    copy = tmp_path / "copy" / "run-last.pth"
    copy.parent.mkdir()
    shutil.copy(finished["resume_checkpoint"], copy)
    resumed = run("ELCRec", TINY_DATASET, overrides=tiny_overrides(tmp_path, tiny_data_path, epochs=3,
                                                                   learning_rate=0.5), resume=copy)
    optimizer = load_checkpoint(resumed["resume_checkpoint"])["optimizer"]
    assert {group["lr"] for group in optimizer["param_groups"]} == {0.5}
    assert load_checkpoint(resumed["resume_checkpoint"])["fingerprint"]["settings"]["learning_rate"] == 0.5


def test_a_copied_last_checkpoint_resumes_beside_the_copy_and_leaves_the_original_alone(finished, tiny_data_path,
                                                                                       tmp_path):
    originals = [finished["checkpoint"], finished["results_file"], finished["resume_checkpoint"]]
    before = [digest(path) for path in originals]
    copy = tmp_path / "elsewhere" / Path(finished["resume_checkpoint"]).name
    copy.parent.mkdir()
    shutil.copy(finished["resume_checkpoint"], copy)
    resumed = run("ELCRec", TINY_DATASET, overrides=tiny_overrides(tmp_path, tiny_data_path, epochs=3), resume=copy)
    assert [digest(path) for path in originals] == before
    assert Path(resumed["checkpoint"]).parent == copy.parent == Path(resumed["results_file"]).parent
    assert resumed["resume_checkpoint"] == str(copy) and load_checkpoint(copy)["epoch"] == 2
    assert [record["epoch"] for record in resumed["history"]] == [0, 1, 2] and resumed["epochs_run"] == 3


def test_a_copy_without_the_runs_best_checkpoint_is_refused(finished, tiny_data_path, tmp_path):
    checkpoint = load_checkpoint(finished["resume_checkpoint"])
    checkpoint["best_model_file"] = str(tmp_path / "gone.pth")
    copy = tmp_path / "x-last.pth"
    torch.save(checkpoint, copy)
    with pytest.raises(ResumeError, match=r"the run's best checkpoint is missing .*copy the best \.pth of that run"):
        run("ELCRec", TINY_DATASET, overrides=tiny_overrides(tmp_path, tiny_data_path, epochs=3), resume=copy)


@pytest.mark.parametrize("model", ["SASRec", "GRU4Rec"])
def test_recbole_models_write_a_last_checkpoint_after_every_epoch(model, tiny_data_path, tmp_path, monkeypatch):
    result = run(model, TINY_DATASET, overrides=tiny_overrides(tmp_path, tiny_data_path))
    assert Path(result["resume_checkpoint"]).is_file() and result["resume_checkpoint"].endswith("-last.pth")
    assert load_checkpoint(result["resume_checkpoint"])["epoch"] == 1
    with monkeypatch.context() as patch:
        interrupt_at(patch, 1)
        with pytest.raises(TrainingInterrupted) as raised:
            run(model, TINY_DATASET, overrides=tiny_overrides(tmp_path / "cut", tiny_data_path))
    assert load_checkpoint(raised.value.last_checkpoint)["epoch"] == 0


def test_recbole_models_records_keep_every_validated_epochs_score_across_a_resume(tiny_data_path, tmp_path,
                                                                                   monkeypatch):
    whole = run("GRU4Rec", TINY_DATASET, overrides=tiny_overrides(tmp_path / "whole", tiny_data_path, epochs=4))
    with monkeypatch.context() as patch:
        interrupt_at(patch, 2)
        with pytest.raises(TrainingInterrupted) as raised:
            run("GRU4Rec", TINY_DATASET, overrides=tiny_overrides(tmp_path / "cut", tiny_data_path, epochs=4))
    resumed = run("GRU4Rec", TINY_DATASET, overrides=tiny_overrides(tmp_path / "cut", tiny_data_path, epochs=4),
                  resume=raised.value.last_checkpoint)
    assert [record["epoch"] for record in resumed["history"]] == [0, 1, 2, 3]
    assert resumed["history"] == whole["history"] and resumed["best_epoch"] == whole["best_epoch"]
    assert whole["best_epoch"] == checkpoint_epoch((r["epoch"], r["valid_score"]) for r in whole["history"])


def test_resuming_from_a_best_checkpoint_keeps_the_runs_last_checkpoint(finished, tiny_data_path, tmp_path):
    folder = tmp_path / "run"
    folder.mkdir()
    best, last = (shutil.copy(finished[key], folder) for key in ("checkpoint", "resume_checkpoint"))
    before = digest(last)
    resumed = run("ELCRec", TINY_DATASET, overrides=tiny_overrides(tmp_path, tiny_data_path, epochs=3), resume=best)
    assert digest(last) == before
    assert Path(resumed["checkpoint"]).name.startswith(Path(best).stem + "-resumed-")
    assert resumed["resume_checkpoint"].endswith("-last.pth") and Path(resumed["resume_checkpoint"]).parent == folder


def test_resuming_a_finished_recbole_run_keeps_its_best_checkpoint(tiny_data_path, tmp_path):
    first = run("SASRec", TINY_DATASET, overrides=tiny_overrides(tmp_path, tiny_data_path))
    before = digest(first["checkpoint"])
    again = run("SASRec", TINY_DATASET, overrides=tiny_overrides(tmp_path, tiny_data_path),
                resume=first["resume_checkpoint"])
    assert digest(first["checkpoint"]) == before and again["test_result"] == first["test_result"]
