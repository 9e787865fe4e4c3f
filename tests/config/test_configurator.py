"""Configuration layering, typed command-line values and the clear errors for unknown keys and malformed files."""

import pytest

from recbole_elcrec.config import ConfigError, build_config, load_yaml_file, parse_overrides, parse_value


def test_paper_settings_per_dataset():
    config = build_config("ELCRec", "amazon-beauty")
    assert (config["alpha"], config["n_clusters"], config["intent_fusion"]) == (10, 256, "shift")
    assert config["eval_args"]["split"] == {"LS": "valid_and_test"} and config["eval_args"]["order"] == "TO"
    assert config["MAX_ITEM_LIST_LENGTH"] == 50 and config["topk"] == [5, 20]
    sports = build_config("ELCRec", "amazon-sports-outdoors")
    assert (sports["alpha"], sports["n_clusters"], sports["intent_fusion"]) == (1, 512, "concat")


def test_per_model_section_does_not_leak_to_other_models():
    config = build_config("SASRec", "amazon-beauty")
    assert "alpha" not in config.final_config_dict
    assert config["MAX_ITEM_LIST_LENGTH"] == 50


def test_user_datasets_get_the_paper_protocol():
    config = build_config("ELCRec", "my-shop")
    assert config["eval_args"]["split"] == {"LS": "valid_and_test"}
    assert config["load_col"] == {"inter": ["user_id", "item_id", "timestamp"]}


def test_layers_priority_files_then_overrides(tmp_path):
    first, second = tmp_path / "a.yaml", tmp_path / "b.yaml"
    first.write_text("alpha: 3\nn_clusters: 8\n")
    second.write_text("alpha: 5\n")
    config = build_config("ELCRec", "amazon-beauty", [first, second], {"n_clusters": 16})
    assert (config["alpha"], config["n_clusters"]) == (5, 16)


def test_unknown_override_key_suggests_the_closest():
    expected = r"unknown config key 'n_cluster' \(did you mean 'n_clusters'\?\) in the command"
    with pytest.raises(ConfigError, match=expected):
        build_config("ELCRec", "ml-100k", overrides={"n_cluster": 8})


def test_unknown_key_in_file_names_the_file(tmp_path):
    path = tmp_path / "mine.yaml"
    path.write_text("learning_rte: 0.01\n")
    with pytest.raises(ConfigError, match=rf"'learning_rte' \(did you mean 'learning_rate'\?\) in config file {path}"):
        build_config("ELCRec", "ml-100k", [path])


def test_malformed_yaml_names_file_and_line(tmp_path):
    path = tmp_path / "broken.yaml"
    path.write_text("alpha: 1\nn_clusters: [8\n")
    with pytest.raises(ConfigError, match=rf"invalid YAML in {path}, line \d+"):
        load_yaml_file(path)


def test_missing_and_non_mapping_files(tmp_path):
    with pytest.raises(ConfigError, match="cannot read config file"):
        load_yaml_file(tmp_path / "absent.yaml")
    listing = tmp_path / "list.yaml"
    listing.write_text("- 1\n- 2\n")
    with pytest.raises(ConfigError, match="must hold a mapping"):
        load_yaml_file(listing)


@pytest.mark.parametrize(("text", "value"), [("5", 5), ("1e-3", 0.001), ("1.0e-12", 1e-12), ("[5,20]", [5, 20]),
                                             ("shift", "shift"), ("true", True), ("kmeans++", "kmeans++")])
def test_command_line_values_are_typed(text, value):
    assert parse_value(text) == value


def test_overrides_are_typed():
    assert parse_overrides(["--epochs=3", "--alpha=1e-1", "--topk=[5,20]"]) == {"epochs": 3, "alpha": 0.1,
                                                                                  "topk": [5, 20]}


@pytest.mark.parametrize("argument", ["--epochs", "epochs=3", "--=3"])
def test_malformed_argument_is_named(argument):
    with pytest.raises(ConfigError, match="expected --key=value"):
        parse_overrides([argument])
