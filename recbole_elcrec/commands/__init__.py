"""The ``recbole-elcrec`` command: ``recbole-elcrec <command> [options]``, one module per command.

Each command is a module ``recbole_elcrec.commands.<name>`` with ``build_parser()`` and ``main(argv)``,
imported only when it runs, so ``recbole-elcrec --help`` needs neither torch nor RecBole. Adding a
command is one line in ``COMMANDS`` plus its module.
"""

from __future__ import annotations

import argparse
import difflib
import importlib
import sys
from collections.abc import Sequence

PROG = "recbole-elcrec"
# command -> one-line description; the command's code is the module recbole_elcrec.commands.<command>
COMMANDS: dict[str, str] = {
    "train": "train and evaluate ELCRec or any RecBole model (as run_recbole_elcrec.py)",
    "prepare": "convert a sequence file or an interaction table into RecBole atomic files, or --download one",
    "synthetic": "write a dataset whose users follow planted intents, with the true intent of every user",
    "compare": "compare models under one protocol (the paper's Table 1) or run the ablation (Figure 4)",
    "tune": "Ray Tune search over alpha, k or any config key, locally or on a Ray cluster",
    "analyze": "intents of a checkpoint: per-user intents, cluster sizes, t-SNE, top items, NMI/ARI",
    "recommend": "top-k items for given users from a checkpoint, their history excluded",
    "curves": "plot a run's loss terms, validation score and live intents per epoch as a PNG",
    "distributed": "train with several processes (DDP): gloo on CPU, nccl with one GPU per process",
    "convert": "turn a model trained by the authors' ELCRec code into a checkpoint of this package",
    "evaluate": "validation and test metrics of a checkpoint under a chosen protocol, without training",
}


def command_parser(name: str, description: str) -> argparse.ArgumentParser:
    """The argument parser of command ``name``, its usage line showing ``recbole-elcrec <name>``."""
    return argparse.ArgumentParser(prog=f"{PROG} {name}", description=description)


def overrides_help(each: str = "") -> str:
    """The help sentence of a command that takes ``--key=value`` config overrides (for ``each`` run or trial)."""
    scope = f" for every {each}" if each else ""
    return (f"Any other --key=value sets a RecBole/ELCRec config key{scope}, "
            "e.g. --epochs=50 --alpha=10 --n_clusters=256.")


def usage() -> str:
    """The top-level help: how to call a command, and every command with its description."""
    width = max(map(len, COMMANDS))
    lines = [f"usage: {PROG} <command> [options]", "   or: python -m recbole_elcrec <command> [options]", "",
             "ELCRec (end-to-end learnable clustering for intent learning) as an extension of RecBole.", "",
             "commands:"]
    lines += [f"  {name:<{width}}  {description}" for name, description in COMMANDS.items()]
    lines += ["", f"'{PROG} <command> --help' lists the options of a command."]
    return "\n".join(lines)


def unknown_command(name: str) -> str:
    """The error for a command that does not exist, with the closest command if one is close."""
    close = difflib.get_close_matches(name, COMMANDS, n=1)
    hint = f" (did you mean '{close[0]}'?)" if close else ""
    return f"error: unknown command '{name}'{hint}\ncommands: {', '.join(COMMANDS)}"


def main(argv: Sequence[str] | None = None) -> int:
    """Run ``recbole-elcrec <command> ...``; the exit status of the command, 2 for an unknown one."""
    argv = list(sys.argv[1:] if argv is None else argv)
    if not argv or argv[0] in ("-h", "--help"):
        print(usage())
        return 0
    name, rest = argv[0], argv[1:]
    if name not in COMMANDS:
        print(unknown_command(name), file=sys.stderr)
        return 2
    return importlib.import_module(f"{__name__}.{name}").main(rest)
