"""Model and trainer lookup by name: suggestions for misspelt models, the baselines' trainers."""

import pytest

from recbole_elcrec.trainer.iclrec import ICLRecTrainer
from recbole_elcrec.trainer.trainer import ELCRecTrainer
from recbole_elcrec.utils.registry import UnknownModelError, resolve_model, resolve_trainer


def test_unknown_model_suggests_the_right_spelling():
    with pytest.raises(UnknownModelError, match="Did you mean SASRec"):
        resolve_model("SASrec")
    with pytest.raises(UnknownModelError, match="unknown model 'Nope'"):
        resolve_model("Nope")


def test_baselines_are_registered_with_their_trainers():
    assert resolve_trainer(resolve_model("CL4SRec")) is ELCRecTrainer
    assert resolve_trainer(resolve_model("ICLRec")) is ICLRecTrainer
