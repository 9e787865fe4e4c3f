"""The "What the numbers say" sentences: winner, margin, p-value and the paper's ordering, from records alone."""

import pytest

from recbole_elcrec.evaluation.findings import (
    comparison_with_strongest,
    paper_ordering,
    what_the_ablation_says,
    what_the_numbers_say,
)


def runs(*ndcg5: float, first_seed: int = 2020) -> list[dict]:
    return [{"seed": first_seed + i, "test_result": {"ndcg@5": value}} for i, value in enumerate(ndcg5)]


def test_a_win_names_the_strongest_baseline_the_margin_and_the_paired_p_value():
    rows = {"ELCRec": runs(0.050, 0.052, 0.051), "SASRec": runs(0.040, 0.041, 0.043),
            "ICLRec": runs(0.045, 0.046, 0.044)}
    sentence = comparison_with_strongest(rows)
    # ICLRec is the strongest other row (mean 0.045); differences 0.005, 0.006, 0.007: t = 0.006 / (0.001 / sqrt 3)
    # = 10.39 with 2 degrees of freedom, two-sided p = 0.00913
    assert sentence.startswith("ELCRec beats the strongest baseline, ICLRec: NDCG@5 0.0510 vs 0.0450 (+0.0060, +13.3%;")
    assert sentence.endswith("paired t-test over 3 seeds p = 0.00913). The difference is significant at the 5% level.")


def test_a_lead_the_seeds_cannot_separate_is_called_seed_noise():
    rows = {"ELCRec": runs(0.050, 0.048, 0.052), "SASRec": runs(0.049, 0.049, 0.050)}
    # differences 0.001, -0.001, 0.002: t = 0.000667 / (0.001528 / sqrt 3) = 0.756 with 2 degrees of freedom, p = 0.529
    assert comparison_with_strongest(rows) == (
        "ELCRec beats the strongest baseline, SASRec: NDCG@5 0.0500 vs 0.0493 (+0.0007, +1.4%; paired t-test over 3 "
        "seeds p = 0.529). The difference is within seed noise: not significant at the 5% level.")


def test_a_difference_that_prints_as_zero_is_a_tie_not_a_win():
    rows = {"ELCRec": runs(0.0550, 0.0554, 0.0542), "SASRec": runs(0.0537, 0.0557, 0.0551)}
    # the Toys CE records: means 0.054867 and 0.054833, a difference of +0.000033
    assert comparison_with_strongest(rows).startswith(
        "ELCRec is level with the strongest baseline, SASRec: NDCG@5 0.0549 vs 0.0548 (+0.0000, +0.1%; paired t-test")


def test_a_loss_is_said_plainly_and_one_seed_gets_no_test():
    sentence = comparison_with_strongest({"ELCRec": runs(0.043), "SASRec": runs(0.050)})
    assert sentence == ("ELCRec does **not** beat the strongest baseline, SASRec: NDCG@5 0.0430 vs 0.0500 "
                        "(-0.0070, -14.0%; one seed each, so no significance test yet).")


def test_rows_with_different_seeds_are_not_paired():
    sentence = comparison_with_strongest({"ELCRec": runs(0.05, 0.06), "SASRec": runs(0.04, 0.05, first_seed=2021)})
    assert "no paired t-test: the two rows ran different seeds" in sentence


def test_a_strongest_row_of_other_seeds_is_joined_by_the_strongest_with_the_same_seeds():
    rows = {"ELCRec": runs(0.050, 0.052, 0.051), "ICLRec": runs(0.060), "SASRec": runs(0.040, 0.041, 0.043),
            "CL4SRec": runs(0.030, 0.031, 0.032)}
    sentence = comparison_with_strongest(rows)
    assert "does **not** beat the strongest baseline, ICLRec: NDCG@5 0.0510 vs 0.0600" in sentence
    assert "no paired t-test: the two rows ran different seeds" in sentence
    # SASRec, not CL4SRec: differences 0.010, 0.011, 0.008 -> t = 0.009667 / (0.001528 / sqrt 3) = 10.96, p = 0.00822
    assert sentence.endswith("Against SASRec, the strongest baseline with the same 3 seeds: 0.0413 (+0.0097, "
                             "+23.4%; paired t-test p = 0.00822).")


def test_rows_with_some_seeds_in_common_are_also_compared_on_those_seeds():
    rows = {"ELCRec": runs(0.050, 0.052, 0.051), "CL4SRec": runs(0.0515)}
    sentence = comparison_with_strongest(rows)
    assert "does **not** beat the strongest baseline, CL4SRec: NDCG@5 0.0510 vs 0.0515" in sentence
    assert sentence.endswith("On the seed both ran (2020): ELCRec 0.0500 vs CL4SRec 0.0515 (-0.0015; too few "
                             "seeds to test).")
    rows = {"ELCRec": runs(0.050, 0.052, 0.051), "CL4SRec": runs(0.048, 0.049)}
    # seeds 2020-2021: differences 0.002, 0.003 -> t = 0.0025 / (0.000707 / sqrt 2) = 5.0 with 1 degree of
    # freedom, two-sided p = 0.126
    assert "On the seeds both ran (2020, 2021): ELCRec 0.0510 vs CL4SRec 0.0485 (+0.0025; paired t-test p = 0.126)." \
        in comparison_with_strongest(rows)


def test_equal_seeds_without_variance_are_not_called_different_seeds():
    sentence = comparison_with_strongest({"ELCRec": runs(0.050, 0.060), "SASRec": runs(0.040, 0.050)})
    assert sentence.endswith("(+0.0100, +22.2%; no paired t-test: the differences have no variance).")


