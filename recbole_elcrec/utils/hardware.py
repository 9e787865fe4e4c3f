"""Hardware facts and settings: the device's name, peak memory, the package's commit, CPU arithmetic and memory."""

from __future__ import annotations

import ctypes
import os
import platform
import resource
import subprocess
from pathlib import Path

import torch


def flush_denormals() -> bool:
    """Treat subnormal floats (below 1.2e-38 in float32) as zero on the CPU, as TensorFlow does by default.

    Weights that weight decay drives towards zero pass through the subnormal range, where x86 arithmetic
    is many times slower: RecBole's Caser on Beauty went from 700 s an epoch to 4,100 s once 240k of its
    values were subnormal. Threads inherit the setting when they are created, so this must run before
    torch's first multi-threaded operation: ``run``, S3Rec's ``pretrain``, ``load_trained`` and each
    distributed rank call it first. True where supported.
    """
    return torch.set_flush_denormal(True)


# mallopt's parameter numbers (glibc's malloc.h) and values
_M_TRIM_THRESHOLD = -1
_M_MMAP_THRESHOLD = -3
_MMAP_ABOVE_BYTES = 1 << 30
_NEVER_TRIM = -1


def keep_large_buffers() -> bool:
    """Serve allocations below 1 GiB from the heap and never hand freed heap memory back, where the C library is glibc.

    glibc maps each allocation above its mmap threshold (32 MiB at most) fresh from the kernel and unmaps it
    when freed, and gives the heap's free top back once it passes its trim threshold, so the buffers of every
    training step are page-faulted in anew, in kernel time: ELCRec's 39 MB feed-forward activations (three
    views of a 256-row batch, 50 positions, 256 wide) drew 266k page faults a second on Toys and a training
    epoch took 25 s instead of 10.5 s. With both thresholds fixed the process keeps its peak heap and reuses it.
    Process-wide; True where glibc accepted both.
    """
    if platform.libc_ver()[0] != "glibc":
        return False
    mallopt = ctypes.CDLL(None).mallopt
    return bool(mallopt(_M_MMAP_THRESHOLD, _MMAP_ABOVE_BYTES)) and bool(mallopt(_M_TRIM_THRESHOLD, _NEVER_TRIM))


def prepare_cpu() -> dict[str, bool]:
    """Set the process up for CPU training before torch's first threads; which settings took, by record key.

    ``denormals_flushed``: ``flush_denormals``; ``large_buffers_kept``: ``keep_large_buffers``.
    """
    return {"denormals_flushed": flush_denormals(), "large_buffers_kept": keep_large_buffers()}


def device_name(device: torch.device | str) -> str:
    """The GPU's name, or the CPU model and core count (for benchmark reports)."""
    device = torch.device(device)
    if device.type == "cuda":
        return torch.cuda.get_device_name(device)
    model = next((line.split(":", 1)[1].strip() for line in _cpuinfo_lines() if line.startswith("model name")),
                 platform.processor() or platform.machine())
    return f"{model} ({os.cpu_count()} logical CPUs visible)"


def _cpuinfo_lines() -> list[str]:
    try:
        return Path("/proc/cpuinfo").read_text().splitlines()
    except OSError:
        return []


def peak_memory_bytes(device: torch.device | str) -> tuple[int, str]:
    """Peak memory and what it counts: CUDA memory torch allocated since the last reset, else the process peak RSS."""
    device = torch.device(device)
    if device.type == "cuda":
        return int(torch.cuda.max_memory_allocated(device)), "torch.cuda.max_memory_allocated"
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024, "process peak RSS (ru_maxrss, whole run so far)"


def reset_peak_memory(device: torch.device | str) -> None:
    """Start a new CUDA peak-memory window (the process RSS peak cannot be reset)."""
    if torch.device(device).type == "cuda":
        torch.cuda.reset_peak_memory_stats(device)


def peak_gpu_memory_mb() -> float | None:
    """Peak GPU memory allocated by torch since the last reset, in MB; None without CUDA."""
    return torch.cuda.max_memory_allocated() / 2**20 if torch.cuda.is_available() else None


def package_commit(root: Path | None = None) -> str | None:
    """The git commit of this package's checkout (``+dirty`` with uncommitted changes); None outside git.

    Changes to ``results/`` and Markdown files do not count: records and tables that a long run's
    ``compare`` refreshes before they are committed change nothing that the next run executes.
    """
    root = root or Path(__file__).resolve().parents[2]
    try:
        commit = subprocess.run(["git", "-C", str(root), "rev-parse", "--short", "HEAD"], capture_output=True,
                                text=True, timeout=10, check=True).stdout.strip()
        dirty = subprocess.run(["git", "-C", str(root), "status", "--porcelain", "--untracked-files=no", "--", ".",
                                ":(exclude)results", ":(exclude)*.md"],
                               capture_output=True, text=True, timeout=10, check=True).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        return None
    return f"{commit}+dirty" if dirty else commit
