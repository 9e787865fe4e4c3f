"""Data-parallel trainers are offered for this package's trainers only."""

import pytest

from recbole_elcrec.trainer.distributed import data_parallel_trainer_class
from recbole_elcrec.trainer.trainer import ELCRecTrainer


def test_only_package_trainers_are_data_parallel():
    assert issubclass(data_parallel_trainer_class(ELCRecTrainer), ELCRecTrainer)
    with pytest.raises(ValueError, match="ELCRecTrainer"):
        data_parallel_trainer_class(object)
