"""The settings schema: every known key typed and range-checked before any work starts (issue #17, case 11)."""

import pytest

from recbole_elcrec.config import SCHEMA, ConfigError, SettingError, build_config, check_value, parse_overrides


def overrides(*arguments: str) -> dict:
    return parse_overrides(list(arguments))


@pytest.mark.parametrize(("argument", "message"), [
    ("--epochs=abc", "config key 'epochs' must be an integer >= 1, got 'abc' (from the command line)"),
    ("--epochs=-2", "config key 'epochs' must be an integer >= 1, got -2"),
    ("--learning_rate=abc", "config key 'learning_rate' must be a number > 0, got 'abc'"),
    ("--topk=abc", "config key 'topk' must be an integer >= 1 or a list of such integers, got 'abc'"),
    ("--topk=[5,0]", "got [5, 0]"),
    ("--n_clusters=abc", "config key 'n_clusters' must be an integer >= 2, got 'abc'"),
    ("--n_clusters=8.7", "config key 'n_clusters' must be an integer >= 2, got 8.7"),
    ("--alpha=-1", "config key 'alpha' must be a number >= 0, got -1"),
    ("--hidden_dropout_prob=1", "must be a number in [0, 1), got 1"),
    ("--intent_fusion=sum", "must be one of 'shift', 'concat', got 'sum'"),
    ("--use_ccl=yes please", "config key 'use_ccl' must be true or false"),
    ("--learner=adamw", "config key 'learner' must be one of 'adam'"),
    ("--seed=-1", "config key 'seed' must be an integer in [0, 4294967295]"),
    ("--temperature=.nan", "config key 'temperature' must be a number > 0, got nan"),
    ("--hidden_size=33", "config key 'hidden_size' (33) must be a multiple of 'n_heads' (2)"),
], ids=lambda value: value if value.startswith("--") else "")
def test_bad_values_are_refused_naming_key_type_range_and_source(argument, message):
    with pytest.raises(SettingError) as raised:
        build_config("ELCRec", "ml-100k", overrides=overrides(argument))
    assert message in str(raised.value)
    assert isinstance(raised.value, ConfigError)


def test_a_bad_value_in_a_file_names_the_file(tmp_path):
    path = tmp_path / "mine.yaml"
    path.write_text("epochs: three\n")
    with pytest.raises(SettingError, match=rf"got 'three' \(from {path}\)"):
        build_config("ELCRec", "ml-100k", [path])


def test_integral_floats_become_integers_and_good_values_pass():
    config = build_config("ELCRec", "ml-100k", overrides=overrides(
        "--epochs=1e2", "--n_clusters=8.0", "--topk=[5,10]", "--valid_metric=NDCG@10", "--adaptive_centres=prune",
        "--amp_dtype=BF16"))
    assert config["epochs"] == 100 and isinstance(config["epochs"], int)
    assert config["n_clusters"] == 8 and isinstance(config["n_clusters"], int)
    assert config["topk"] == [5, 10] and config["adaptive_centres"] == "prune"


@pytest.mark.parametrize(("key", "good", "bad"), [
    ("eval_protocol", "paper", "both"), ("train_mode", "prefix", "batch"), ("length_buckets", 4, 0),
    ("position_alignment", "end", "middle"), ("time_cap_minutes", None, 0), ("next_item_weighting", "user", "token"),
])
def test_the_keys_of_the_new_evaluation_protocol_are_declared(key, good, bad):
    assert key in SCHEMA
    config = build_config("ELCRec", "ml-100k", overrides={key: good})
    assert config[key] == good
    with pytest.raises(SettingError, match=f"config key '{key}'"):
        build_config("ELCRec", "ml-100k", overrides={key: bad})


def test_every_default_of_every_model_and_dataset_file_passes_the_schema():
    for model in ("ELCRec", "CL4SRec", "ICLRec", "SASRec", "GRU4Rec", "BERT4Rec", "Caser", "BPR"):
        for dataset in ("ml-100k", "amazon-beauty", "amazon-sports-outdoors", "amazon-toys-games", "yelp", "mine"):
            build_config(model, dataset)


def test_keys_without_a_rule_are_left_alone():
    assert check_value("valid_metric", "NDCG@20") == "NDCG@20"


@pytest.mark.parametrize(("arguments", "message"), [
    (["--valid_metric=NDCG@50"], r"'valid_metric' must be one of the metrics \['Hit', 'NDCG'\] at a topk cut-off "
                                 r"\[5, 20\], e.g. 'Hit@20', got 'NDCG@50' \(from the command line\)"),
    (["--valid_metric=MRR@20"], r"got 'MRR@20'"),
    (["--topk=10"], r"got 'NDCG@20' \(from .*ml-100k\.yaml\)"),
    (["--metrics=[Hit,Foo]"], r"config key 'metrics' names unknown metric\(s\) \['Foo'\]"),
])
def test_the_validation_metric_must_be_computed_before_training_needs_it(arguments, message):
    with pytest.raises(SettingError, match=message):
        build_config("ELCRec", "ml-100k", overrides=overrides(*arguments))
    build_config("ELCRec", "ml-100k", overrides=overrides("--topk=[5,10]", "--valid_metric=ndcg@10"))
