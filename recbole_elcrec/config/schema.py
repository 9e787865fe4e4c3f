"""One typed, range-checked schema for the settings this package owns and the common RecBole keys.

``check_settings`` runs inside ``build_config`` on the merged layers, before any data is read or any
model is built, so ``--epochs=abc`` or ``--n_clusters=8.7`` stop at once with the key, the expected type
and range, the value and where it came from:
``config key 'epochs' must be an integer >= 1, got 'abc' (from the command line)``.
Integral floats (``1e3``) are accepted for integer keys and become integers; anything else is refused,
never truncated. Keys not listed here are left to RecBole.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

SEED_MAX = 2**32 - 1  # numpy's seed range


class ConfigError(ValueError):
    """A configuration file or key is wrong; the message names the file or key."""

    hint = "'recbole-elcrec <command> --help' lists the options; properties/*.yaml and the README list the keys"


class SettingError(ConfigError):
    """A setting has the wrong type or is out of range; the message names the key, value and source."""

    hint = "fix the value (see the key's description in properties/*.yaml or the README)"


@dataclass(frozen=True)
class Rule:
    """The type and range of one key.

    ``kind``: ``int``, ``number``, ``bool``, ``str``, ``int_or_list`` (one integer or a non-empty list of them)
    or ``bool_or_str`` (true/false or one of ``choices``). ``low``/``high`` bound numbers (``*_open``: excluded);
    ``choices`` lists the allowed strings (compared case-insensitively with ``fold_case``).
    """

    kind: str
    low: float | None = None
    high: float | None = None
    low_open: bool = False
    high_open: bool = False
    choices: tuple[str, ...] = ()
    fold_case: bool = False
    nullable: bool = False

    def describe(self) -> str:
        """What a valid value is, in words: ``an integer >= 1``, ``a number in [0, 1)``, ``one of 'a', 'b'``."""
        options = ", ".join(repr(choice) for choice in self.choices)
        if self.kind == "str":
            text = f"one of {options}"
        elif self.kind == "bool":
            text = "true or false"
        elif self.kind == "bool_or_str":
            text = f"true, false or one of {options}"
        else:
            noun = {"int": "an integer", "number": "a number", "int_or_list": "an integer"}[self.kind]
            text = noun + self._range()
            if self.kind == "int_or_list":
                text += " or a list of such integers"
        return text + (" or null" if self.nullable else "")

    def _range(self) -> str:
        if self.low is not None and self.high is not None:
            return (f" in {'(' if self.low_open else '['}{_number(self.low)}, "
                    f"{_number(self.high)}{')' if self.high_open else ']'}")
        if self.low is not None:
            return f" {'>' if self.low_open else '>='} {_number(self.low)}"
        if self.high is not None:
            return f" {'<' if self.high_open else '<='} {_number(self.high)}"
        return ""

    def in_range(self, value: float) -> bool:
        """``value`` within the bounds."""
        if self.low is not None and (value <= self.low if self.low_open else value < self.low):
            return False
        return not (self.high is not None and (value >= self.high if self.high_open else value > self.high))

    def normalise(self, value: Any) -> tuple[bool, Any]:
        """(valid, the value as the code wants it), e.g. ``1e3`` -> ``1000`` for an integer key."""
        if value is None:
            return self.nullable, None
        if self.kind == "int_or_list":
            items = value if isinstance(value, list) else [value]
            one = Rule("int", self.low, self.high, self.low_open, self.high_open)
            checked = [one.normalise(item) for item in items]
            valid = bool(items) and all(ok for ok, _ in checked)
            plain = [item for _, item in checked]
            return valid, (plain if isinstance(value, list) else plain[0]) if valid else value
        if self.kind in ("bool", "bool_or_str") and isinstance(value, bool):
            return True, value
        if self.kind in ("str", "bool_or_str"):
            return self._choice(value)
        if self.kind == "int":
            return self._integer(value)
        if self.kind == "number" and _is_number(value) and math.isfinite(value):
            return self.in_range(value), value
        return False, value

    def _choice(self, value: Any) -> tuple[bool, Any]:
        if not isinstance(value, str):
            return False, value
        allowed = [choice.lower() for choice in self.choices] if self.fold_case else list(self.choices)
        return (value.lower() if self.fold_case else value) in allowed, value

    def _integer(self, value: Any) -> tuple[bool, Any]:
        if isinstance(value, float) and math.isfinite(value) and value.is_integer():
            value = int(value)
        if not isinstance(value, int) or isinstance(value, bool):
            return False, value
        return self.in_range(value), value


def _is_number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def _number(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else str(value)


def _int(low: int | None = None, high: int | None = None, nullable: bool = False) -> Rule:
    return Rule("int", low, high, nullable=nullable)


def _positive(nullable: bool = False) -> Rule:
    return Rule("number", 0, low_open=True, nullable=nullable)


def _non_negative() -> Rule:
    return Rule("number", 0)


def _probability(high_open: bool = False) -> Rule:
    return Rule("number", 0, 1, high_open=high_open)


def _one_of(*choices: str, fold_case: bool = False, nullable: bool = False) -> Rule:
    return Rule("str", choices=choices, fold_case=fold_case, nullable=nullable)


BOOL = Rule("bool")
OPTIONAL_BOOL = Rule("bool", nullable=True)

SCHEMA: dict[str, Rule] = {
    # RecBole's training and evaluation keys that users pass most often
    "epochs": _int(1),
    "learning_rate": _positive(),
    "train_batch_size": _int(1),
    "eval_batch_size": _int(1),
    "topk": Rule("int_or_list", 1),
    "stopping_step": _int(1),
    "eval_step": _int(0),
    "seed": _int(0, SEED_MAX),
    "weight_decay": _non_negative(),
    "learner": _one_of("adam", "sgd", "adagrad", "rmsprop", "sparse_adam", fold_case=True),
    "worker": _int(0),
    "state": _one_of("debug", "info", "warning", "error", "critical", fold_case=True),
    "show_progress": BOOL,
    "reproducibility": BOOL,
    "shuffle": BOOL,
    "MAX_ITEM_LIST_LENGTH": _int(1),
    # encoders (this package's and RecBole's sequential baselines)
    "hidden_size": _int(1),
    "n_layers": _int(1),
    "n_heads": _int(1),
    "inner_size": _int(1),
    "embedding_size": _int(1),
    "num_layers": _int(1),
    "hidden_dropout_prob": _probability(high_open=True),
    "attn_dropout_prob": _probability(high_open=True),
    "dropout_prob": _probability(high_open=True),
    "layer_norm_eps": _positive(),
    "initializer_range": _positive(),
    "loss_type": _one_of("CE", "BCE", "BPR"),
    "reg_weight": _non_negative(),
    "nv": _int(1),
    "nh": _int(1),
    "ft_ratio": _probability(),
    # ELCRec
    "n_clusters": _int(2),
    "alpha": _non_negative(),
    "ccl_weight": _non_negative(),
    "temperature": _positive(),
    "cluster_embedding": _one_of("mean", "last", "concat", nullable=True),
    "centre_init": _one_of("kmeans++", "random"),
    "centre_init_batches": _int(1, nullable=True),
    "intent_fusion": _one_of("shift", "concat"),
    "contrast_space": _one_of("unit", "raw"),
    "crop_ratio": Rule("number", 0, 1, low_open=True),
    "mask_ratio": _probability(),
    "reorder_ratio": _probability(),
    "adaptive_centres": Rule("bool_or_str", choices=("none", "reseed", "prune"), fold_case=True, nullable=True),
    "adaptive_interval": _int(1, nullable=True),
    "duplicate_cosine": Rule("number", -1, 1, nullable=True),
    "use_ccl": BOOL,
    "use_elcm": BOOL,
    "cluster_grad": _one_of("centres", "encoder"),
    # CL4SRec and ICLRec
    "cl_weight": _non_negative(),
    "cf_weight": _non_negative(),
    "intent_cf_weight": _non_negative(),
    "num_intent_clusters": _int(2),
    "kmeans_iterations": _int(1),
    "kmeans_restarts": _int(1, nullable=True),
    # fast training
    "fast_train": OPTIONAL_BOOL,
    "compile": OPTIONAL_BOOL,
    "amp_dtype": _one_of("bf16", "bfloat16", "none", "fp32", "float32", fold_case=True, nullable=True),
    # evaluation protocol, training mode and limits
    "eval_protocol": _one_of("paper", "recbole"),
    "train_mode": _one_of("sequence", "prefix"),
    "length_buckets": _int(1),
    "next_item_weighting": _one_of("target", "user"),
    "position_alignment": _one_of("start", "end"),
    "time_cap_minutes": _positive(nullable=True),
}


def describe_source(source: str) -> str:
    """``overrides`` -> ``the command line``; a file stays a file."""
    return "the command line" if source == "overrides" else source


def check_value(key: str, value: Any, source: str = "overrides") -> Any:
    """``value`` as the code wants it (``1e3`` -> 1000 for an integer key), or SettingError naming the key.

    Keys without a rule are returned unchanged.
    """
    rule = SCHEMA.get(key)
    if rule is None:
        return value
    valid, normalised = rule.normalise(value)
    if not valid:
        raise SettingError(f"config key '{key}' must be {rule.describe()}, got {value!r} "
                           f"(from {describe_source(source)})")
    return normalised


def check_settings(settings: Mapping[str, Any], sources: Mapping[str, str] | None = None) -> dict[str, Any]:
    """Every key of ``settings`` checked against the schema (values normalised), then the rules between keys.

    ``sources`` names the layer each key came from (a file, or ``overrides`` for the command line).
    """
    sources = sources or {}
    checked = {key: check_value(key, value, sources.get(key, "overrides")) for key, value in settings.items()}
    hidden, heads = checked.get("hidden_size"), checked.get("n_heads")
    if isinstance(hidden, int) and isinstance(heads, int) and hidden % heads:
        raise SettingError(f"config key 'hidden_size' ({hidden}) must be a multiple of 'n_heads' ({heads}) "
                           f"(from {describe_source(sources.get('hidden_size', 'overrides'))})")
    _check_metrics(checked, sources)
    return checked


def _check_metrics(settings: Mapping[str, Any], sources: Mapping[str, str]) -> None:
    """``metrics`` are RecBole metrics and ``valid_metric`` is one of them at one of the ``topk`` cut-offs.

    Otherwise RecBole fails only after the first training epoch (KeyError ``'ndcg@50'``).
    """
    from recbole.evaluator.register import metrics_dict

    metrics, valid, topk = settings.get("metrics"), settings.get("valid_metric"), settings.get("topk")
    names = [metrics] if isinstance(metrics, str) else metrics
    if isinstance(names, list):
        unknown = [name for name in names if str(name).lower() not in metrics_dict]
        if unknown:
            source = describe_source(sources.get("metrics", "overrides"))
            raise SettingError(f"config key 'metrics' names unknown metric(s) {unknown}; RecBole's metrics are "
                               f"{', '.join(sorted(metrics_dict))} (from {source})")
    if not isinstance(valid, str) or not isinstance(names, list):
        return
    name, _, cutoff = valid.partition("@")
    cutoffs = topk if isinstance(topk, list) else [topk]
    if name.lower() not in [str(metric).lower() for metric in names] or (
            cutoff and topk is not None and (not cutoff.isdigit() or int(cutoff) not in cutoffs)):
        raise SettingError(f"config key 'valid_metric' must be one of the metrics {names} at a topk cut-off "
                           f"{cutoffs}, e.g. '{names[0]}@{cutoffs[-1]}', got {valid!r} "
                           f"(from {describe_source(sources.get('valid_metric', 'overrides'))})")
