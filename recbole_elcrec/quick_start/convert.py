"""Turn a checkpoint of the authors' ELCRec code into a checkpoint of this package, item rows mapped by token."""

from __future__ import annotations

import os
import re
from pathlib import Path
from typing import Any

import torch
from recbole.data import create_dataset

from recbole_elcrec.config import build_config
from recbole_elcrec.quick_start.run import ensure_dataset_files
from recbole_elcrec.trainer.checkpoint import CHECKPOINT_FORMAT, plain_values, save_checkpoint_atomically

AUTHORS_DEFAULT_HEADS = 2  # num_attention_heads default of the authors' src/main.py
LAYER_KEY = re.compile(r"^item_encoder\.layer\.(\d+)\.")
REQUIRED_KEYS = ("item_embeddings.weight", "position_embeddings.weight", "LayerNorm.weight", "LayerNorm.bias",
                 "cluster_centers")
# the authors' module names -> this package's, inside one encoder layer
LAYER_NAMES = {"attention.query": "multi_head_attention.query", "attention.key": "multi_head_attention.key",
               "attention.value": "multi_head_attention.value", "attention.dense": "multi_head_attention.dense",
               "attention.LayerNorm": "multi_head_attention.LayerNorm", "intermediate.dense_1": "feed_forward.dense_1",
               "intermediate.dense_2": "feed_forward.dense_2", "intermediate.LayerNorm": "feed_forward.LayerNorm"}


class ConversionError(ValueError):
    """The file is not a checkpoint of the authors' code, or does not fit the dataset; the message says why."""


def read_authors_state(path: str | os.PathLike) -> dict[str, torch.Tensor]:
    """The ``state_dict`` saved by the authors' code (``torch.save(model.state_dict())``), checked for its keys."""
    path = Path(path)
    if not path.is_file():
        raise ConversionError(f"{path}: no such file; expected a .pt file saved by the authors' ELCRec code")
    try:
        state = torch.load(path, map_location="cpu", weights_only=True)
    except Exception as error:  # torch raises UnpicklingError, RuntimeError, EOFError ... for non-checkpoints
        raise ConversionError(f"{path} cannot be read as a PyTorch file ({type(error).__name__}); expected the .pt "
                              "state_dict the authors' ELCRec code saves") from None
    if not isinstance(state, dict) or not all(isinstance(value, torch.Tensor) for value in state.values()):
        raise ConversionError(f"{path} holds a {type(state).__name__}, not a state_dict of tensors; expected the .pt "
                              "the authors' code writes (torch.save(model.state_dict()))")
    missing = [key for key in REQUIRED_KEYS if key not in state]
    if missing or not any(LAYER_KEY.match(key) for key in state):
        raise ConversionError(f"{path} is not a checkpoint of the authors' ELCRec code: missing "
                              f"{', '.join(missing) or 'item_encoder.layer.*'}")
    return state


def logged_settings(checkpoint: Path) -> dict[str, str]:
    """The ``Namespace(...)`` settings the authors' code logs as the first line of ``<stem>.txt`` / ``.log``."""
    for log in (checkpoint.with_suffix(".txt"), checkpoint.with_suffix(".log")):
        if log.is_file():
            first = log.read_text(encoding="utf-8", errors="replace").split("\n", 1)[0]
            return dict(re.findall(r"(\w+)=('[^']*'|[^,()]+)", first))
    return {}


def architecture(state: dict[str, torch.Tensor], checkpoint: Path, n_heads: int | None) -> dict[str, Any]:
    """This package's settings for the encoder in ``state``: layers, sizes, k from the tensors; heads from the log.

    The number of heads leaves no trace in a state_dict: ``n_heads`` when given, else the run's log
    beside the file, else the authors' default.
    """
    items, hidden = state["item_embeddings.weight"].shape
    layers = {int(LAYER_KEY.match(key).group(1)) for key in state if LAYER_KEY.match(key)}
    logged = logged_settings(checkpoint)
    heads = n_heads or int(logged.get("num_attention_heads", AUTHORS_DEFAULT_HEADS))
    return {
        "n_layers": len(layers), "n_heads": heads, "hidden_size": hidden,
        "inner_size": state["item_encoder.layer.0.intermediate.dense_1.weight"].shape[0],
        "MAX_ITEM_LIST_LENGTH": state["position_embeddings.weight"].shape[0],
        "n_clusters": state["cluster_centers"].shape[0], "hidden_act": logged.get("hidden_act", "'gelu'").strip("'"),
        "layer_norm_eps": 1e-12, "position_alignment": "end", "cluster_embedding": "mean",
    }, items


