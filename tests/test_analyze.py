"""Checkpoint restore, intent analysis and training curves on checkpoints trained on tiny and planted-intent data."""

import json

import pandas as pd
import pytest
import torch

from recbole_elcrec import analyze, curves
from recbole_elcrec.compat import load_checkpoint
from recbole_elcrec.data import DatasetNotFoundError
from recbole_elcrec.restore import load_trained, training_histories, user_histories
from recbole_elcrec.run import run
from recbole_elcrec.synthetic import generate_planted_intents, write_planted_dataset
from tests.helpers import TINY_DATASET, tiny_overrides

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
# 400 users, 4 disjoint planted intents, k = 4, 8 epochs, alpha 0.1, seed 2020: NMI 0.70 measured on CPU
# (0.59-0.73 over seeds 1-4); a random assignment scores about 0.01.
PLANTED_NMI_THRESHOLD = 0.5
TINY_USERS = 60


@pytest.fixture(scope="module")
def tiny_checkpoint(tiny_data_path, tmp_path_factory):
    tmp_path = tmp_path_factory.mktemp("analyze")
    return run("ELCRec", TINY_DATASET, overrides=tiny_overrides(tmp_path, tiny_data_path))["checkpoint"]


@pytest.fixture(scope="module")
def planted(tmp_path_factory):
    root = tmp_path_factory.mktemp("planted")
    write_planted_dataset(root, "planted", generate_planted_intents(400, 80, 4, min_len=6, max_len=12, purity=1.0,
                                                                    seed=0))
    settings = tiny_overrides(root, root, epochs=8, alpha=0.1, n_clusters=4, hidden_size=32, inner_size=64,
                              train_batch_size=128, seed=2020)
    return run("ELCRec", "planted", overrides=settings)["checkpoint"], root / "planted" / "planted.intents.csv"


def assert_png(path):
    data = path.read_bytes()
    assert data.startswith(PNG_SIGNATURE) and len(data) > 1000


def test_load_trained_rebuilds_model_and_data(tiny_checkpoint, tiny_data_path):
    trained = load_trained(tiny_checkpoint, device="cpu")
    assert not trained.model.training
    saved = load_checkpoint(tiny_checkpoint)["state_dict"]
    assert torch.equal(trained.model.cluster_centres.detach(), saved["cluster_centres"])
    assert trained.train_data is not None and trained.test_data is not None
    raw = pd.read_csv(tiny_data_path / "tiny" / "tiny.inter", sep="\t", dtype=str)
    history = user_histories(trained)[trained.dataset.token2id("user_id", "7")]
    expected = raw.loc[raw["user_id:token"] == "7", "item_id:token"].tolist()
    assert list(trained.dataset.id2token("item_id", history)) == expected  # first item included
    assert training_histories(trained)[trained.dataset.token2id("user_id", "7")] == history[:-2]  # leave-one-out


def test_load_trained_names_missing_data(tiny_checkpoint, tmp_path):
    checkpoint = load_checkpoint(tiny_checkpoint)
    checkpoint["run_spec"]["overrides"]["data_path"] = str(tmp_path / "moved")
    moved = tmp_path / "moved.pth"
    torch.save(checkpoint, moved)
    with pytest.raises(DatasetNotFoundError, match=r"cannot rebuild the data of checkpoint .*moved\.pth"):
        load_trained(moved)


def test_analyze_writes_every_output(tiny_checkpoint, tmp_path):
    assert analyze.main(["--checkpoint", tiny_checkpoint, "--out", str(tmp_path), "--max-points", "50"]) == 0
    summary = json.loads((tmp_path / "summary.json").read_text())
    intents = pd.read_csv(tmp_path / "intents.csv", dtype={"user_id": str})
    assert len(intents) == summary["users"] == TINY_USERS
    assert set(intents["user_id"]) == {str(user) for user in range(1, TINY_USERS + 1)}
    assert intents["intent"].between(0, 3).all() and intents["distance"].between(0, 2).all()
    parquet = pd.read_parquet(tmp_path / "intents.parquet")
    assert parquet["user_id"].tolist() == intents["user_id"].tolist()
    assert parquet["intent"].tolist() == intents["intent"].tolist()
    assert summary["centres"] == 4 and summary["dead_centres"] == 4 - intents["intent"].nunique()
    assert {"duplicate_centres", "active_centres", "pruned_centres"} <= set(summary)
    assert pd.read_csv(tmp_path / "cluster_sizes.csv")["users"].sum() == TINY_USERS
    top = pd.read_csv(tmp_path / "top_items.csv", dtype={"item_id": str})
    assert set(top["intent"]) == set(intents["intent"]) and (top["rank"] <= 10).all()
    assert top["item_id"].str.isdigit().all() and (top["count"] > 0).all()
    assert (tmp_path / "top_items.md").read_text().startswith("| intent |")
    assert_png(tmp_path / "cluster_sizes.png")
    assert_png(tmp_path / "tsne.png")


