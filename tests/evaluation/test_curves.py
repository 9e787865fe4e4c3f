"""Training curves of a history: loss terms and live-intent panels."""

from recbole_elcrec.evaluation import curves
from tests.helpers import assert_png


def test_curves_plot_live_intents_of_adaptive_runs(tmp_path):
    history = [{"epoch": 0, "next_item": 3.0, "active_intents": 4, "valid_score": 0.1},
               {"epoch": 1, "next_item": 2.5, "active_intents": 3, "live_centres": 3, "dead_intents": 1}]
    assert curves.loss_terms(history) == ["next_item"]
    assert_png(curves.plot_curves(history, tmp_path / "adaptive.png"))
