"""S3Rec's two stages as one run: self-supervised pre-training on item attributes, then fine-tuning."""

from __future__ import annotations

import logging
from pathlib import Path
from time import time
from typing import Any

from recbole.utils import init_logger, init_seed

from recbole_elcrec.config import build_config
from recbole_elcrec.quick_start.run import build_model, load_data, run_or_resume
from recbole_elcrec.trainer.checkpoint import save_checkpoint_atomically
from recbole_elcrec.trainer.resume import RESUMABLE_CHANGES, loader_state, restore_run_state, rng_states
from recbole_elcrec.utils.compat import load_checkpoint
from recbole_elcrec.utils.fingerprint import describe_differences, differences, settings_fingerprint
from recbole_elcrec.utils.hardware import prepare_cpu
from recbole_elcrec.utils.integrity import with_checksum
from recbole_elcrec.utils.registry import resolve_trainer

PRETRAIN_SHARE_OF_CAP = 0.5  # of time_cap_minutes, for pre-training; fine-tuning gets the rest
FINISHED_SUFFIX = "-pretrained.pth"  # the weights fine-tuning starts from, with the stage's epochs and seconds
STATE_SUFFIX = "-pretraining.pth"  # an unfinished pre-training's resumable state, rewritten after every epoch
LOGGER = logging.getLogger(__name__)


def pretraining_files(config: Any) -> tuple[Path, Path]:
    """(finished pre-training, unfinished pre-training's state) of ``config``'s model, dataset and seed."""
    stem = Path(config["checkpoint_dir"]) / f"{config['model']}-{config['dataset']}-seed{config['seed']}"
    return stem.with_name(stem.name + FINISHED_SUFFIX), stem.with_name(stem.name + STATE_SUFFIX)


def matching_checkpoint(path: Path, fingerprint: dict[str, Any]) -> dict[str, Any] | None:
    """The checkpoint at ``path`` if it loads and was written with these settings (``RESUMABLE_CHANGES`` aside).

    None for a missing, unreadable or other-settings file (the last two logged), which is then trained afresh.
    """
    if not path.is_file():
        return None
    try:
        checkpoint = load_checkpoint(path)
    except (OSError, ValueError, RuntimeError) as error:
        LOGGER.warning(f"pre-training afresh: {error}")
        return None
    changed = differences(checkpoint.get("fingerprint"), fingerprint, ignore=RESUMABLE_CHANGES)
    if not checkpoint.get("fingerprint") or changed:
        reason = describe_differences(changed) if changed else "no settings fingerprint"
        LOGGER.info(f"pre-training afresh: {path} was written with other settings ({reason})")
        return None
    return checkpoint


