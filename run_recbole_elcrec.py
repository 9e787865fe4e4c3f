"""Train and evaluate ELCRec (or any RecBole model): ``python run_recbole_elcrec.py --dataset ml-100k``."""

from recbole_elcrec.cli import main

if __name__ == "__main__":
    raise SystemExit(main())
