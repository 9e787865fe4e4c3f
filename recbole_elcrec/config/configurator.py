"""Configuration: model defaults, dataset protocol files, user files and overrides, with key checking."""

from __future__ import annotations

import difflib
import re
import sys
from collections.abc import Iterable, Mapping
from contextlib import contextmanager
from functools import lru_cache
from pathlib import Path
from typing import Any

import recbole
import yaml
from recbole.config import Config

from recbole_elcrec.config.schema import SCHEMA, ConfigError, check_settings
from recbole_elcrec.utils.registry import resolve_model

PACKAGE_ROOT = Path(__file__).resolve().parents[1]  # the recbole_elcrec package folder


def _resource_dir(name: str) -> Path:
    """``properties`` / ``dataset_configs``: beside the package in a checkout, inside it when installed."""
    for candidate in (PACKAGE_ROOT.parent / name, PACKAGE_ROOT / name):
        if candidate.is_dir():
            return candidate
    raise FileNotFoundError(f"cannot find the {name}/ directory of recbole_elcrec near {PACKAGE_ROOT}")


PROPERTIES_DIR = _resource_dir("properties")
DATASET_CONFIGS_DIR = _resource_dir("dataset_configs")
RECBOLE_PROPERTIES_DIR = Path(recbole.__file__).resolve().parent / "properties"

# Keys RecBole reads without declaring them in any of its YAML files, and this package's run keys.
EXTRA_KEYS = frozenset({
    "model", "dataset", "config_files", "local_rank", "world_size", "nproc", "ip", "port", "offset",
    "single_spec", "device", "MODEL_TYPE", "MODEL_INPUT_TYPE", "eval_type", "valid_neg_sample_args",
    "test_neg_sample_args", "wandb_project", "log_wandb", "enable_amp", "enable_scaler", "transform",
    "fast_train", "amp_dtype", "compile", "eval_protocol", "train_mode", "length_buckets", "position_alignment",
    "next_item_weighting", "time_cap_minutes",
})
MODEL_SECTION = "models"


class _YamlLoader(yaml.SafeLoader):
    """Safe YAML loader that also reads ``1e-4`` (no dot) as a float, as RecBole's loader does."""


_YamlLoader.add_implicit_resolver(
    "tag:yaml.org,2002:float",
    re.compile(r"^[-+]?(?:\d[\d_]*(?:\.[\d_]*)?(?:[eE][-+]?\d+)?|\.\d[\d_]*(?:[eE][-+]?\d+)?|\.(?:inf|Inf|INF)|\.(?:nan|NaN|NAN))$"),
    list("-+0123456789."),
)
# Integers must stay integers: re-register int after float so plain digits resolve to int first.
_YamlLoader.yaml_implicit_resolvers = {
    first: sorted(resolvers, key=lambda pair: pair[0] != "tag:yaml.org,2002:int")
    for first, resolvers in _YamlLoader.yaml_implicit_resolvers.items()
}


def parse_value(text: str) -> Any:
    """A command-line value as YAML: ``5`` -> 5, ``1e-3`` -> 0.001, ``[5,20]`` -> list, ``shift`` -> str."""
    try:
        return yaml.load(text, Loader=_YamlLoader)
    except yaml.YAMLError:
        return text


def parse_overrides(extra: list[str]) -> dict[str, Any]:
    """``--key=value`` pairs as typed config overrides; anything else is an error naming the argument."""
    overrides: dict[str, Any] = {}
    for argument in extra:
        key, separator, value = argument.removeprefix("--").partition("=")
        if not argument.startswith("--") or not separator or not key:
            raise ConfigError(f"cannot read argument {argument!r}: expected --key=value")
        overrides[key] = parse_value(value)
    return overrides


