"""Checkpoint checksums (issue #17, case 6): damaged tensor bytes are refused on load, naming the file."""

import shutil

import pytest
import torch

from recbole_elcrec.commands.recommend import main as recommend_main
from recbole_elcrec.utils.compat import load_checkpoint
from recbole_elcrec.utils.integrity import CorruptCheckpointError, payload_checksum, with_checksum


def test_checksum_covers_every_tensor_and_only_tensors():
    payload = {"state_dict": {"w": torch.ones(2, 3)}, "optimizer": {"state": {0: {"step": torch.tensor(3.0)}}},
               "epoch": 1}
    stamped = with_checksum(payload)
    assert stamped["checksum"] == payload_checksum(stamped) and stamped["checksum"].startswith("sha256:")
    assert payload_checksum({**stamped, "epoch": 7}) == stamped["checksum"]  # plain values are not covered
    changed = {**stamped, "optimizer": {"state": {0: {"step": torch.tensor(4.0)}}}}
    assert payload_checksum(changed) != stamped["checksum"]


def damage(source: str, target) -> None:
    """Overwrite 1 KB of the item embedding's bytes inside the archive, as a failing disk would."""
    shutil.copy(source, target)
    embedding = load_checkpoint(source)["state_dict"]["encoder.item_embedding.weight"]
    data = target.read_bytes()
    offset = data.index(embedding.numpy().tobytes()[:256])
    target.write_bytes(data[:offset] + b"\xff" * 1024 + data[offset + 1024:])


def test_damaged_tensor_bytes_are_refused_naming_the_file(tiny_checkpoint, tmp_path, capsys):
    damaged = tmp_path / "damaged.pth"
    damage(tiny_checkpoint, damaged)
    assert torch.load(damaged, weights_only=True)["state_dict"]["encoder.item_embedding.weight"].isnan().any()
    with pytest.raises(CorruptCheckpointError, match=rf"checkpoint {damaged} is damaged: its tensors do not match"):
        load_checkpoint(damaged)
    assert recommend_main(["--checkpoint", str(damaged), "--users", "1", "--topk", "10"]) == 2
    assert f"error: checkpoint {damaged} is damaged" in capsys.readouterr().err