def item_rows(dataset: Any, authors_items: int) -> torch.Tensor:
    """Row of the authors' item table for each of this package's item ids (0: padding, n_items: mask token).

    The authors' table has one row per raw item id of the sequence file, 0 for padding and the last row
    (``max id + 1``) for the mask token; the dataset maps the same raw ids (its tokens) to its own ids.
    """
    tokens = dataset.field2id_token[dataset.iid_field][1:]
    authors_count = authors_items - 2  # minus padding and mask rows
    if len(tokens) != authors_count:
        raise ConversionError(f"the checkpoint has {authors_count} items, dataset '{dataset.dataset_name}' has "
                              f"{len(tokens)}: it was trained on another dataset (or another filtering of it)")
    raw = [int(token) if str(token).isdigit() else -1 for token in tokens]
    if min(raw) < 1 or max(raw) > authors_count:
        raise ConversionError(f"dataset '{dataset.dataset_name}' has item ids outside 1..{authors_count} "
                              "(the checkpoint's raw ids): prepare it from the sequence file the model was trained on")
    return torch.tensor([0, *raw, authors_items - 1])


def converted_state(state: dict[str, torch.Tensor], rows: torch.Tensor, model: torch.nn.Module) -> dict:
    """``model``'s state_dict filled from the authors' ``state``, item rows reordered by ``rows``."""
    converted = dict(model.state_dict())
    converted["encoder.item_embedding.weight"] = state["item_embeddings.weight"][rows]
    converted["encoder.position_embedding.weight"] = state["position_embeddings.weight"]
    converted["encoder.layer_norm.weight"] = state["LayerNorm.weight"]
    converted["encoder.layer_norm.bias"] = state["LayerNorm.bias"]
    for key, tensor in state.items():
        match = LAYER_KEY.match(key)
        if match:
            module, parameter = key[match.end():].rsplit(".", 1)
            converted[f"encoder.transformer.layer.{match.group(1)}.{LAYER_NAMES[module]}.{parameter}"] = tensor
    converted["cluster_centres"] = state["cluster_centers"]
    converted["centres_initialised"] = torch.tensor(True)
    return converted


def convert_authors_checkpoint(path: str | os.PathLike, dataset: str, out: str | os.PathLike,
                               data_path: str | None = None, n_heads: int | None = None) -> Path:
    """Write ``out``: the authors' checkpoint ``path`` as an ELCRec checkpoint of this package on ``dataset``.

    The result works with every command that reads a checkpoint (``evaluate``, ``analyze``,
    ``recommend``); it holds no optimizer state, so it cannot be resumed.
    """
    path = Path(path)
    state = read_authors_state(path)
    settings, authors_items = architecture(state, path, n_heads)
    overrides = {**settings, **({"data_path": str(Path(data_path).resolve())} if data_path else {})}
    config = build_config("ELCRec", dataset, [], overrides)
    ensure_dataset_files(config)
    recbole_dataset = create_dataset(config)
    rows = item_rows(recbole_dataset, authors_items)
    model = config.model_class(config, recbole_dataset)
    model.load_state_dict(converted_state(state, rows, model))  # strict: every tensor has its place
    payload = {
        "format": CHECKPOINT_FORMAT, "model": "ELCRec", "dataset": dataset,
        "run_spec": {"model": "ELCRec", "dataset": dataset, "config_files": [], "overrides": plain_values(overrides)},
        "config": plain_values(config.final_config_dict), "epoch": -1, "state_dict": model.state_dict(),
        "other_parameter": None, "history": [], "converted_from": str(path.resolve()),
    }
    return save_checkpoint_atomically(payload, out)
