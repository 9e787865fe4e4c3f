"""Ray Tune search: the search-space parser, its errors, and the trial reports."""

import pytest

from recbole_elcrec.quick_start.tune import (
    Dimension,
    SearchSpaceError,
    parse_dimension,
    parse_search_space,
    write_reports,
)
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
