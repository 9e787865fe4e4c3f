"""The trainer's adaptive-centre epochs: dead centres re-seeded on real data, live intents in the history."""

import torch
import torch.nn.functional as F

from recbole_elcrec.config import build_config
from recbole_elcrec.quick_start.run import build_model, load_data, run
from recbole_elcrec.trainer.trainer import ELCRecTrainer
from tests.helpers import TINY_DATASET, tiny_overrides


def test_dead_centres_on_tiny_data_are_reseeded_and_then_used(tiny_data_path, tmp_path):
    config = build_config("ELCRec", TINY_DATASET,
                          overrides=tiny_overrides(tmp_path, tiny_data_path, n_clusters=8, adaptive_centres=True))
    _, train_data, _, _ = load_data(config)
    model = build_model(config, train_data)
    trainer = ELCRecTrainer(config, model)
    trainer._before_training(train_data)
    sample = trainer._sample_embeddings(train_data)
    away = -F.normalize(sample.mean(0), dim=0)
    with torch.no_grad():
        model.cluster_centres[4:] = away * torch.arange(1.0, 5.0).unsqueeze(1)  # 4 centres far from every user
    forced = torch.arange(4, 8)
    assert not torch.isin(forced, model.assign_intents(sample)).any()

    record = trainer._before_epoch(train_data, 1)

    assert record["dead_intents"] >= 4 and record["live_centres"] == 8
    assert record["active_intents"] <= 4
    with torch.no_grad():
        every_sequence = torch.cat([model.sequence_embeddings(batch) for batch in train_data])
    assert torch.isin(forced, model.assign_intents(every_sequence)).all()


def test_adaptive_run_reports_active_intents_every_epoch(tiny_data_path, tmp_path):
    settings = tiny_overrides(tmp_path, tiny_data_path, epochs=3, n_clusters=16, adaptive_centres="prune")
    history = run("ELCRec", TINY_DATASET, overrides=settings)["history"]
    assert all(1 <= record["active_intents"] <= 16 for record in history)
    assert "live_centres" not in history[0]
    assert all(2 <= record["live_centres"] <= 16 for record in history[1:])
    assert history[-1]["live_centres"] <= history[1]["live_centres"]


def test_adaptive_off_by_default_adds_nothing_to_the_history(tiny_data_path, tmp_path):
    history = run("ELCRec", TINY_DATASET, overrides=tiny_overrides(tmp_path, tiny_data_path, epochs=1))["history"]
    assert not {"active_intents", "live_centres", "dead_intents"} & set(history[0])
