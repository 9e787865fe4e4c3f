"""Train and evaluate ELCRec or any RecBole model, the same as ``recbole-elcrec train``."""

from recbole_elcrec.commands.train import main

if __name__ == "__main__":
    raise SystemExit(main())
