"""Head-to-head comparison under one protocol: the paper's Table 1, timing tables and Figure 4 ablation."""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

import pandas as pd
from tqdm import tqdm

from recbole_elcrec.config import build_config
from recbole_elcrec.evaluation.report import markdown_table
from recbole_elcrec.evaluation.tables import plot_ablation, quality_table, timing_table
from recbole_elcrec.utils.fingerprint import (
    SettingsMismatchError,
    describe_differences,
    differences,
    settings_fingerprint,
)
from recbole_elcrec.utils.hardware import peak_gpu_memory_mb
from recbole_elcrec.utils.io import atomic_write_json, atomic_write_text
from recbole_elcrec.utils.registry import UnknownModelError, resolve_model

PAPER_MODELS = "ELCRec,ICLRec,CL4SRec,SASRec,BERT4Rec,GRU4Rec,Caser,S3Rec,BPR"
UNSUPPORTED = {"S3Rec": "needs item attribute features (item_attribute) and a separate pre-training stage"}
# Figure 4 of the paper: (use_ccl, use_elcm) per row
ABLATION = {"baseline": (False, False), "+CCL": (True, False), "+ELCM": (False, True), "ELCRec": (True, True)}
FIRST_SEED = 2020
LOGGER = logging.getLogger(__name__)


def run_once(model: str, dataset: str, seed: int, config_files: list[str], overrides: dict[str, Any]) -> dict:
    """Train and test one model with one seed; adds peak GPU memory and the device."""
    import torch

    from recbole_elcrec.quick_start.run import run

    if torch.cuda.is_available():
        torch.cuda.reset_peak_memory_stats()
    result = run(model, dataset, config_files, {**overrides, "seed": seed})
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
    try:
        record = json.loads(path.read_text())
    except (json.JSONDecodeError, UnicodeDecodeError) as error:
        raise ValueError(f"{path} is not a complete results file ({error}): delete it to train that run again, "
                         "or pass --force") from None
    if not isinstance(record, dict):
        raise ValueError(f"{path} is not a results file (a JSON object): delete it or pass --force")
    if record.get("dataset", dataset) != dataset:
        raise ValueError(f"{path} holds a run on dataset {record['dataset']!r}, not {dataset!r}: "
                         f"choose another --out or remove that folder")
    return record


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
             overrides: dict[str, Any], runs_dir: Path,
             runner: Callable[..., dict] = run_once, force: bool = False) -> dict[str, list[dict[str, Any]]]:
    """Run every (row, seed) without a finished results file made with the same settings; all results per row.

    ``rows`` maps a row name to its model and extra settings. One JSON per run in ``runs_dir``
    (written atomically, with the run's settings fingerprint), so an interrupted comparison resumes.
    Before anything trains, every finished file is compared with the settings asked for: any
    difference stops with SettingsMismatchError naming the keys, unless ``force`` (retrain those runs).
    """
    plan, mismatched = [], []
    for name, seed in [(name, seed) for name in rows for seed in seeds]:
        model, extra = rows[name]
        settings = {**overrides, **shared_loss_overrides(model, dataset, config_files, overrides), **extra}
        path = runs_dir / f"{name.replace('+', 'plus_')}-seed{seed}.json"
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
            record = {**runner(model, dataset, seed, config_files, settings), "fingerprint": fingerprint}
            atomic_write_json(path, record)
        results[name].append(record)
    return results


def write_tables(results: Mapping[str, list[dict[str, Any]]], out: Path, stem: str) -> pd.DataFrame:
    """``stem.md`` / ``stem.csv`` (quality) and ``stem-timing.md`` / ``.csv``; returns the quality table."""
    tests = {name: [run["test_result"] for run in runs] for name, runs in results.items() if runs}
    shown, numeric = quality_table(tests)
    atomic_write_text(out / f"{stem}.md", markdown_table(shown))
    atomic_write_text(out / f"{stem}.csv", numeric.to_csv(index=False))
    timing = timing_table({name: runs for name, runs in results.items() if runs})
    atomic_write_text(out / f"{stem}-timing.md", markdown_table(timing))
    atomic_write_text(out / f"{stem}-timing.csv", timing.to_csv(index=False))
    return shown


def seed_list(count: int) -> list[int]:
    """The seeds of ``count`` runs per row: 2020, 2021, ...; ValueError below one."""
    if count < 1:
        raise ValueError(f"--seeds must be at least 1, got {count}")
    return list(range(FIRST_SEED, FIRST_SEED + count))


def ablation_rows() -> dict[str, tuple[str, dict[str, Any]]]:
    """The paper's Figure 4 rows: ELCRec with each (use_ccl, use_elcm) setting."""
    return {name: ("ELCRec", {"use_ccl": ccl, "use_elcm": elcm}) for name, (ccl, elcm) in ABLATION.items()}


def model_rows(models: list[str]) -> tuple[dict[str, tuple[str, dict[str, Any]]], dict[str, str]]:
    """One row per model that can run, and the unsupported ones with the reason they are skipped.

    UnknownModelError when a name is neither this package's nor RecBole's.
    """
    check_models(models)
    skipped = {model: UNSUPPORTED[model] for model in set(models) & set(UNSUPPORTED)}
    return {model: (model, {}) for model in models if model not in UNSUPPORTED}, skipped


def write_comparison(results: Mapping[str, list[dict[str, Any]]], out: Path, dataset: str,
                     ablation: bool) -> tuple[pd.DataFrame, str]:
    """The tables (and with ``ablation`` the bar chart) of a finished grid; the quality table and the file stem."""
    stem = "ablation" if ablation else "table"
    shown = write_tables(results, out, stem)
    if ablation:
        tests = {name: [run["test_result"] for run in runs] for name, runs in results.items()}
        plot_ablation(tests, out / "ablation.png", f"ELCRec ablation on {dataset}")
    return shown, stem
