"""The multi-task ELCRec trainer: named loss terms, centre seeding, bf16 autocast, stop on a non-finite loss."""

from __future__ import annotations

import os
from collections.abc import Callable
from time import time
from typing import Any

import torch
from recbole.trainer import Trainer
from recbole.utils import calculate_valid_score, dict2str, early_stopping, set_color
from torch.nn.utils import clip_grad_norm_
from tqdm import tqdm

from recbole_elcrec.data.loaders import FastTrainingError
from recbole_elcrec.model.adaptive import adaptive_epoch
from recbole_elcrec.trainer.checkpoint import SafeCheckpointMixin

AMP_DTYPES = {"bf16": torch.bfloat16, "bfloat16": torch.bfloat16}
NO_AMP = (None, "", "none", "fp32", "float32")


class NonFiniteLossError(FloatingPointError):
    """A loss term became NaN or infinite; the last good checkpoint is kept."""


# the settings that weigh (or scale) each loss term, in the order they are suggested; the first of each
# group the model has is named
TERM_KNOBS = {"next_item": (("learning_rate",),), "cluster": (("alpha",),),
              "seq_cl": (("ccl_weight", "cl_weight", "cf_weight"), ("temperature",)),
              "intent_cl": (("ccl_weight", "intent_cf_weight"), ("temperature",))}


def loss_term_advice(term: str, config) -> str:
    """What to change when ``term`` became non-finite: lower its weight (raise the temperature), or the rate."""
    present = getattr(config, "final_config_dict", config)
    groups = [next((key for key in group if key in present), None) for group in TERM_KNOBS.get(term, ())]
    weight, *rest = [key for key in groups if key] or ["learning_rate"]
    advice = f"Lower {weight}" + (" (the weight of this term)" if weight != "learning_rate" else "")
    return advice + "".join(f" or raise {key}" for key in rest) + "."


def autocast_dtype(amp_dtype: str | None, device: torch.device | str) -> torch.dtype | None:
    """The autocast dtype for config key ``amp_dtype`` on ``device``; None for full precision.

    Only bf16 is offered (it needs no loss scaling); a CUDA device without bf16 support is refused.
    """
    name = None if amp_dtype is None else str(amp_dtype).lower()
    if name in NO_AMP:
        return None
    if name not in AMP_DTYPES:
        raise FastTrainingError(f"amp_dtype must be bf16 or none, got {amp_dtype!r}")
    device = torch.device(device)
    if device.type == "cuda" and not torch.cuda.is_bf16_supported():
        raise FastTrainingError(f"amp_dtype={amp_dtype}: the GPU {torch.cuda.get_device_name(device)} lacks bf16")
    return AMP_DTYPES[name]


