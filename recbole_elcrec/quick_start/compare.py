"""Head-to-head comparison under one protocol: the paper's Table 1, timing tables and Figure 4 ablation."""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from tqdm import tqdm

from recbole_elcrec.config import build_config
from recbole_elcrec.evaluation.protocol import protocol_of
from recbole_elcrec.evaluation.results import ABLATION_PREFIX, read_record, record_path, write_tables_report
from recbole_elcrec.utils.fingerprint import (
    SettingsMismatchError,
    describe_differences,
    differences,
    settings_fingerprint,
)
from recbole_elcrec.utils.hardware import peak_gpu_memory_mb
from recbole_elcrec.utils.io import atomic_write_json
from recbole_elcrec.utils.registry import UnknownModelError, resolve_model

PAPER_MODELS = "ELCRec,ICLRec,CL4SRec,SASRec,BERT4Rec,GRU4Rec,Caser,S3Rec,BPR"
PRETRAINED = ("S3Rec",)  # models whose run is pre-training then fine-tuning
# Figure 4 of the paper: (use_ccl, use_elcm) per row
ABLATION = {"baseline": (False, False), "+CCL": (True, False), "+ELCM": (False, True), "ELCRec": (True, True)}
FIRST_SEED = 2020
LOGGER = logging.getLogger(__name__)


def run_once(model: str, dataset: str, seed: int, config_files: list[str], overrides: dict[str, Any]) -> dict:
    """Train and test one model with one seed; adds peak GPU memory and the device.

    A run of the same model, dataset and settings that was interrupted (its ``-last.pth`` in the
    checkpoint folder, no results JSON) is resumed from its last finished epoch instead of started again;
    S3Rec's pre-training and fine-tuning each resume so (``quick_start.pretrain``).
    """
    import torch

    from recbole_elcrec.quick_start.pretrain import pretrain_and_finetune
    from recbole_elcrec.quick_start.run import run_or_resume

    if torch.cuda.is_available():
        torch.cuda.reset_peak_memory_stats()
    settings = {**overrides, "seed": seed}
    runner = pretrain_and_finetune if model in PRETRAINED else run_or_resume
    result = runner(model, dataset, config_files, settings)
    device = torch.cuda.get_device_name() if torch.cuda.is_available() else "CPU"
    return {**result, "peak_gpu_memory_mb": peak_gpu_memory_mb(), "device": device}


def shared_loss_overrides(model: str, dataset: str, config_files: list[str], overrides: dict[str, Any]) -> dict:
    """The next-item loss of ELCRec for a sequential baseline: CE stays CE, BCE (one negative) becomes BPR."""
    if "loss_type" in overrides or resolve_model(model).type.name != "SEQUENTIAL":
        return {}
    loss = build_config("ELCRec", dataset, config_files, overrides)["loss_type"]
    return {"loss_type": loss if model in ("ELCRec", "CL4SRec", "ICLRec") else {"BCE": "BPR"}.get(loss, loss)}


def check_models(models: list[str]) -> None:
    """Every name must be this package's or RecBole's; the error lists the wrong ones."""
    wrong = []
    for model in models:
        try:
            resolve_model(model)
        except UnknownModelError as error:
            wrong.append(str(error))
    if wrong:
        raise UnknownModelError("; ".join(wrong))


def load_finished_run(path: Path, dataset: str) -> dict[str, Any]:
    """A results file of an earlier run, refused when it belongs to another dataset (a reused --out)."""
    record = read_record(path)
    if record.get("dataset", dataset) != dataset:
        raise ValueError(f"{path} holds a run on dataset {record['dataset']!r}, not {dataset!r}: "
                         f"choose another --out or remove that folder")
    return record


def loss_regime(dataset: str, config_files: list[str], overrides: dict[str, Any]) -> str:
    """The next-item loss of a comparison, ELCRec's (``CE`` or ``BCE``): the ``<loss>`` of every record's name."""
    return str(overrides.get("loss_type") or build_config("ELCRec", dataset, config_files, overrides)["loss_type"])


def run_fingerprint(model: str, dataset: str, seed: int, config_files: list[str], settings: dict[str, Any]) -> dict:
    """The settings fingerprint of one run of the grid (as ``run`` computes it for its own results)."""
    return settings_fingerprint(build_config(model, dataset, config_files, {**settings, "seed": seed}))


