"""Shared fixtures: the tiny generated dataset, a checkpoint trained on it, and few threads on the 2-core CI machine."""

from __future__ import annotations

from pathlib import Path

import pytest
import torch

from tests.helpers import TINY_DATASET, tiny_overrides, write_tiny_inter


@pytest.fixture(scope="session")
def tiny_data_path(tmp_path_factory) -> Path:
    """A ``data_path`` holding the tiny dataset ``tiny``."""
    root = tmp_path_factory.mktemp("data")
    write_tiny_inter(root)
    return root


@pytest.fixture(scope="session")
def tiny_checkpoint(tiny_data_path, tmp_path_factory) -> str:
    """The best checkpoint of ELCRec trained for two epochs on the tiny dataset."""
    from recbole_elcrec.quick_start.run import run

    tmp_path = tmp_path_factory.mktemp("analyze")
    return run("ELCRec", TINY_DATASET, overrides=tiny_overrides(tmp_path, tiny_data_path))["checkpoint"]


@pytest.fixture(scope="session")
def tiny_loaders(tiny_data_path, tmp_path_factory):
    """``(config, dataset, train, valid, test)`` of ELCRec's settings on the tiny dataset, paper protocol."""
    from recbole_elcrec.config import build_config
    from recbole_elcrec.quick_start.run import load_data

    config = build_config("ELCRec", TINY_DATASET, [], tiny_overrides(tmp_path_factory.mktemp("loaders"),
                                                                     tiny_data_path))
    return (config, *load_data(config))


@pytest.fixture(autouse=True)
def _few_threads():
    """Keep tests light on the 2-core CI machine."""
    torch.set_num_threads(1)