class ELCRecTrainer(SafeCheckpointMixin, Trainer):
    """Trainer for multi-task models returning the named loss terms of ``model.LOSS_TERMS``.

    Logs every term per epoch (log, progress bar, TensorBoard), seeds learnable centres from a few
    batches before the first epoch, stops on a non-finite term naming epoch and term, writes a
    resumable checkpoint after every epoch and the best one on validation improvement.
    """

    def __init__(self, config, model):
        super().__init__(config, model)
        self._init_checkpoint_files()
        self.loss_names = tuple(getattr(model, "LOSS_TERMS", ("loss",)))
        self.history: list[dict[str, Any]] = []
        self.amp_dtype = autocast_dtype(config["amp_dtype"], self.device)

    @torch.no_grad()
    def _sample_embeddings(self, train_data) -> torch.Tensor:
        """Behaviour embeddings of the sequences in the first ``centre_init_batches`` training batches."""
        n_batches = max(1, int(self.config["centre_init_batches"] or 1))
        self.model.eval()
        sample = []
        for batch_idx, interaction in enumerate(train_data):
            if batch_idx >= n_batches:
                break
            embeddings, _ = self.model.user_intents(interaction.to(self.device))
            sample.append(embeddings)
        return torch.cat(sample)

    def _before_training(self, train_data) -> None:
        """Seed the model's centres from a few training batches when it has any."""
        if not hasattr(self.model, "init_centres") or bool(self.model.centres_initialised):
            return
        sample = self._sample_embeddings(train_data)
        self.model.init_centres(sample)
        self.logger.info(f"Initialised {self.model.n_clusters} centres ({self.config['centre_init']}) "
                         f"from {len(sample)} sampled sequences")

    def _before_epoch(self, train_data, epoch_idx: int) -> dict[str, Any]:
        """Per-epoch work before training; returns values for the epoch's history record.

        With ``adaptive_centres`` (true/reseed | prune) the live intents are counted on a sample of
        training sequences, and every ``adaptive_interval`` epochs dead and duplicate centres are treated.
        """
        return adaptive_epoch(self.model, self.config, epoch_idx, lambda: self._sample_embeddings(train_data))

    def _check_finite(self, terms: dict[str, torch.Tensor], epoch_idx: int, batch_idx: int) -> None:
        for name, value in terms.items():
            if not torch.isfinite(value):
                raise NonFiniteLossError(
                    f"loss term '{name}' became {value.item()} at epoch {epoch_idx}, batch {batch_idx}; "
                    f"training stopped. {self._good_checkpoints()} {loss_term_advice(name, self.config)}"
                )

    def _good_checkpoints(self) -> str:
        """The checkpoints on disk that the run can go on from (only those that exist)."""
        files = [f"{path} ({role})" for path, role in ((self.last_checkpoint_file, "resume"),
                                                        (self.saved_model_file, "best")) if os.path.isfile(path)]
        if not files:
            return "No checkpoint was written yet (the first epoch did not finish)."
        return f"Last good checkpoint{'s' if len(files) > 1 else ''}: {' and '.join(files)}."

    def _train_epoch(self, train_data, epoch_idx, loss_func=None, show_progress=False):
        """One epoch; returns the mean of every named loss term over the batches."""
        self.model.train()
        loss_func = loss_func or self.model.calculate_loss
        sums = dict.fromkeys(self.loss_names, 0.0)
        progress = tqdm(train_data, total=len(train_data), ncols=100, desc=set_color(f"Train {epoch_idx:>5}", "pink"),
                        disable=not show_progress)
        n_batches = 0
        for batch_idx, interaction in enumerate(progress):
            interaction = interaction.to(self.device)
            self.optimizer.zero_grad()
            with torch.autocast(device_type=self.device.type, dtype=self.amp_dtype,
                                enabled=bool(self.enable_amp) or self.amp_dtype is not None):
                losses = loss_func(interaction)
            losses = losses if isinstance(losses, tuple) else (losses,)
            terms = dict(zip(self.loss_names, losses, strict=True))
            self._check_finite(terms, epoch_idx, batch_idx)
            sum(losses).backward()
            if self.clip_grad_norm:
                clip_grad_norm_(self.model.parameters(), **self.clip_grad_norm)
            self.optimizer.step()
            for name, value in terms.items():
                sums[name] += value.item()
            n_batches += 1
            if show_progress:
                progress.set_postfix({name: f"{value.item():.4f}" for name, value in terms.items()})
        return {name: total / max(n_batches, 1) for name, total in sums.items()}

    def _log_epoch_losses(self, epoch_idx: int, seconds: float, losses: dict[str, float], verbose: bool) -> None:
        self.train_loss_dict[epoch_idx] = sum(losses.values())
        for name, value in losses.items():
            self.tensorboard.add_scalar(f"Loss/Train/{name}", value, epoch_idx)
        if verbose:
            terms = ", ".join(f"{set_color(name, 'blue')}: {value:.4f}" for name, value in losses.items())
            self.logger.info(f"{set_color(f'epoch {epoch_idx} training', 'green')} [time: {seconds:.2f}s, {terms}]")

    def _validate(self, valid_data, epoch_idx: int, verbose: bool, saved: bool, show_progress: bool,
                  callback_fn: Callable | None, record: dict[str, Any]) -> bool:
        """Evaluate on validation data, note the score in ``record``, keep the best checkpoint; True to stop."""
        start = time()
        valid_result = self.evaluate(valid_data, load_best_model=False, show_progress=show_progress)
        valid_score = calculate_valid_score(valid_result, self.valid_metric)
        self.best_valid_score, self.cur_step, stop_flag, update_flag = early_stopping(
            valid_score, self.best_valid_score, self.cur_step,
            max_step=self.stopping_step, bigger=self.valid_metric_bigger,
        )
        record["valid_score"] = valid_score
        self.tensorboard.add_scalar("Valid_score", valid_score, epoch_idx)
        if verbose:
            self.logger.info(
                f"{set_color(f'epoch {epoch_idx} evaluating', 'green')} [time: {time() - start:.2f}s, "
                f"valid_score: {valid_score:f}]\n{set_color('valid result', 'blue')}: \n{dict2str(valid_result)}"
            )
        if update_flag:
            self.best_valid_result = valid_result
            if saved:
                self._save_checkpoint(epoch_idx, verbose=verbose)
        if callback_fn:
            callback_fn(epoch_idx, valid_score)
        if stop_flag and verbose:
            best_epoch = epoch_idx - self.cur_step * self.eval_step
            self.logger.info(f"Finished training, best eval result in epoch {best_epoch}")
        return stop_flag

    def fit(self, train_data, valid_data=None, verbose=True, saved=True, show_progress=False, callback_fn=None):
        """Train with validation-based early stopping; returns (best valid score, best valid result)."""
        self._begin_fit(train_data)
        self.eval_collector.data_collect(train_data)
        if self.start_epoch == 0:
            self._before_training(train_data)
        validates = bool(valid_data) and self.eval_step > 0
        for epoch_idx in range(self.start_epoch, self.epochs):
            extras = self._before_epoch(train_data, epoch_idx)
            start = time()
            losses = self._train_epoch(train_data, epoch_idx, show_progress=show_progress)
            seconds = time() - start
            self._log_epoch_losses(epoch_idx, seconds, losses, verbose)
            record = {"epoch": epoch_idx, "train_seconds": seconds, **losses, **extras}
            self.history.append(record)
            stop = False
            if validates and (epoch_idx + 1) % self.eval_step == 0:
                stop = self._validate(valid_data, epoch_idx, verbose, saved, show_progress, callback_fn, record)
            elif not validates and saved:
                self._save_checkpoint(epoch_idx, verbose=verbose)
            if saved:
                self._save_last_checkpoint(epoch_idx)
            if stop:
                break
        if saved and not os.path.exists(self.saved_model_file):
            self._save_checkpoint(self.start_epoch - 1, verbose=verbose)
        return self.best_valid_score, self.best_valid_result
