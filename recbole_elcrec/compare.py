"""``python -m recbole_elcrec.compare [options]``: the ``compare`` command, as ``recbole-elcrec compare``."""

import sys

from recbole_elcrec.commands import main

if __name__ == "__main__":
    raise SystemExit(main(["compare", *sys.argv[1:]]))
