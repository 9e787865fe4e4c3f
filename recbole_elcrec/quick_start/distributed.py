"""Data-parallel training (DDP) over several processes on the device-resident loader: gloo on CPU, nccl on GPUs."""

from __future__ import annotations

import json
import socket
import tempfile
import traceback
from collections.abc import Mapping
from pathlib import Path
from time import time
from typing import Any

import torch
import torch.distributed as dist
import torch.multiprocessing as mp
from recbole.utils import init_logger, init_seed

from recbole_elcrec.config import build_config
from recbole_elcrec.data.loaders import DeviceBatchLoader
from recbole_elcrec.data.sequences import sequence_train_loader
from recbole_elcrec.quick_start.run import build_model, ensure_dataset_files, load_data, results_path
from recbole_elcrec.trainer.distributed import data_parallel_trainer_class, state_digests
from recbole_elcrec.trainer.resume import load_resumable, output_folder
from recbole_elcrec.utils.fingerprint import settings_fingerprint
from recbole_elcrec.utils.hardware import prepare_cpu
from recbole_elcrec.utils.io import atomic_write_json
from recbole_elcrec.utils.registry import resolve_trainer


class RankError(RuntimeError):
    """A training process (rank) failed; the message is its error, the traceback comes with --debug."""

    hint = "add --debug to see the failing rank's traceback"

    def __init__(self, message: str, user_error: bool) -> None:
        super().__init__(message)
        self.exit_status = 2 if user_error else 1


def rank_device(backend: str, rank: int) -> torch.device:
    """cuda:rank for nccl, the CPU for gloo."""
    if backend == "nccl":
        torch.cuda.set_device(rank)
        return torch.device("cuda", rank)
    return torch.device("cpu")


def rank_overrides(overrides: Mapping[str, Any], backend: str, rank: int) -> dict[str, Any]:
    """Per-rank settings: the fast loader, no GPU under gloo; only rank 0 logs and shows progress.

    Under nccl the rank's GPU is already selected (``cuda:<rank>``) before RecBole's config sets
    ``CUDA_VISIBLE_DEVICES`` from ``gpu_id``, which then changes nothing.
    """
    settings = {**overrides, "fast_train": True}
    if backend == "gloo":
        settings["gpu_id"] = ""
    if rank != 0:
        settings.update(state="ERROR", show_progress=False)
    return settings


def make_distributed(config, rank: int, world_size: int) -> None:
    """Tell RecBole's config it is one of ``world_size`` ranks (checkpoints and metric reduction read these)."""
    config["single_spec"] = False
    config["local_rank"] = rank
    config["world_size"] = world_size
    config["nproc"] = world_size


def make_run_folders(config) -> None:
    """Create the checkpoint and log folders of a run if missing.

    RecBole's ``ensure_dir`` checks, then creates; ranks starting together can both see the folder
    missing and the slower one fails with FileExistsError. ``exist_ok`` creation first avoids that.
    """
    for folder in (config["checkpoint_dir"], Path("log") / str(config["model"])):  # log/: RecBole's LOGROOT
        Path(folder).mkdir(parents=True, exist_ok=True)


def train_rank(rank: int, world_size: int, backend: str, model: str, dataset: str, config_files: list[str],
               overrides: Mapping[str, Any], resume: str | None = None) -> dict[str, Any]:
    """Train and test on this rank (process group already initialised); returns this rank's results.

    Subnormal floats count as zero and large buffers stay on the heap (``prepare_cpu``), as in a single-process run.
    """
    prepare_cpu()  # each rank is a new process: before its first torch threads, which inherit it
    device = rank_device(backend, rank)
    config = build_config(model, dataset, config_files, rank_overrides(overrides, backend, rank))
    config["device"] = device
    init_seed(config["seed"], config["reproducibility"])
    make_run_folders(config)
    init_logger(config)
    _, train_data, valid_data, test_data = load_data(config)
    model_instance = build_model(config, train_data)
    if (config["train_mode"] or "prefix") == "sequence":
        loader = sequence_train_loader(config, train_data, rank, world_size)
    else:
        loader = DeviceBatchLoader(train_data, int(config["train_batch_size"]), device, shuffle=True,
                                   seed=int(config["seed"]), rank=rank, world_size=world_size)
    trainer = data_parallel_trainer_class(resolve_trainer(config.model_class))(config, model_instance)
    trainer.run_spec = {"model": model, "dataset": dataset, "config_files": config_files,
                        "overrides": dict(overrides), "world_size": world_size, "backend": backend}
    trainer.fingerprint = settings_fingerprint(config)
    if resume:
        trainer.resume_checkpoint(resume)
    make_distributed(config, rank, world_size)
    trainer.attach_process_group(device)
    best_valid_score, best_valid_result = trainer.fit(loader, valid_data, show_progress=config["show_progress"])
    train_seconds = trainer.train_seconds()
    digests = state_digests(trainer.model)  # the trained state, before the best checkpoint is reloaded
    gathered: list[Any] = [None] * world_size
    dist.all_gather_object(gathered, digests)
    test_result = trainer.evaluate(test_data, load_best_model=True, show_progress=config["show_progress"])
    result = {
        "model": model, "dataset": dataset, "seed": config["seed"], "rank": rank, "world_size": world_size,
        "backend": backend, "best_valid_score": float(best_valid_score),
        "best_valid_result": {key: float(value) for key, value in (best_valid_result or {}).items()},
        "test_result": {key: float(value) for key, value in test_result.items()},
        "train_seconds": train_seconds, "epochs_run": len(trainer.train_loss_dict), "history": trainer.history,
        "checkpoint": trainer.saved_model_file, "replicas_identical": all(d == digests for d in gathered),
        "state_digests": digests,
    }
    if rank == 0:
        result["results_file"] = str(atomic_write_json(results_path(trainer.saved_model_file), result))
    return result


