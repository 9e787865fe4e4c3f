"""``python -m recbole_elcrec <command> [options]``: the same as the ``recbole-elcrec`` command."""

from recbole_elcrec.commands import main

if __name__ == "__main__":
    raise SystemExit(main())