def load_yaml_file(path: str | Path) -> dict[str, Any]:
    """A YAML mapping from ``path``; a clear ConfigError for a missing, malformed or non-mapping file."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as error:
        raise ConfigError(f"cannot read config file {path}: {error.strerror}") from None
    try:
        content = yaml.load(text, Loader=_YamlLoader)
    except yaml.YAMLError as error:
        mark = getattr(error, "problem_mark", None)
        where = f", line {mark.line + 1}, column {mark.column + 1}" if mark else ""
        raise ConfigError(f"invalid YAML in {path}{where}: {getattr(error, 'problem', error)}") from None
    if content is None:
        return {}
    if not isinstance(content, dict):
        raise ConfigError(f"config file {path} must hold a mapping of key: value, not {type(content).__name__}")
    return content


def _yaml_keys(directory: Path) -> set[str]:
    keys: set[str] = set()
    for path in directory.glob("*.yaml"):
        content = load_yaml_file(path)
        keys.update(content)
        for section in content.get(MODEL_SECTION, {}).values() if isinstance(content.get(MODEL_SECTION), dict) else ():
            keys.update(section)
    return keys


@lru_cache(maxsize=1)
def known_config_keys() -> frozenset[str]:
    """Every key RecBole or this package understands (from their YAML defaults and EXTRA_KEYS)."""
    keys = set(EXTRA_KEYS) | set(SCHEMA)
    for directory in (RECBOLE_PROPERTIES_DIR, RECBOLE_PROPERTIES_DIR / "dataset", RECBOLE_PROPERTIES_DIR / "model",
                      RECBOLE_PROPERTIES_DIR / "quick_start_config", PROPERTIES_DIR, DATASET_CONFIGS_DIR):
        keys |= _yaml_keys(directory)
    keys.discard(MODEL_SECTION)
    return frozenset(keys)


def check_keys(keys: Iterable[str], source: str) -> None:
    """Raise ConfigError naming ``source`` and the closest known key for every unknown key."""
    known = known_config_keys()
    problems = []
    for key in keys:
        if key not in known:
            close = difflib.get_close_matches(key, known, n=1, cutoff=0.7)
            problems.append(f"'{key}'" + (f" (did you mean '{close[0]}'?)" if close else ""))
    if problems:
        raise ConfigError(f"unknown config key {', '.join(problems)} in {source}")


DEFAULT_DATASET_CONFIG = "default"


def known_dataset_names() -> list[str]:
    """Datasets with their own file in ``dataset_configs/``."""
    return sorted(path.stem for path in DATASET_CONFIGS_DIR.glob("*.yaml") if path.stem != DEFAULT_DATASET_CONFIG)


def dataset_config_path(dataset: str) -> Path:
    """``dataset_configs/<dataset>.yaml``, or ``default.yaml`` (the paper's protocol) for other datasets."""
    path = DATASET_CONFIGS_DIR / f"{dataset}.yaml"
    return path if path.is_file() else DATASET_CONFIGS_DIR / f"{DEFAULT_DATASET_CONFIG}.yaml"


def _dataset_layers(dataset: str, model: str) -> list[tuple[str, dict[str, Any]]]:
    """The dataset's protocol keys and, after them, its per-model section for ``model``."""
    path = dataset_config_path(dataset)
    content = load_yaml_file(path)
    per_model = content.pop(MODEL_SECTION, {}) or {}
    return [(str(path), content), (f"{path} [{MODEL_SECTION}.{model}]", per_model.get(model, {}))]


def config_layers(
    model: str, dataset: str, config_files: Iterable[str | Path] = (), overrides: Mapping[str, Any] | None = None
) -> list[tuple[str, dict[str, Any]]]:
    """Settings in increasing priority: model defaults, dataset protocol, user files, overrides."""
    layers: list[tuple[str, dict[str, Any]]] = []
    model_defaults = PROPERTIES_DIR / f"{model}.yaml"
    if model_defaults.is_file():
        layers.append((str(model_defaults), load_yaml_file(model_defaults)))
    layers += _dataset_layers(dataset, model)
    for path in config_files:
        content = load_yaml_file(path)
        check_keys(content, f"config file {path}")
        layers.append((str(path), content))
    if overrides:
        check_keys(overrides, "the command line / overrides")
        layers.append(("overrides", dict(overrides)))
    return layers


def _recbole_model_default(model: str, key: str) -> Any:
    """``key`` from RecBole's own defaults for ``model`` (None when RecBole has none)."""
    path = RECBOLE_PROPERTIES_DIR / "model" / f"{model}.yaml"
    return load_yaml_file(path).get(key) if path.is_file() else None


@contextmanager
def _without_command_line():
    """RecBole's Config parses ``sys.argv`` itself; hide it so only our parsed settings count."""
    saved = sys.argv
    sys.argv = saved[:1]
    try:
        yield
    finally:
        sys.argv = saved


def build_config(
    model: str = "ELCRec",
    dataset: str = "ml-100k",
    config_files: Iterable[str | Path] = (),
    overrides: Mapping[str, Any] | None = None,
) -> Config:
    """A RecBole ``Config`` for ``model`` on ``dataset`` with every layer of settings merged."""
    model_class = resolve_model(model)
    merged: dict[str, Any] = {}
    sources: dict[str, str] = {}
    for source, layer in config_layers(model, dataset, config_files, overrides):
        merged.update(layer)
        sources.update(dict.fromkeys(layer, source))
    merged = check_settings(merged, sources)  # types and ranges, before any work starts
    if merged.get("loss_type", _recbole_model_default(model, "loss_type")) == "CE":
        merged.setdefault("train_neg_sample_args", None)  # RecBole rejects negative sampling with CE
    with _without_command_line():
        return Config(model=model_class, dataset=dataset, config_dict=merged)