def pretrain(model: str, dataset: str, config_files: list[str], overrides: dict[str, Any]) -> dict[str, Any]:
    """Pre-train ``model`` (``train_stage: pretrain``) for ``pretrain_epochs`` or half the time cap.

    Returns the checkpoint fine-tuning loads (its ``state_dict``, loadable with ``weights_only``), the
    seconds and epochs. Resumable: the state after every epoch goes to ``<model>-<dataset>-seed<k>``
    ``-pretraining.pth``, which a later call with the same settings continues from (weights, optimiser,
    random and loader states, seconds so far, which count towards the cap); a finished pre-training
    with the same settings is reused as it is. Subnormal floats count as zero and large buffers stay on
    the heap (``prepare_cpu``), as in the fine-tuning run: pre-training is the first torch work of the
    process when S3Rec is the first run of a comparison, so flushing only in ``run`` would come after
    torch's threads exist and miss them.
    """
    prepare_cpu()  # before torch's first threads, which inherit it
    config = build_config(model, dataset, config_files, {**overrides, "train_stage": "pretrain"})
    init_seed(config["seed"], config["reproducibility"])
    init_logger(config)
    fingerprint = settings_fingerprint(config)
    finished, state = pretraining_files(config)
    done = matching_checkpoint(finished, fingerprint)
    if done:
        LOGGER.info(f"reusing the finished pre-training {finished} ({done['pretrain_epochs_run']} epochs)")
        return {"pre_model_path": str(finished), "pretrain_seconds": float(done["pretrain_seconds"]),
                "pretrain_epochs_run": int(done["pretrain_epochs_run"])}
    _, train_data, _, _ = load_data(config)
    trainer = resolve_trainer(config.model_class)(config, build_model(config, train_data))
    epochs, prior_seconds = resume_pretraining(trainer, train_data, matching_checkpoint(state, fingerprint), state)
    cap = config["time_cap_minutes"]
    budget = None if cap is None else float(cap) * 60 * PRETRAIN_SHARE_OF_CAP
    started = time() - prior_seconds  # the clock of the whole stage, the interrupted processes' seconds included
    while epochs < int(config["pretrain_epochs"]) and (budget is None or time() - started < budget):
        losses = trainer._train_epoch(train_data, epochs, show_progress=config["show_progress"])
        LOGGER.info(f"pre-training epoch {epochs}: loss {losses}")
        epochs += 1
        save_checkpoint_atomically(with_checksum({
            "model": config["model"], "fingerprint": fingerprint, "pretrain_epochs_run": epochs,
            "pretrain_seconds": time() - started, "state_dict": trainer.model.state_dict(),
            "optimizer": trainer.optimizer.state_dict(), "rng_states": rng_states(),
            "loader_state": loader_state(train_data)}), state)
    summary = {"pretrain_seconds": time() - started, "pretrain_epochs_run": epochs}
    save_checkpoint_atomically(with_checksum({"model": config["model"], "fingerprint": fingerprint, **summary,
                                              "state_dict": trainer.model.state_dict()}), finished)
    state.unlink(missing_ok=True)
    return {"pre_model_path": str(finished), **summary}


def resume_pretraining(trainer: Any, train_data: Any, saved: dict[str, Any] | None, path: Path) -> tuple[int, float]:
    """(epochs done, seconds spent) of an interrupted pre-training, its state loaded into ``trainer``; (0, 0.0)."""
    if saved is None:
        return 0, 0.0
    trainer.model.load_state_dict(saved["state_dict"])
    trainer.optimizer.load_state_dict(saved["optimizer"])
    restore_run_state(train_data, saved)
    LOGGER.info(f"resuming the interrupted pre-training {path} after {saved['pretrain_epochs_run']} epochs")
    return int(saved["pretrain_epochs_run"]), float(saved["pretrain_seconds"])


def pretrain_and_finetune(model: str, dataset: str, config_files: list[str], overrides: dict[str, Any]) -> dict:
    """Both stages; the record of the fine-tuning run with the pre-training's seconds added to its own.

    ``time_cap_minutes`` covers both: pre-training stops at half of it, fine-tuning gets what is left.
    A pre-training stopped by the cap before ``pretrain_epochs`` makes the run capped (``stop_reason``
    ``time cap``, not converged) whatever ended its fine-tuning. Each stage resumes where an interrupted
    comparison left it.
    """
    stage = pretrain(model, dataset, config_files, overrides)
    finetune = {**overrides, "train_stage": "finetune", "pre_model_path": stage["pre_model_path"]}
    if overrides.get("time_cap_minutes") is not None:
        finetune["time_cap_minutes"] = max(overrides["time_cap_minutes"] - stage["pretrain_seconds"] / 60, 1e-3)
    result = run_or_resume(model, dataset, config_files, finetune)
    record = {**result, **stage, "finetune_seconds": result["train_seconds"],
              "train_seconds": result["train_seconds"] + stage["pretrain_seconds"],
              "pretrain_stop_reason": pretrain_stop_reason(stage, result["settings"])}
    if record["pretrain_stop_reason"] == "time cap":  # a run cut short anywhere is not converged
        record.update(stop_reason="time cap", converged=False)
    return record


def pretrain_stop_reason(stage: dict[str, Any], settings: dict[str, Any]) -> str:
    """``epoch cap`` when pre-training ran all its ``pretrain_epochs``, else ``time cap`` (its share ran out)."""
    return "epoch cap" if stage["pretrain_epochs_run"] >= int(settings["pretrain_epochs"]) else "time cap"
