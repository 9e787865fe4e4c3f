"""Top-k recommendations from a checkpoint trained on the tiny dataset: original ids, history excluded."""

import pandas as pd
import pytest
import torch

from recbole_elcrec.commands.recommend import main
from recbole_elcrec.quick_start import recommend
from recbole_elcrec.quick_start.restore import load_trained
from recbole_elcrec.quick_start.run import run
from tests.helpers import TINY_DATASET, tiny_overrides, write_tiny_inter

TINY_ITEMS = 40


@pytest.fixture(scope="module")
def one_epoch_checkpoint(tiny_data_path, tmp_path_factory):
    tmp_path = tmp_path_factory.mktemp("recommend")
    return run("ELCRec", TINY_DATASET, overrides=tiny_overrides(tmp_path, tiny_data_path, epochs=1))["checkpoint"]


@pytest.fixture(scope="module")
def trained(one_epoch_checkpoint):
    return load_trained(one_epoch_checkpoint)


@pytest.fixture(scope="module")
def seen(tiny_data_path):
    """Original item ids each user interacted with, read from the raw atomic file."""
    raw = pd.read_csv(tiny_data_path / "tiny" / "tiny.inter", sep="\t", dtype=str)
    return raw.groupby("user_id:token")["item_id:token"].agg(set).to_dict()


def test_recommendations_use_original_ids_and_skip_history(trained, seen):
    recommendations = recommend.recommend(trained, ["1", "7"], topk=5)
    assert list(recommendations) == ["1", "7"]
    for user, items in recommendations.items():
        assert len(items) == len(set(items)) == 5
        assert not seen[user] & set(items)
        assert all(item.isdigit() and 1 <= int(item) <= TINY_ITEMS for item in items)


def test_every_unseen_item_and_nothing_else_when_topk_exceeds_them(trained, seen):
    items = recommend.recommend(trained, ["3"], topk=1000)["3"]
    assert set(items) == {str(item) for item in range(1, TINY_ITEMS + 1)} - seen["3"]
    assert len(items) == len(set(items))


def test_recommend_cli_prints_one_line_per_user(one_epoch_checkpoint, capsys):
    assert main(["--checkpoint", one_epoch_checkpoint, "--users", "3, 9", "--topk", "3"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert [line.split("\t")[0] for line in lines] == ["3", "9"]
    assert all(len(line.split("\t")[1].split()) == 3 for line in lines)


def test_unknown_user_is_named(trained, one_epoch_checkpoint, capsys):
    with pytest.raises(recommend.UnknownUserError, match="unknown user id.*nobody"):
        recommend.recommend(trained, ["3", "nobody"])
    assert main(["--checkpoint", one_epoch_checkpoint, "--users", "3,nobody,999"]) == 2
    assert "unknown user id(s) nobody, 999" in capsys.readouterr().err


def test_topk_must_be_positive(trained):
    with pytest.raises(ValueError, match="topk must be at least 1"):
        recommend.recommend(trained, ["3"], topk=0)


def test_a_user_with_a_single_interaction_is_refused_with_a_reason(tmp_path, capsys):
    inter = write_tiny_inter(tmp_path / "data", name="lonely")
    with open(inter, "a") as handle:
        handle.write("61\t3\t1\n")
    result = run("ELCRec", "lonely", overrides=tiny_overrides(tmp_path, tmp_path / "data", epochs=1))
    with pytest.raises(recommend.NoHistoryError, match="user id.s. 61 have a single interaction in dataset 'lonely'"):
        recommend.recommend(load_trained(result["checkpoint"]), ["3", "61"])
    assert main(["--checkpoint", result["checkpoint"], "--users", "61"]) == 2
    assert "at least 2 interactions" in capsys.readouterr().err


def test_nan_scores_are_refused_instead_of_fewer_items(trained, monkeypatch):
    monkeypatch.setattr(recommend, "unseen_item_scores", lambda trained, sequences: torch.full((1, 41), float("nan")))
    with pytest.raises(ValueError, match="the model scores items as NaN"):
        recommend.recommend(trained, ["3"], topk=10)