def test_centre_health_counts_dead_and_duplicate_centres():
    centres = torch.tensor([[1.0, 0.0], [2.0, 0.001], [0.0, 1.0], [-1.0, 0.0]])
    live = torch.tensor([True, True, True, False])
    health = analyze.centre_health(centres, live, sizes=torch.tensor([5, 0, 3, 0]).numpy())
    assert health == {"centres": 4, "live_centres": 3, "active_centres": 2, "dead_centres": 1,
                      "duplicate_centres": 1, "pruned_centres": 1}


def test_planted_intents_are_recovered(planted, tmp_path):
    checkpoint, truth = planted
    assert analyze.main(["--checkpoint", checkpoint, "--out", str(tmp_path), "--truth", str(truth),
                         "--max-points", "100"]) == 0
    summary = json.loads((tmp_path / "summary.json").read_text())
    print(f"planted NMI {summary['nmi']:.3f} ARI {summary['ari']:.3f}")
    assert summary["users_matched"] == 400
    assert summary["nmi"] > PLANTED_NMI_THRESHOLD and summary["ari"] > 0


def test_quality_against_truth_is_one_for_a_relabelling(tmp_path):
    truth = tmp_path / "truth.csv"
    truth.write_text("user_id,intent\n1,0\n2,0\n3,1\n4,1\n")
    learned = pd.DataFrame({"user_id": ["1", "2", "3", "4"], "intent": [7, 7, 2, 2]})
    assert analyze.quality_against_truth(learned, truth) == {"nmi": 1.0, "ari": 1.0, "users_matched": 4}


def test_analyze_rejects_a_model_without_intents(tiny_data_path, tmp_path, capsys):
    checkpoint = run("SASRec", TINY_DATASET, overrides=tiny_overrides(tmp_path, tiny_data_path, epochs=1))["checkpoint"]
    assert analyze.main(["--checkpoint", checkpoint, "--out", str(tmp_path / "out")]) == 2
    assert "learns no intents" in capsys.readouterr().err


@pytest.mark.parametrize("source", ["--results", "--checkpoint"])
def test_training_curves_from_results_or_checkpoint(tiny_checkpoint, tmp_path, source):
    run_file = tiny_checkpoint.replace(".pth", ".json") if source == "--results" else tiny_checkpoint
    out = tmp_path / "curves.png"
    assert curves.main([source, run_file, "--out", str(out)]) == 0
    assert_png(out)
    history = curves.read_history(run_file)
    assert history[-1]["valid_score"] > 0
    assert set(curves.loss_terms(history)) == {"next_item", "seq_cl", "intent_cl", "cluster"}  # JSON keys are sorted


def test_curves_plot_live_intents_of_adaptive_runs(tmp_path):
    history = [{"epoch": 0, "next_item": 3.0, "active_intents": 4, "valid_score": 0.1},
               {"epoch": 1, "next_item": 2.5, "active_intents": 3, "live_centres": 3, "dead_intents": 1}]
    assert curves.loss_terms(history) == ["next_item"]
    assert_png(curves.plot_curves(history, tmp_path / "adaptive.png"))


def test_curves_without_history_is_an_error(tmp_path, capsys):
    empty = tmp_path / "empty.json"
    empty.write_text("{}")
    assert curves.main(["--results", str(empty)]) == 2
    assert "no per-epoch history" in capsys.readouterr().err