@pytest.mark.parametrize(("scores", "expected"), [
    ((0.05, 0.04, 0.03, 0.02), "holds in the BCE regime: measured ELCRec 0.0500 > ICLRec 0.0400 > CL4SRec 0.0300 > "
                               "SASRec 0.0200 (NDCG@5, 1 seed each)."),
    ((0.04, 0.03, 0.02, 0.05), "does **not** hold in the BCE regime: measured SASRec 0.0500 > ELCRec 0.0400 > "
                               "ICLRec 0.0300 > CL4SRec 0.0200 (NDCG@5, 1 seed each)."),
])
def test_the_papers_ordering_is_checked_on_the_means(scores, expected):
    rows = dict(zip(("ELCRec", "ICLRec", "CL4SRec", "SASRec"), (runs(score) for score in scores), strict=True))
    assert paper_ordering(rows, "BCE") == f"The paper's ordering (ELCRec > ICLRec > CL4SRec > SASRec) {expected}"


def test_a_tie_is_printed_as_a_tie_and_does_not_hold_as_an_order():
    rows = {"ELCRec": runs(0.05001), "ICLRec": runs(0.04999), "CL4SRec": runs(0.03), "SASRec": runs(0.02)}
    assert paper_ordering(rows, "CE").endswith("does **not** hold in the CE regime: measured ELCRec 0.0500 = "
                                               "ICLRec 0.0500 > CL4SRec 0.0300 > SASRec 0.0200 (NDCG@5, 1 seed each).")


def test_an_ordering_of_unequal_seed_counts_says_how_many_seeds_each_mean_has():
    rows = {"ELCRec": runs(0.05, 0.05, 0.05), "ICLRec": runs(0.04), "CL4SRec": runs(0.06), "SASRec": runs(0.03, 0.03)}
    assert paper_ordering(rows, "CE").endswith("measured CL4SRec 0.0600 (1 seed) > ELCRec 0.0500 (3 seeds) > ICLRec "
                                               "0.0400 (1 seed) > SASRec 0.0300 (2 seeds) (NDCG@5; means over "
                                               "unequal numbers of seeds).")


def test_missing_rows_are_named_instead_of_guessed():
    text = what_the_numbers_say({"ELCRec": runs(0.043)}, "CE")
    assert "not enough converged runs yet" in text and "no converged run of ICLRec, CL4SRec, SASRec" in text


def test_the_ablation_compares_each_row_with_the_baseline_and_checks_the_papers_reading():
    rows = {"baseline": runs(0.040, 0.042, 0.041), "+CCL": runs(0.045, 0.046, 0.047),
            "+ELCM": runs(0.043, 0.044, 0.042), "ELCRec": runs(0.050, 0.051, 0.052)}
    text = what_the_ablation_says(rows)
    # differences from the baseline, each with sd 0.001 over 3 seeds: +CCL 0.005 (t = 8.66, p = 0.0131), +ELCM
    # 0.002 (t = 3.46, p = 0.0742), ELCRec 0.010 (t = 17.3, p = 0.00332), two-sided with 2 degrees of freedom
    assert ("+CCL 0.0460 vs 0.0410 (+0.0050, +12.2%; paired t-test over 3 seeds p = 0.0131); "
            "+ELCM 0.0430 vs 0.0410 (+0.0020, +4.9%; paired t-test over 3 seeds p = 0.0742); "
            "ELCRec 0.0510 vs 0.0410 (+0.0100, +24.4%; paired t-test over 3 seeds p = 0.00332).") in text
    assert text.endswith("both together do best) holds: measured ELCRec 0.0510 (3 seeds) > +CCL 0.0460 (3 seeds) > "
                         "+ELCM 0.0430 (3 seeds) > baseline 0.0410 (3 seeds).\n")


def test_an_ablation_where_a_module_hurts_says_the_reading_does_not_hold_and_pairs_only_shared_seeds():
    rows = {"baseline": runs(0.050), "+CCL": runs(0.045), "+ELCM": runs(0.052, first_seed=2021),
            "ELCRec": runs(0.055, 0.056, 0.054)}
    text = what_the_ablation_says(rows)
    assert "+CCL 0.0450 vs 0.0500 (-0.0050, -10.0%; one seed, so no test yet)" in text
    assert "+ELCM: no seed in common with the baseline yet" in text
    assert "ELCRec 0.0550 vs 0.0500 (+0.0050, +10.0%; one seed, so no test yet)" in text  # seed 2020 alone
    assert "both together do best) does **not** hold: measured ELCRec 0.0550 (3 seeds) > +ELCM" in text


def test_an_ablation_without_a_baseline_run_names_what_is_missing():
    text = what_the_ablation_says({"ELCRec": runs(0.05), "+CCL": runs(0.04)})
    assert text == "**What the ablation says**: not yet checkable, no converged run of baseline, +ELCM.\n"


def test_an_ablation_row_equal_to_the_baseline_on_every_seed_is_called_the_same_not_untestable():
    rows = {"baseline": runs(0.040, 0.042, 0.041), "+CCL": runs(0.045, 0.046, 0.047),
            "+ELCM": runs(0.040, 0.042, 0.041), "ELCRec": runs(0.050, 0.051, 0.052)}
    text = what_the_ablation_says(rows)
    assert "+ELCM 0.0410 vs 0.0410 (+0.0000, +0.0%; the same score on each of the 3 seeds)" in text
    assert text.endswith("both together do best) does **not** hold: measured ELCRec 0.0510 (3 seeds) > +CCL 0.0460 "
                         "(3 seeds) > baseline 0.0410 (3 seeds) = +ELCM 0.0410 (3 seeds).\n")
