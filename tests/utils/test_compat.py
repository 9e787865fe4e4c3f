"""Safe checkpoint loading: RecBole's pickled checkpoints are refused."""

import pytest
import torch

from recbole_elcrec.utils.compat import load_checkpoint


class PickledConfig:
    """Stands for RecBole's Config, which RecBole pickles into its checkpoints."""


def test_recbole_pickled_checkpoint_is_refused(tmp_path):
    path = tmp_path / "recbole.pth"
    torch.save({"config": PickledConfig(), "state_dict": {}}, path)
    with pytest.raises(ValueError, match="cannot load checkpoint"):
        load_checkpoint(path)
