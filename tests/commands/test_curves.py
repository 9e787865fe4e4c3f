"""The curves command: PNG from a results file or a checkpoint, and a clear error without history."""

import pytest

from recbole_elcrec.commands.curves import main
from recbole_elcrec.evaluation import curves
from tests.helpers import assert_png


@pytest.mark.parametrize("source", ["--results", "--checkpoint"])
def test_training_curves_from_results_or_checkpoint(tiny_checkpoint, tmp_path, source):
    run_file = tiny_checkpoint.replace(".pth", ".json") if source == "--results" else tiny_checkpoint
    out = tmp_path / "curves.png"
    assert main([source, run_file, "--out", str(out)]) == 0
    assert_png(out)
    history = curves.read_history(run_file)
    assert history[-1]["valid_score"] > 0
    assert set(curves.loss_terms(history)) == {"next_item", "seq_cl", "intent_cl", "cluster"}  # JSON keys are sorted


def test_curves_without_history_is_an_error(tmp_path, capsys):
    empty = tmp_path / "empty.json"
    empty.write_text("{}")
    assert main(["--results", str(empty)]) == 2
    assert "no per-epoch history" in capsys.readouterr().err


def test_a_truncated_results_file_is_named(tiny_checkpoint, tmp_path, capsys):
    cut = tmp_path / "cut.json"
    cut.write_text(open(tiny_checkpoint.replace(".pth", ".json")).read()[:200])
    assert main(["--results", str(cut)]) == 2
    err = capsys.readouterr().err
    assert err.startswith(f"error: {cut} is not a complete JSON file (") and "line " in err and "Traceback" not in err


def test_overlay_puts_several_runs_on_one_chart_labelled_as_given(tiny_checkpoint, tmp_path, monkeypatch):
    drawn = {}
    original = curves.plot_validation_overlay

    def spy(histories, out, title=""):
        drawn.update(histories)
        return original(histories, out, title)

    monkeypatch.setattr("recbole_elcrec.commands.curves.plot_validation_overlay", spy)
    results = tiny_checkpoint.replace(".pth", ".json")
    out = tmp_path / "overlay.png"
    assert main(["--overlay", f"from JSON={results}", tiny_checkpoint, "--out", str(out), "--title", "t"]) == 0
    assert_png(out)
    assert list(drawn) == ["from JSON", tiny_checkpoint.rsplit("/", 1)[1][:-4]]  # a bare path: its file stem
    assert drawn["from JSON"] == curves.read_history(results)


@pytest.mark.parametrize(("argv", "message"), [
    (["--overlay", "a=x.json"], "--overlay needs --out"),
    (["--overlay", "a=x.json", "a=y.json", "--out", "o.png"], "names the label 'a' twice"),
])
def test_overlay_errors_name_what_to_fix(argv, message, tmp_path, capsys, monkeypatch):
    monkeypatch.chdir(tmp_path)
    assert main(argv) == 2
    assert message in capsys.readouterr().err
