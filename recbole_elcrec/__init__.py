"""ELCRec (end-to-end learnable clustering for intent learning) as an extension of RecBole."""

from recbole_elcrec.utils.compat import install_numpy_aliases

install_numpy_aliases()

__version__ = "0.1.0"