def finished_run(path: Path, dataset: str, fingerprint: dict, force: bool) -> tuple[dict | None, list[str]]:
    """(the earlier run in ``path`` to reuse or None to train, the settings that differ from ``fingerprint``).

    A file without a fingerprint (written before fingerprints existed) is reused with a warning; with
    ``force`` a file with other settings or an unreadable one is trained again.
    """
    if not path.is_file():
        return None, []
    try:
        record = load_finished_run(path, dataset)
    except ValueError:
        if force:
            return None, []
        raise
    if "fingerprint" not in record:
        LOGGER.warning(f"{path} records no settings fingerprint (an older version wrote it); reused as it is")
        return record, []
    changed = differences(record["fingerprint"], fingerprint)
    return (None if changed else record), ([] if force else changed)


def run_grid(rows: Mapping[str, tuple[str, dict[str, Any]]], dataset: str, seeds: list[int], config_files: list[str],
             overrides: dict[str, Any], root: Path,
             runner: Callable[..., dict] = run_once, force: bool = False) -> dict[str, list[dict[str, Any]]]:
    """Run every (row, seed) without a finished record made with the same settings; all records per row.

    ``rows`` maps a row name to its model and extra settings. Each run's record is written atomically to
    ``root/<dataset>/<protocol>/<row>-<loss>-seed<k>.json`` (with its settings fingerprint) as soon as it
    finishes, so an interrupted comparison resumes where it stopped and every table can be rebuilt from
    the records alone. Before anything trains, every finished record is compared with the settings asked
    for: any difference stops with SettingsMismatchError naming the keys, unless ``force`` (retrain those).
    Every row's first seed runs before any second seed, so a long comparison yields a full table early.
    """
    loss = loss_regime(dataset, config_files, overrides)
    protocol = protocol_of(build_config("ELCRec", dataset, config_files, overrides))
    plan, mismatched = [], []
    for name, seed in [(name, seed) for seed in seeds for name in rows]:
        model, extra = rows[name]
        settings = {**overrides, **shared_loss_overrides(model, dataset, config_files, overrides), **extra}
        path = record_path(root, dataset, protocol, name, loss, seed)
        fingerprint = run_fingerprint(model, dataset, seed, config_files, settings)
        record, changed = finished_run(path, dataset, fingerprint, force)
        if changed:
            mismatched.append((path, changed))
        plan.append((name, seed, model, settings, path, fingerprint, record))
    if mismatched:
        path, changed = mismatched[0]
        more = f" ({len(mismatched) - 1} more finished run(s) differ too)" if len(mismatched) > 1 else ""
        raise SettingsMismatchError(
            f"{path} was made with other settings: {describe_differences(changed)}{more}",
            hint="pass --force to train the runs whose settings differ again (their files are replaced), "
                 "or choose another --out")
    results: dict[str, list[dict[str, Any]]] = {name: [] for name in rows}
    for name, seed, model, settings, path, fingerprint, record in tqdm(plan, desc="Runs", ncols=100):
        if record is None:
            record = {**runner(model, dataset, seed, config_files, settings), "row": name, "loss": loss,
                      "seed": seed, "fingerprint": fingerprint}
            atomic_write_json(path, record)
        results[name].append(record)
    return results


def seed_list(count: int) -> list[int]:
    """The seeds of ``count`` runs per row: 2020, 2021, ...; ValueError below one."""
    if count < 1:
        raise ValueError(f"--seeds must be at least 1, got {count}")
    return list(range(FIRST_SEED, FIRST_SEED + count))


def ablation_rows() -> dict[str, tuple[str, dict[str, Any]]]:
    """The paper's Figure 4 rows: ELCRec with each (use_ccl, use_elcm) setting; the full model is ELCRec's own row."""
    return {(name if name == "ELCRec" else ABLATION_PREFIX + name): ("ELCRec", {"use_ccl": ccl, "use_elcm": elcm})
            for name, (ccl, elcm) in ABLATION.items()}


def model_rows(models: list[str]) -> dict[str, tuple[str, dict[str, Any]]]:
    """One row per model; UnknownModelError when a name is neither this package's nor RecBole's."""
    check_models(models)
    return {model: (model, {}) for model in models}


def write_comparison(root: Path) -> Path:
    """Every table of every comparison under ``root``, rebuilt from the run records alone (``root/tables.md``)."""
    return write_tables_report(root)
