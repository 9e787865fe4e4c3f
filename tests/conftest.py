"""Shared fixtures: the tiny generated dataset, and few threads on the 2-core CI machine."""

from __future__ import annotations

from pathlib import Path

import pytest
import torch

from tests.helpers import write_tiny_inter


@pytest.fixture(scope="session")
def tiny_data_path(tmp_path_factory) -> Path:
    """A ``data_path`` holding the tiny dataset ``tiny``."""
    root = tmp_path_factory.mktemp("data")
    write_tiny_inter(root)
    return root


@pytest.fixture(autouse=True)
def _few_threads():
    """Keep tests light on the 2-core CI machine."""
    torch.set_num_threads(1)
