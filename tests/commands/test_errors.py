"""The one error handler of every command (issue #17, cases 11-13): error + hint, exit 2, traceback with --debug."""

import errno
import shlex
from pathlib import Path

import pytest

from recbole_elcrec.commands import PROG, main
from recbole_elcrec.config import build_config
from recbole_elcrec.quick_start.tune import parse_search_space, search_fingerprint, settings_file
from recbole_elcrec.trainer.trainer import ELCRecTrainer
from recbole_elcrec.utils.io import atomic_write_json
from tests.helpers import TINY_DATASET, tiny_overrides


def tiny_argv(tmp_path: Path, data_path: Path, **extra) -> list[str]:
    return ["--dataset", TINY_DATASET] + [f"--{key}={value}" for key, value in
                                          tiny_overrides(tmp_path, data_path, **extra).items()]


def no_training(monkeypatch) -> None:
    monkeypatch.setattr("recbole_elcrec.quick_start.run.load_data", lambda config: pytest.fail("training started"))


@pytest.mark.parametrize("argv", [["train", "--epochs=abc"], ["--debug", "train", "--epochs=abc"],
                                  ["train", "--epochs=abc", "--debug"]])
def test_bad_value_prints_error_and_hint_and_exits_2_traceback_only_with_debug(argv, capsys):
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert "error: config key 'epochs' must be an integer >= 1, got 'abc' (from the command line)\nhint: " in err
    assert ("Traceback (most recent call last)" in err) == ("--debug" in argv)


def test_an_unexpected_error_is_called_a_bug_and_exits_1(monkeypatch, capsys):
    def broken(*args, **kwargs):
        raise TypeError("unsupported operand")

    monkeypatch.setattr("recbole_elcrec.quick_start.run.run", broken)
    assert main(["train"]) == 1
    err = capsys.readouterr().err
    assert err.startswith("error: unexpected TypeError: unsupported operand\nhint: this looks like a bug")
    assert "Traceback" not in err


def interrupt_at(monkeypatch, epoch: int) -> None:
    original = ELCRecTrainer._train_epoch

    def interrupted(self, train_data, epoch_idx, *args, **kwargs):
        if epoch_idx == epoch:
            raise KeyboardInterrupt
        return original(self, train_data, epoch_idx, *args, **kwargs)

    monkeypatch.setattr(ELCRecTrainer, "_train_epoch", interrupted)


def test_ctrl_c_prints_the_resume_command_exits_130_and_that_command_finishes(tiny_data_path, tmp_path, monkeypatch,
                                                                            capsys):
    with monkeypatch.context() as patch:
        interrupt_at(patch, 1)
        assert main(["train", *tiny_argv(tmp_path, tiny_data_path)]) == 130
    lines = capsys.readouterr().err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith(f"interrupted; continue from the last finished epoch with: {PROG} ")
    command = shlex.split(lines[0].split(" with: ")[1])
    last = command[command.index("--resume") + 1]
    assert last.endswith("-last.pth") and Path(last).is_file()
    assert main(command[1:]) == 0
    assert "checkpoint:" in capsys.readouterr().out


def test_ctrl_c_in_the_first_epoch_says_there_is_nothing_to_resume(tiny_data_path, tmp_path, monkeypatch, capsys):
    interrupt_at(monkeypatch, 0)
    assert main(["train", *tiny_argv(tmp_path, tiny_data_path)]) == 130
    assert capsys.readouterr().err == "interrupted before the first epoch finished; no checkpoint to resume from\n"


def test_an_unwritable_checkpoint_dir_stops_before_training(tiny_data_path, tmp_path, monkeypatch, capsys):
    no_training(monkeypatch)
    blocker = tmp_path / "a-file"
    blocker.write_text("")
    argv = tiny_argv(tmp_path, tiny_data_path, checkpoint_dir=blocker / "saved")
    assert main(["train", *argv]) == 2
    err = capsys.readouterr().err
    assert err.startswith(f"error: cannot write to the checkpoint_dir {blocker / 'saved'}: a file of that name")
    assert len(err.splitlines()) == 2


def test_a_read_only_checkpoint_dir_is_found_by_trying_to_write(tiny_data_path, tmp_path, monkeypatch, capsys):
    no_training(monkeypatch)

    def refused(*args, **kwargs):
        raise PermissionError(errno.EACCES, "Permission denied")

    monkeypatch.setattr("recbole_elcrec.utils.io.tempfile.mkstemp", refused)
    assert main(["train", *tiny_argv(tmp_path, tiny_data_path)]) == 2
    expected = f"error: cannot write to the checkpoint_dir {tmp_path / 'saved'}: Permission denied\n"
    assert expected in capsys.readouterr().err


def test_a_full_disk_gives_one_line_naming_the_file_and_keeps_nothing_half_written(tiny_data_path, tmp_path,
                                                                                 monkeypatch, capsys):
    def disk_full(fd):
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr("recbole_elcrec.utils.io.os.fsync", disk_full)
    assert main(["train", *tiny_argv(tmp_path, tiny_data_path)]) == 2
    err = capsys.readouterr().err.splitlines()
    assert len(err) == 2 and err[0].startswith(f"error: cannot write {tmp_path / 'saved'}/ELCRec-tiny-")
    assert err[0].endswith(".pth: No space left on device") and err[1].startswith("hint: free some disk space")
    assert not [path for path in (tmp_path / "saved").iterdir()]  # no temporary file left behind


@pytest.mark.parametrize("command", ["compare", "tune"])
def test_compare_and_tune_check_their_out_folder_first(command, tmp_path, capsys):
    blocker = tmp_path / "a-file"
    blocker.write_text("")
    argv = [command, "--models", "SASRec"] if command == "compare" else [command, "--alpha", "1"]
    assert main(argv + ["--out", str(blocker / "out")]) == 2
    assert f"error: cannot write to the --out folder {blocker / 'out'}" in capsys.readouterr().err


def test_tune_refuses_a_search_with_other_settings_before_ray_starts(tmp_path, monkeypatch, capsys):
    monkeypatch.setattr("recbole_elcrec.quick_start.tune.ray_param_space", lambda dims: pytest.fail("Ray started"))
    old = search_fingerprint(build_config("ELCRec", "ml-100k"), parse_search_space("0.1,1", None, []), 4, 1)
    (tmp_path / "ELCRec-ml-100k").mkdir()
    atomic_write_json(settings_file(tmp_path, "ELCRec-ml-100k"), old)
    assert main(["tune", "--alpha", "10,100", "--out", str(tmp_path)]) == 2
    err = capsys.readouterr().err
    assert "holds a search with other settings: search.alpha: grid[0.1, 1] -> grid[10, 100]" in err
    assert "hint: pass --force to start a new search" in err