def _worker(rank: int, world_size: int, backend: str, init_method: str, job: dict[str, Any], out_dir: str) -> None:
    try:
        dist.init_process_group(backend, init_method=init_method, rank=rank, world_size=world_size)
        try:
            atomic_write_json(Path(out_dir) / f"rank{rank}.json", train_rank(rank, world_size, backend, **job))
        finally:
            dist.destroy_process_group()
    except Exception as error:  # for the parent: the error in words, whether it is the user's, the traceback
        atomic_write_json(Path(out_dir) / f"rank{rank}.error.json", {
            "type": type(error).__name__, "message": str(error) or type(error).__name__,
            "user_error": isinstance(error, (ValueError, OSError, FloatingPointError, ImportError)),
            "traceback": traceback.format_exc()})
        raise


def rank_failure(out_dir: str | Path, error: Exception) -> RankError:
    """The first failed rank's own error (from its ``rankN.error.json``), else what the process group reported."""
    for path in sorted(Path(out_dir).glob("rank*.error.json")):
        failed = json.loads(path.read_text())
        rank = path.name.split(".")[0].removeprefix("rank")
        return RankError(f"rank {rank} of the distributed run failed: {failed['message']}", failed["user_error"])
    return RankError(f"a rank of the distributed run failed: {str(error).strip().splitlines()[0]}", False)


def free_port() -> int:
    """A TCP port on localhost that nothing listens on right now."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def default_backend() -> str:
    return "nccl" if torch.cuda.is_available() else "gloo"


def launch(model: str = "ELCRec", dataset: str = "ml-100k", config_files: list[str] | tuple = (),
           overrides: Mapping[str, Any] | None = None, nproc: int = 2, backend: str | None = None,
           port: int | None = None, resume: str | None = None, timeout: float | None = None) -> list[dict[str, Any]]:
    """Train with ``nproc`` spawned processes; returns every rank's results, ordered by rank.

    With ``timeout`` (seconds) the processes are terminated and TimeoutError raised when they run longer.
    The settings, the dataset files, the checkpoint folder and a ``resume`` checkpoint are checked here,
    before any process starts; an error inside a rank is raised as RankError with that rank's message.
    """
    backend = backend or default_backend()
    if nproc < 1:
        raise ValueError(f"nproc must be at least 1, got {nproc}")
    if backend == "nccl" and torch.cuda.device_count() < nproc:
        raise ValueError(f"nccl needs one GPU per process: {nproc} processes, {torch.cuda.device_count()} GPUs")
    config = build_config(model, dataset, [str(path) for path in config_files],
                          rank_overrides(overrides or {}, backend, 0))
    ensure_dataset_files(config)
    output_folder(config, resume)
    if resume:
        load_resumable(resume, config, settings_fingerprint(config))
    job = {"model": model, "dataset": dataset, "config_files": [str(path) for path in config_files],
           "overrides": dict(overrides or {}), "resume": resume}
    init_method = f"tcp://127.0.0.1:{port or free_port()}"
    with tempfile.TemporaryDirectory(prefix="elcrec-ddp-") as out_dir:
        processes = mp.spawn(_worker, args=(nproc, backend, init_method, job, out_dir), nprocs=nproc, join=False)
        try:
            wait_for(processes, timeout)
        except (mp.ProcessRaisedException, mp.ProcessExitedException) as error:
            raise rank_failure(out_dir, error) from error
        return [json.loads((Path(out_dir) / f"rank{rank}.json").read_text()) for rank in range(nproc)]


def wait_for(processes: mp.ProcessContext, timeout: float | None) -> None:
    """Join the spawned ranks (re-raising a rank's error); terminate them all after ``timeout`` seconds."""
    deadline = None if timeout is None else time() + timeout
    while not processes.join(timeout=1.0):
        if deadline is not None and time() > deadline:
            for process in processes.processes:
                process.terminate()
            raise TimeoutError(f"distributed training did not finish within {timeout} s")
