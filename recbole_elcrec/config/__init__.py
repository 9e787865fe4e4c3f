"""Configuration: layered settings (model defaults, dataset protocol, user files, overrides) and key checking."""

from recbole_elcrec.config.configurator import (
    DATASET_CONFIGS_DIR,
    DEFAULT_DATASET_CONFIG,
    EXTRA_KEYS,
    MODEL_SECTION,
    PACKAGE_ROOT,
    PROPERTIES_DIR,
    RECBOLE_PROPERTIES_DIR,
    ConfigError,
    build_config,
    check_keys,
    config_layers,
    dataset_config_path,
    known_config_keys,
    known_dataset_names,
    load_yaml_file,
    parse_overrides,
    parse_value,
)
from recbole_elcrec.config.schema import SCHEMA, Rule, SettingError, check_settings, check_value

__all__ = [
    "DATASET_CONFIGS_DIR", "DEFAULT_DATASET_CONFIG", "EXTRA_KEYS", "MODEL_SECTION", "PACKAGE_ROOT", "PROPERTIES_DIR",
    "RECBOLE_PROPERTIES_DIR", "ConfigError", "build_config", "check_keys", "config_layers", "dataset_config_path",
    "known_config_keys", "known_dataset_names", "load_yaml_file", "parse_overrides", "parse_value", "SCHEMA", "Rule",
    "SettingError", "check_settings", "check_value",
]
