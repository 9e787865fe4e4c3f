"""Safe checkpoint loading: RecBole's pickled checkpoints, empty files and random bytes are refused by name."""

import pytest
import torch

from recbole_elcrec.utils.compat import CheckpointError, load_checkpoint


class PickledConfig:
    """Stands for RecBole's Config, which RecBole pickles into its checkpoints."""


def test_recbole_pickled_checkpoint_is_refused(tmp_path):
    path = tmp_path / "recbole.pth"
    torch.save({"config": PickledConfig(), "state_dict": {}}, path)
    with pytest.raises(ValueError, match="cannot load checkpoint"):
        load_checkpoint(path)


def test_an_empty_file_is_named_with_a_reason(tmp_path):
    path = tmp_path / "empty.pth"
    path.write_bytes(b"")
    with pytest.raises(CheckpointError, match=rf"cannot load checkpoint {path}: the file is empty \(0 bytes\)"):
        load_checkpoint(path)


def test_random_bytes_are_not_a_checkpoint_and_get_no_weights_only_advice(tmp_path):
    path = tmp_path / "noise.pth"
    path.write_bytes(bytes(range(256)) * 40)
    with pytest.raises(CheckpointError, match="it is not a torch checkpoint") as raised:
        load_checkpoint(path)
    assert "weights_only" not in str(raised.value)


def test_a_torch_archive_without_a_model_state_is_refused(tmp_path):
    path = tmp_path / "tensor.pth"
    torch.save(torch.ones(3), path)
    with pytest.raises(CheckpointError, match="it holds no model state"):
        load_checkpoint(path)
