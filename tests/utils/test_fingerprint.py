"""Settings fingerprints: which differences count, and keys added after a run was recorded."""

from recbole_elcrec.utils.fingerprint import LATER_KEYS, differences, settings_fingerprint


def fingerprint(**settings):
    """The fingerprint of these config values on a dataset without files."""
    return settings_fingerprint({"data_path": "no-such-folder", "dataset": "none", "load_col": None, **settings})


def test_a_changed_setting_is_named_with_both_values():
    assert differences(fingerprint(alpha=1, epochs=3), fingerprint(alpha=10, epochs=3)) == ["alpha: 1 -> 10"]


def test_places_and_display_keys_are_not_differences():
    assert differences(fingerprint(alpha=1, checkpoint_dir="a/"), fingerprint(alpha=1, checkpoint_dir="b/")) == []


def test_a_record_without_a_later_key_matches_that_keys_earlier_value_only():
    earlier = fingerprint(model="ELCRec", alpha=10)  # recorded before contrast_space existed
    assert LATER_KEYS["contrast_space"] == "unit"
    assert differences(earlier, fingerprint(model="ELCRec", alpha=10, contrast_space="unit")) == []
    assert differences(earlier, fingerprint(model="ELCRec", alpha=10, contrast_space="raw")) == [
        "contrast_space: unit -> raw"]


def test_a_key_new_to_the_settings_and_not_a_later_key_is_a_difference():
    assert differences(fingerprint(alpha=10), fingerprint(alpha=10, n_clusters=256)) == [
        "n_clusters: (not set) -> 256"]
