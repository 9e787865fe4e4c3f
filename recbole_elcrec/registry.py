"""Model lookup: this package's models first, then RecBole's built-in ones, with their trainers."""

from __future__ import annotations

import difflib
import importlib
import pkgutil

from recbole.utils import get_model, get_trainer

from recbole_elcrec.trainer import safe_trainer_class

# name -> (module, trainer class in recbole_elcrec.trainer or a model-specific module)
PACKAGE_MODELS: dict[str, tuple[str, str]] = {
    "ELCRec": ("recbole_elcrec.model.elcrec", "recbole_elcrec.trainer:ELCRecTrainer"),
}


class UnknownModelError(ValueError):
    """The model name is neither one of this package's models nor a RecBole model."""


def recbole_model_names() -> list[str]:
    """Lower-case module names of RecBole's built-in models (one model per module)."""
    names = []
    for package in ("general_recommender", "context_aware_recommender", "sequential_recommender",
                    "knowledge_aware_recommender", "exlib_recommender"):
        module = importlib.import_module(f"recbole.model.{package}")
        names += [info.name for info in pkgutil.iter_modules(module.__path__)]
    return names


def _import_attribute(spec: str):
    module_name, attribute = spec.split(":")
    return getattr(importlib.import_module(module_name), attribute)


def resolve_model(name: str) -> type:
    """The model class called ``name`` (case-sensitive, as in RecBole)."""
    if name in PACKAGE_MODELS:
        return getattr(importlib.import_module(PACKAGE_MODELS[name][0]), name)
    try:
        return get_model(name)
    except (ValueError, AttributeError):
        pass
    known = list(PACKAGE_MODELS) + recbole_model_names()
    lowered = {candidate.lower(): candidate for candidate in known}
    hint = [lowered[m] for m in difflib.get_close_matches(name.lower(), list(lowered), n=3, cutoff=0.6)]
    suggestion = f" Did you mean {', '.join(hint)}?" if hint else ""
    raise UnknownModelError(
        f"unknown model {name!r}.{suggestion} This package provides {', '.join(PACKAGE_MODELS)}; "
        f"any RecBole model works by its class name (e.g. SASRec, GRU4Rec, BERT4Rec)."
    )


def resolve_trainer(model_class: type) -> type:
    """The trainer for ``model_class``: ours for this package's models, RecBole's made checkpoint-safe otherwise."""
    name = model_class.__name__
    if name in PACKAGE_MODELS:
        return _import_attribute(PACKAGE_MODELS[name][1])
    return safe_trainer_class(get_trainer(model_class.type, name))


