"""Re-evaluate a checkpoint of this package on validation and test, without training, under a chosen protocol."""

from __future__ import annotations

import os
from typing import Any

from recbole_elcrec.evaluation.protocol import check_protocol, protocol_of
from recbole_elcrec.quick_start.restore import load_trained
from recbole_elcrec.utils.registry import resolve_trainer


def evaluate_checkpoint(path: str | os.PathLike, protocol: str | None = None,
                        device: str | None = None) -> dict[str, Any]:
    """``{"valid": metrics, "test": metrics, "protocol": name, ...}`` of the checkpoint's model.

    The metrics come from RecBole's trainer, ``Collector`` and evaluator, as after training;
    ``protocol`` (``paper`` or ``recbole``) replaces the run's ``eval_protocol``.
    """
    overrides = {"eval_protocol": check_protocol(protocol)} if protocol else None
    trained = load_trained(path, device, overrides)
    trainer = resolve_trainer(trained.config.model_class)(trained.config, trained.model)
    return {
        "checkpoint": os.fspath(path), "model": trained.config["model"], "dataset": trained.config["dataset"],
        "protocol": protocol_of(trained.config),
        "valid": {key: float(value) for key, value in trainer.evaluate(trained.valid_data, False).items()},
        "test": {key: float(value) for key, value in trainer.evaluate(trained.test_data, False).items()},
    }
