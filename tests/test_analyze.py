"""Intent analysis and recommendations on checkpoints trained on tiny and planted-intent data."""

import json

import pandas as pd
import pytest

from recbole_elcrec import analyze, curves, recommend
from recbole_elcrec.restore import load_trained
from recbole_elcrec.run import run
from recbole_elcrec.synthetic import generate_planted_intents, write_planted_dataset
from tests.helpers import TINY_DATASET, tiny_overrides

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
PLANTED_NMI_THRESHOLD = 0.6  # 4 disjoint planted intents, 8 epochs, alpha 0.1; measured NMI 0.78 on CPU


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
                              train_batch_size=128)
    result = run("ELCRec", "planted", overrides=settings)
    return result["checkpoint"], root / "planted" / "planted.intents.csv"


def test_analyze_writes_every_output(tiny_checkpoint, tmp_path):
    summary = analyze.analyze(tiny_checkpoint, tmp_path, max_points=50)
    intents = pd.read_csv(tmp_path / "intents.csv", dtype={"user_id": str})
    assert len(intents) == summary["users"] == 60
    assert intents["intent"].between(0, 3).all() and intents["distance"].between(0, 2).all()
    parquet = pd.read_parquet(tmp_path / "intents.parquet")
    assert parquet["user_id"].tolist() == intents["user_id"].tolist()
    assert parquet["intent"].tolist() == intents["intent"].tolist()
    assert summary["centres"] == 4 and summary["dead_centres"] == 4 - intents["intent"].nunique()
    assert pd.read_csv(tmp_path / "cluster_sizes.csv")["users"].sum() == 60
    top = pd.read_csv(tmp_path / "top_items.csv")
    assert set(top["intent"]) == set(intents["intent"]) and (top["rank"] <= 10).all()
    for plot in ("cluster_sizes.png", "tsne.png"):
        data = (tmp_path / plot).read_bytes()
        assert data.startswith(PNG_SIGNATURE) and len(data) > 1000


def test_planted_intents_are_recovered(planted, tmp_path):
    checkpoint, truth = planted
    summary = analyze.analyze(checkpoint, tmp_path, truth=truth, max_points=100)
    print(f"planted NMI {summary['nmi']:.3f} ARI {summary['ari']:.3f}")
    assert summary["users_matched"] == 400
    assert summary["nmi"] > PLANTED_NMI_THRESHOLD
    assert json.loads((tmp_path / "summary.json").read_text())["nmi"] == summary["nmi"]


def test_recommend_excludes_history_and_uses_original_ids(tiny_checkpoint):
    trained = load_trained(tiny_checkpoint)
    recommendations = recommend.recommend(trained, ["1", "7"], topk=5)
    inter = pd.read_csv(trained.config["data_path"] + "/tiny.inter", sep="\t", dtype=str)
    for user, items in recommendations.items():
        seen = set(inter.loc[inter["user_id:token"] == user, "item_id:token"])
        assert len(items) == 5 and not seen & set(items)
        assert all(item.isdigit() for item in items)


def test_recommend_cli_and_unknown_user(tiny_checkpoint, capsys):
    assert recommend.main(["--checkpoint", tiny_checkpoint, "--users", "3", "--topk", "3"]) == 0
    assert capsys.readouterr().out.startswith("3\t")
    assert recommend.main(["--checkpoint", tiny_checkpoint, "--users", "3,nobody"]) == 2
    assert "unknown user id(s) nobody" in capsys.readouterr().err


def test_analyze_rejects_a_model_without_intents(tiny_data_path, tmp_path):
    checkpoint = run("SASRec", TINY_DATASET, overrides=tiny_overrides(tmp_path, tiny_data_path, epochs=1))["checkpoint"]
    assert analyze.main(["--checkpoint", checkpoint, "--out", str(tmp_path / "out")]) == 2


def test_training_curves_from_results_json(tiny_checkpoint, tmp_path):
    results = tiny_checkpoint.replace(".pth", ".json")
    out = tmp_path / "curves.png"
    assert curves.main([results, "--out", str(out)]) == 0
    assert out.read_bytes().startswith(PNG_SIGNATURE)
    best_epoch_history = curves.read_history(tiny_checkpoint)
    assert best_epoch_history[-1]["valid_score"] > 0 and "cluster" in best_epoch_history[-1]


def test_curves_without_history_is_an_error(tmp_path, capsys):
    empty = tmp_path / "empty.json"
    empty.write_text("{}")
    assert curves.main([str(empty)]) == 2
    assert "no per-epoch history" in capsys.readouterr().err
