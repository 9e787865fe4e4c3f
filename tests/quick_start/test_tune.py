"""Ray Tune search: the search-space parser and its checks, the grace period, reuse of a search, the reports."""

import pytest

from recbole_elcrec.config import ConfigError, build_config
from recbole_elcrec.quick_start.tune import (
    VALID_SCORE,
    Dimension,
    SearchSpaceError,
    TrialsFailedError,
    check_previous_search,
    check_some_trial_scored,
    grace_period,
    parse_dimension,
    parse_search_space,
    search_fingerprint,
    settings_file,
    write_reports,
)
from recbole_elcrec.utils.fingerprint import SettingsMismatchError
from recbole_elcrec.utils.io import atomic_write_json
from tests.helpers import PNG_SIGNATURE


def test_grid_and_random_specs():
    assert parse_dimension("alpha", "0.01,0.1,1") == Dimension("alpha", "grid", (0.01, 0.1, 1))
    assert parse_dimension("learning_rate", "loguniform(1e-4, 1e-2)") == Dimension("learning_rate", "loguniform",
                                                                                   (1e-4, 1e-2))
    assert parse_dimension("intent_fusion", "choice(shift,concat)").values == ("shift", "concat")
    dims = parse_search_space("1,10", "32,64", ["temperature=uniform(0.1,1)"])
    assert [d.key for d in dims] == ["alpha", "n_clusters", "temperature"]


@pytest.mark.parametrize(("alpha", "search", "message"), [
    ("1,,x", [], r"alpha='1,,x'.*empty value"),
    ("loguniform(1)", [], "loguniform needs two numbers"),
    ("loguniform(0,1)", [], "low > 0"),
    (None, ["n_cluster=4,8"], "unknown config key 'n_cluster'"),
    (None, ["alpha"], "expected KEY=SPEC"),
    (None, [], "nothing to search"),
])
def test_bad_search_space_is_explained(alpha, search, message):
    with pytest.raises(SearchSpaceError if "unknown" not in message else ValueError, match=message):
        parse_search_space(alpha, None, search)


def test_reports_rank_trials_and_keep_stopped_ones(tmp_path):
    rows = [
        {"alpha": 0.1, "n_clusters": 4, "valid_score": 0.2, "test_hit@5": 0.1, "test_hit@20": 0.3, "test_ndcg@5": 0.05,
         "test_ndcg@20": 0.1, "status": "finished"},
        {"alpha": 1.0, "n_clusters": 4, "valid_score": 0.3, "test_hit@5": 0.2, "test_hit@20": 0.4, "test_ndcg@5": 0.1,
         "test_ndcg@20": 0.2, "status": "finished"},
        {"alpha": 10.0, "n_clusters": 4, "valid_score": 0.01, "status": "stopped early"},
    ]
    dims = [Dimension("alpha", "grid", (0.1, 1.0, 10.0)), Dimension("n_clusters", "grid", (4,))]
    best = write_reports(rows, dims, tmp_path)
    assert best["config"] == {"alpha": 1.0, "n_clusters": 4} and best["test"]["hit@5"] == 0.2
    table = (tmp_path / "trials.md").read_text().splitlines()
    assert table[2].startswith("| 1.0000 | 4 | 0.3000 |") and "n/a" in table[4]
    assert (tmp_path / "sensitivity_alpha.png").read_bytes().startswith(PNG_SIGNATURE)


@pytest.mark.parametrize(("key", "spec", "message"), [
    ("n_clusters", "abc,def", "config key 'n_clusters' must be an integer >= 2, got 'abc' (from --k abc,def)"),
    ("n_clusters", "8.7,16", "config key 'n_clusters' must be an integer >= 2, got 8.7"),
    ("n_clusters", "uniform(4,64)", "n_clusters must be an integer >= 2; search it with randint(lo,hi) or a grid"),
    ("alpha", "uniform(-1,1)", "config key 'alpha' must be a number >= 0, got -1"),
    ("alpha", "normal(0,1)", "unknown distribution 'normal'; expected a,b,c (a grid), loguniform(lo,hi)"),
    ("intent_fusion", "choice(shift,sum)", "must be one of 'shift', 'concat', got 'sum'"),
    ("use_ccl", "randint(0,2)", "use_ccl must be true or false; search it with a grid"),
])
def test_search_values_are_checked_against_the_schema(key, spec, message):
    with pytest.raises(ConfigError) as raised:
        parse_dimension(key, spec, "--k abc,def" if spec == "abc,def" else None)
    assert message in str(raised.value)


def test_search_values_are_typed_by_the_schema():
    assert parse_dimension("n_clusters", "32,64.0").values == (32, 64)
    assert parse_dimension("n_clusters", "randint(4,64)").values == (4, 64)


@pytest.mark.parametrize(("requested", "epochs", "expected"), [(None, 3, 4), (None, 10, 5), (2, 1, 2), (4, 3, 4)])
def test_grace_period_fits_the_results_a_trial_reports(requested, epochs, expected):
    assert grace_period(requested, epochs) == expected


@pytest.mark.parametrize(("requested", "message"), [
    (5, r"--grace-period 5 is more than the 4 results a trial reports .*epochs=3.*use --grace-period 4 or less"),
    (0, "--grace-period must be at least 1"),
])
def test_a_grace_period_asha_cannot_use_is_refused(requested, message):
    with pytest.raises(SearchSpaceError, match=message):
        grace_period(requested, 3)


def old_and_new_search(tmp_path):
    config = build_config("ELCRec", "ml-100k")
    old = search_fingerprint(config, parse_search_space("0.1,1", None, []), 2, 1)
    new = search_fingerprint(config, parse_search_space("10,100", None, []), 2, 1)
    (tmp_path / "exp").mkdir()
    atomic_write_json(settings_file(tmp_path, "exp"), old)
    return old, new


def test_a_search_with_other_settings_is_refused_naming_them(tmp_path):
    old, new = old_and_new_search(tmp_path)
    assert check_previous_search(tmp_path, "exp", old, force=False)  # same settings: restore
    with pytest.raises(SettingsMismatchError, match=r"search\.alpha: grid\[0\.1, 1\] -> grid\[10, 100\]") as raised:
        check_previous_search(tmp_path, "exp", new, force=False)
    assert "--force" in raised.value.hint and (tmp_path / "exp").is_dir()


def test_force_starts_a_new_search_and_keeps_the_old_one(tmp_path):
    _, new = old_and_new_search(tmp_path)
    assert not check_previous_search(tmp_path, "exp", new, force=True)
    assert not (tmp_path / "exp").exists() and len(list(tmp_path.glob("exp.replaced-*"))) == 1


def test_a_search_whose_trials_all_failed_says_so_instead_of_reporting_a_best(tmp_path):
    rows = [{"alpha": value, VALID_SCORE: None, "status": "error", "error": "ValueError: n_clusters=500 is larger"}
            for value in (0.1, 1.0)]
    with pytest.raises(TrialsFailedError, match=r"all 2 trial\(s\) of the search failed; the first error: ValueError"):
        check_some_trial_scored(rows)
    check_some_trial_scored(rows + [{"alpha": 10.0, VALID_SCORE: 0.1, "status": "stopped early"}])
