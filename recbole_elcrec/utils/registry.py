"""Model and trainer lookup by name: this package's models first, then RecBole's built-in ones.

Like RecBole's ``get_model`` / ``get_trainer``, classes are found by module path at call time
(``importlib``), so this module imports no model or trainer module when it is imported.
"""

from __future__ import annotations

import difflib
import importlib
import importlib.util
import pkgutil

from recbole.utils import get_model, get_trainer

# name -> (model module, "trainer module:trainer class")
PACKAGE_MODELS: dict[str, tuple[str, str]] = {
    "ELCRec": ("recbole_elcrec.model.elcrec", "recbole_elcrec.trainer.trainer:ELCRecTrainer"),
    "CL4SRec": ("recbole_elcrec.model.cl4srec", "recbole_elcrec.trainer.trainer:ELCRecTrainer"),
    "ICLRec": ("recbole_elcrec.model.iclrec", "recbole_elcrec.trainer.iclrec:ICLRecTrainer"),
    "SASRec": ("recbole_elcrec.model.sasrec", "recbole_elcrec.trainer.trainer:ELCRecTrainer"),
}
# wraps RecBole's trainer of any other model in this package's safe, atomic checkpoints
SAFE_TRAINER_FACTORY = "recbole_elcrec.trainer.checkpoint:safe_trainer_class"


class UnknownModelError(ValueError):
    """The model name is neither one of this package's models nor a RecBole model."""


RECBOLE_MODEL_PACKAGES = ("general_recommender", "context_aware_recommender", "sequential_recommender",
                          "knowledge_aware_recommender", "exlib_recommender")


def recbole_model_modules() -> dict[str, str]:
    """RecBole's built-in models: lower-case module name -> module path (one model per module)."""
    modules = {}
    for package in RECBOLE_MODEL_PACKAGES:
        spec = importlib.util.find_spec(f"recbole.model.{package}")  # no import: some need optional libraries
        for info in pkgutil.iter_modules(spec.submodule_search_locations):
            modules[info.name] = f"recbole.model.{package}.{info.name}"
    return modules


def _class_name_in(module_path: str) -> str:
    """The model class of a RecBole model module (its name is the module name, case aside)."""
    name = module_path.rsplit(".", 1)[1]
    try:
        module = importlib.import_module(module_path)
    except ImportError:
        return name
    return next((attribute for attribute in vars(module) if attribute.lower() == name), name)


def _close_model_names(name: str) -> list[str]:
    modules = recbole_model_modules()
    candidates = {key: key for key in modules} | {model.lower(): model for model in PACKAGE_MODELS}
    matches = difflib.get_close_matches(name.lower(), list(candidates), n=3, cutoff=0.6)
    return [_class_name_in(modules[m]) if m in modules and m not in map(str.lower, PACKAGE_MODELS) else candidates[m]
            for m in matches]


def _import_attribute(spec: str):
    module_name, attribute = spec.split(":")
    return getattr(importlib.import_module(module_name), attribute)


def resolve_model(name: str) -> type:
    """The model class called ``name`` (case-sensitive, as in RecBole)."""
    if name in PACKAGE_MODELS:
        return getattr(importlib.import_module(PACKAGE_MODELS[name][0]), name)
    try:
        return get_model(name)
    except (ValueError, AttributeError, ImportError):  # RecBole imports optional libraries on the way
        pass
    hint = _close_model_names(name)
    suggestion = f" Did you mean {', '.join(hint)}?" if hint else ""
    raise UnknownModelError(
        f"unknown model {name!r}.{suggestion} This package provides {', '.join(PACKAGE_MODELS)}; "
        f"any other RecBole model works by its class name (e.g. GRU4Rec, BERT4Rec, Caser)."
    )


def resolve_trainer(model_class: type) -> type:
    """The trainer for ``model_class``: ours for this package's models, RecBole's made checkpoint-safe otherwise."""
    name = model_class.__name__
    if name in PACKAGE_MODELS:
        return _import_attribute(PACKAGE_MODELS[name][1])
    return _import_attribute(SAFE_TRAINER_FACTORY)(get_trainer(model_class.type, name))


