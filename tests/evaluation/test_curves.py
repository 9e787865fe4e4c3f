"""Training curves of a history: loss terms and live-intent panels."""

from recbole_elcrec.evaluation import curves
from tests.helpers import assert_png


def test_curves_plot_live_intents_of_adaptive_runs(tmp_path):
    history = [{"epoch": 0, "next_item": 3.0, "active_intents": 4, "valid_score": 0.1},
               {"epoch": 1, "next_item": 2.5, "active_intents": 3, "live_centres": 3, "dead_intents": 1}]
    assert curves.loss_terms(history) == ["next_item"]
    assert_png(curves.plot_curves(history, tmp_path / "adaptive.png"))


def test_the_overlay_circles_each_runs_checkpoint_epoch_the_last_of_its_tied_best_scores(tmp_path, monkeypatch):
    figures = []
    monkeypatch.setattr(curves, "save_figure", lambda figure, out: figures.append(figure) or out)
    tied = [{"epoch": epoch, "valid_score": score} for epoch, score in enumerate([0.1, 0.3, 0.2, 0.3, 0.25])]
    single = [{"epoch": epoch, "valid_score": score} for epoch, score in enumerate([0.2, 0.4, 0.1])]
    curves.plot_validation_overlay({"tied": tied, "single": single}, tmp_path / "overlay.png")
    circles = [line for line in figures[0].axes[0].get_lines() if line.get_marker() == "o"]
    assert [(list(line.get_xdata()), list(line.get_ydata())) for line in circles] == [([3], [0.3]), ([1], [0.4])]
