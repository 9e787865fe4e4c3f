"""The train command: summary table, and clear errors with exit code 2."""

import pytest

from recbole_elcrec.commands.train import main, summary_table


@pytest.mark.parametrize(("argv", "message"), [
    (["--model", "SASrec"], "Did you mean SASRec"),
    (["--n_cluster=4"], "did you mean 'n_clusters'"),
    (["--dataset", "amazon-beauty", "--data_path=/nonexistent"], "prepare --input /path/to/Beauty.txt"),
    (["--dataset", "amazon-beuaty", "--data_path=/nonexistent"], "Did you mean --dataset amazon-beauty?"),
])
def test_user_errors_exit_2_with_a_message(argv, message, capsys):
    assert main(argv) == 2
    assert message in capsys.readouterr().err


def test_summary_table_lists_every_metric():
    table = summary_table({"model": "ELCRec", "dataset": "d", "seed": 1, "train_seconds": 2.0,
                           "best_valid_result": {"hit@5": 0.5, "ndcg@5": 0.25},
                           "test_result": {"hit@5": 0.4, "ndcg@5": 0.125}})
    assert "hit@5     0.5000    0.4000" in table.splitlines() and "ndcg@5    0.2500    0.1250" in table.splitlines()


def test_more_intents_than_users_stops_before_training(tiny_data_path, tmp_path, capsys):
    argv = ["--dataset", "tiny", f"--data_path={tiny_data_path}", f"--checkpoint_dir={tmp_path}", "--n_clusters=500",
            "--state=WARNING"]
    assert main(argv) == 2
    assert "n_clusters=500 is larger than the 60 training users of dataset 'tiny'" in capsys.readouterr().err
    assert not list(tmp_path.iterdir())
