"""The one entry point: ``recbole-elcrec <command>`` lists, documents and dispatches every command."""

import importlib
import json
import runpy
import subprocess
import sys
from pathlib import Path

import pytest

from recbole_elcrec.commands import COMMANDS, PROG, main
from recbole_elcrec.commands import train as train_command

REPO_ROOT = Path(__file__).resolve().parents[2]
OVERRIDE_COMMANDS = ("train", "compare", "tune", "distributed")


def command_parser(name: str):
    return importlib.import_module(f"recbole_elcrec.commands.{name}").build_parser()


@pytest.mark.parametrize("argv", [["--help"], ["-h"], []])
def test_help_lists_every_command(argv, capsys):
    assert main(argv) == 0
    out = capsys.readouterr().out
    assert out.startswith(f"usage: {PROG} <command>")
    for name, description in COMMANDS.items():
        assert f"  {name} " in out and description in out


@pytest.mark.parametrize("name", list(COMMANDS))
def test_every_command_documents_every_option(name, capsys):
    with pytest.raises(SystemExit) as raised:
        main([name, "--help"])
    assert raised.value.code == 0
    assert capsys.readouterr().out.startswith(f"usage: {PROG} {name} ")
    parser = command_parser(name)
    assert parser.prog == f"{PROG} {name}" and parser.description
    undocumented = [action.dest for action in parser._actions if not action.help]
    assert not undocumented, f"{name}: options without help: {undocumented}"


@pytest.mark.parametrize("name", OVERRIDE_COMMANDS)
def test_override_commands_say_that_other_keys_are_config_keys(name):
    help_text = " ".join(command_parser(name).format_help().split())
    assert "Any other --key=value sets a RecBole/ELCRec config key" in help_text


def test_unknown_command_suggests_the_closest_and_exits_2(capsys):
    assert main(["trian", "--epochs=1"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: unknown command 'trian' (did you mean 'train'?)\n")
    assert main(["frobnicate"]) == 2
    err = capsys.readouterr().err
    assert "error: unknown command 'frobnicate'\n" in err and "commands: train, prepare," in err


def test_run_script_is_the_train_command():
    assert runpy.run_path(str(REPO_ROOT / "run_recbole_elcrec.py"))["main"] is train_command.main


def test_python_m_runs_a_command():
    done = subprocess.run([sys.executable, "-m", "recbole_elcrec", "train", "--help"], capture_output=True, text=True,
                          timeout=120, cwd=REPO_ROOT)
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith(f"usage: {PROG} train ") and "--key=value" in done.stdout


def test_python_m_recbole_elcrec_compare_rebuilds_the_tables_without_training(tmp_path):
    record = {"dataset": "beauty", "eval_protocol": "paper", "row": "ELCRec", "loss": "CE", "seed": 2020,
              "converged": True, "train_seconds": 60.0, "epochs_run": 2,
              "test_result": {"hit@5": 0.3, "hit@20": 0.5, "ndcg@5": 0.2, "ndcg@20": 0.25}}
    (tmp_path / "beauty" / "paper").mkdir(parents=True)
    (tmp_path / "beauty" / "paper" / "ELCRec-CE-seed2020.json").write_text(json.dumps(record))
    done = subprocess.run([sys.executable, "-m", "recbole_elcrec.compare", "--tables", str(tmp_path)],
                          capture_output=True, text=True, timeout=300, cwd=REPO_ROOT)
    assert done.returncode == 0, done.stderr
    assert "| ELCRec | 1 | 0.3000 | 0.5000 | 0.2000 | 0.2500 |" in (tmp_path / "tables.md").read_text()


def test_top_level_help_imports_neither_torch_nor_recbole_nor_ray():
    code = ("import sys; from recbole_elcrec.commands import main; main(['--help']); "
            "heavy = [m for m in ('torch', 'recbole', 'ray', 'pandas') if m in sys.modules]; "
            "print(heavy); sys.exit(1 if heavy else 0)")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120, cwd=REPO_ROOT)
    assert done.returncode == 0, done.stdout + done.stderr
