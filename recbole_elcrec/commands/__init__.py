"""The ``recbole-elcrec`` command: ``recbole-elcrec <command> [options]``, one module per command.

Each command is a module ``recbole_elcrec.commands.<name>`` with ``build_parser()`` and ``main(argv)``,
imported only when it runs, so ``recbole-elcrec --help`` needs neither torch nor RecBole. Adding a
command is one line in ``COMMANDS`` plus its module.

Errors are handled in one place, ``run_guarded`` (used by the dispatcher, and by every command's
``main`` through ``@command_entry`` so that ``run_recbole_elcrec.py`` behaves the same): an error
prints ``error: <message>`` and ``hint: <what to do>`` on stderr and exits 2 (1 for an unexpected
error, a bug); the traceback only with ``--debug``, a global flag accepted before or after the
command name. Ctrl-C exits 130 with one line: for a training run, the ``--resume`` command that
continues it from its last finished epoch.
"""

from __future__ import annotations

import argparse
import difflib
import functools
import importlib
import shlex
import sys
import traceback
from collections.abc import Callable, Sequence

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


DEBUG_FLAG = "--debug"
INTERRUPTED = 130  # 128 + SIGINT, as shells report it
BAD_INPUT, UNEXPECTED = 2, 1
# errors that mean "the input, the settings or the environment are wrong", shown without a traceback
USER_ERRORS = (ValueError, OSError, FloatingPointError, ImportError)


def command_parser(name: str, description: str) -> argparse.ArgumentParser:
    """The argument parser of command ``name``, its usage line showing ``recbole-elcrec <name>``."""
    parser = argparse.ArgumentParser(prog=f"{PROG} {name}", description=description)
    parser.add_argument(DEBUG_FLAG, action="store_true",
                        help="on an error, print the full traceback too (also accepted before the command name)")
    return parser


def add_checkpoint_options(parser: argparse.ArgumentParser, written_by: str = "train") -> None:
    """``--checkpoint`` (required) and ``--device``, for a command that loads a trained model."""
    parser.add_argument("--checkpoint", required=True, help=f"a .pth written by {PROG} {written_by}")
    parser.add_argument("--device", help="cpu, cuda, cuda:1 (default: the device of the training run)")


def positive_int(text: str) -> int:
    """An argparse type: an integer >= 1, with a message naming the value otherwise."""
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected an integer >= 1, got {text!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"expected an integer >= 1, got {text}")
    return value


def split_debug(argv: Sequence[str]) -> tuple[list[str], bool]:
    """``argv`` without ``--debug``, and whether it was there."""
    rest = [argument for argument in argv if argument != DEBUG_FLAG]
    return rest, len(rest) != len(argv)


def error_text(error: BaseException) -> str:
    """An error's message in one piece; an OSError from outside this package names its file."""
    if isinstance(error, OSError) and error.filename and error.strerror:
        return f"cannot use {error.filename}: {error.strerror}"
    return str(error) or type(error).__name__


def error_report(error: BaseException) -> tuple[str, int]:
    """The ``error:`` and ``hint:`` lines for ``error`` and the exit status."""
    expected = isinstance(error, USER_ERRORS) or hasattr(error, "hint")
    if expected:
        message = f"error: {error_text(error)}"
        hint = getattr(error, "hint", None) or f"add {DEBUG_FLAG} to see where it happened"
    else:
        message = f"error: unexpected {type(error).__name__}: {error_text(error)}"
        hint = f"this looks like a bug in {PROG}; rerun with {DEBUG_FLAG} and report the traceback"
    return f"{message}\nhint: {hint}", getattr(error, "exit_status", BAD_INPUT if expected else UNEXPECTED)


def _without_resume(argv: Sequence[str]) -> list[str]:
    kept, skip = [], False
    for argument in argv:
        if skip:
            skip = False
        elif argument == "--resume":
            skip = True
        elif not argument.startswith("--resume="):
            kept.append(argument)
    return kept


def interruption_report(name: str, argv: Sequence[str], interrupt: KeyboardInterrupt) -> str:
    """One line after Ctrl-C: the ``--resume`` command of an interrupted training run, or how to go on."""
    last = getattr(interrupt, "last_checkpoint", None)
    if name == "compare":
        return ("interrupted; run the same command again to continue (finished runs are kept, the interrupted "
                "one continues from its last finished epoch)")
    if name == "tune":
        return "interrupted; run the same command again to continue (finished trials are kept)"
    if last:
        command = " ".join(shlex.quote(part) for part in [PROG, name, *_without_resume(argv), "--resume", last])
        return f"interrupted; continue from the last finished epoch with: {command}"
    if hasattr(interrupt, "last_checkpoint"):
        return "interrupted before the first epoch finished; no checkpoint to resume from"
    return "interrupted"


def run_guarded(name: str, command: Callable[[list[str]], int], argv: Sequence[str], debug: bool = False) -> int:
    """Run ``command(argv)`` under the one error handler of every command; its exit status."""
    try:
        return command(list(argv))
    except KeyboardInterrupt as interrupt:
        if debug:
            traceback.print_exc()
        print(interruption_report(name, argv, interrupt), file=sys.stderr)
        return INTERRUPTED
    except Exception as error:  # every other error: one message, the traceback only under --debug
        if debug:
            traceback.print_exc()
        report, status = error_report(error)
        print(report, file=sys.stderr)
        return status


def command_entry(name: str) -> Callable[[Callable[[list[str]], int]], Callable[..., int]]:
    """Decorate a command's ``main(argv)`` with the one error handler (and the ``--debug`` flag)."""

    def decorate(main: Callable[[list[str]], int]) -> Callable[..., int]:
        @functools.wraps(main)
        def guarded(argv: Sequence[str] | None = None) -> int:
            rest, debug = split_debug(sys.argv[1:] if argv is None else argv)
            return run_guarded(name, main, rest, debug)

        guarded.guarded = True
        return guarded

    return decorate


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
    lines += ["", f"'{PROG} <command> --help' lists the options of a command. Errors print 'error: ...' and a hint",
              f"and exit 2; {DEBUG_FLAG} (before or after the command) adds the traceback."]
    return "\n".join(lines)


def unknown_command(name: str) -> str:
    """The error for a command that does not exist, with the closest command if one is close."""
    close = difflib.get_close_matches(name, COMMANDS, n=1)
    hint = f" (did you mean '{close[0]}'?)" if close else ""
    return f"error: unknown command '{name}'{hint}\ncommands: {', '.join(COMMANDS)}"


def main(argv: Sequence[str] | None = None) -> int:
    """Run ``recbole-elcrec [--debug] <command> ...``; the exit status of the command, 2 for an unknown one."""
    argv, debug = split_debug(sys.argv[1:] if argv is None else argv)
    if not argv or argv[0] in ("-h", "--help"):
        print(usage())
        return 0
    name, rest = argv[0], argv[1:]
    if name not in COMMANDS:
        print(unknown_command(name), file=sys.stderr)
        return BAD_INPUT
    command = importlib.import_module(f"{__name__}.{name}").main
    if getattr(command, "guarded", False):  # handles errors itself, with the same handler
        return command(rest + [DEBUG_FLAG] * debug)
    return run_guarded(name, command, rest, debug)
