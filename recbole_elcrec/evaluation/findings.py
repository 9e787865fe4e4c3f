""""What the numbers say": plain sentences computed from the converged run records, under each Table 1."""

from __future__ import annotations

from typing import Any

import numpy as np

from recbole_elcrec.evaluation.report import counted
from recbole_elcrec.evaluation.tables import METRIC_NAMES, paired_p_value

HEADLINE = "ndcg@5"  # the metric the paper leads with
PAPER_ORDER = ("ELCRec", "ICLRec", "CL4SRec", "SASRec")  # the paper's Table 1 ordering on Beauty, best first
SIGNIFICANCE = 0.05  # the level at which a paired t-test's p-value calls a difference significant
ABLATION_BASELINE, ABLATION_VARIANTS = "baseline", ("+CCL", "+ELCM", "ELCRec")  # Figure 4; ELCRec = both modules


def headline_scores(rows: dict[str, list[dict[str, Any]]]) -> dict[str, dict[int, float]]:
    """The headline metric of every run per row, keyed by the run's seed (converged runs only are passed in)."""
    return {row: {run["seed"]: run["test_result"][HEADLINE] for run in runs} for row, runs in rows.items()
            if runs}


def mean_score(by_seed: dict[int, float]) -> float:
    """The mean of one row's headline scores over its seeds."""
    return float(np.mean(list(by_seed.values())))


def margin(scores: dict[str, dict[int, float]], model: str, baseline: str) -> tuple[float, float, float, float]:
    """``model``'s and ``baseline``'s mean headline score (``scores``, by seed), the difference, and the paired
    t-test p-value (NaN unless both rows ran the same seeds)."""
    mine, theirs = mean_score(scores[model]), mean_score(scores[baseline])
    return mine, theirs, mine - theirs, paired_p_value(scores[model], scores[baseline])


def above(score: float, other: float) -> bool:
    """Whether ``score`` is higher than ``other`` as the sentences print them (4 digits): a printed tie is no win."""
    return round(score, 4) > round(other, 4)


def verdict(change: float) -> str:
    """How a row compares with a baseline, as the sentences print the difference (4 digits): a difference that
    prints as +0.0000 is a tie, not a win or a loss."""
    return "is level with" if round(change, 4) == 0 else "beats" if change > 0 else "does **not** beat"


def significance(p_value: float) -> str:
    """A sentence reading a paired t-test's p-value at the 5% level ("" when there was no test)."""
    if np.isnan(p_value):
        return ""
    if p_value < SIGNIFICANCE:
        return f" The difference is significant at the {SIGNIFICANCE:.0%} level."
    return f" The difference is within seed noise: not significant at the {SIGNIFICANCE:.0%} level."


def ranked(rows: list[tuple[str, float, str]]) -> str:
    """``(label, score, note)`` rows, best first, as "label score note > ...", with " = " instead of " > " between
    two scores that print alike (4 digits): a tie is not shown as an order."""
    label, score, note = rows[0]
    text = f"{label} {score:.4f}{note}"
    for (_, before, _), (label, score, note) in zip(rows[:-1], rows[1:], strict=True):
        text += f" {'>' if above(before, score) else '='} {label} {score:.4f}{note}"
    return text


def on_shared_seeds(scores: dict[str, dict[int, float]], model: str, baseline: str) -> str:
    """The comparison restricted to the seeds both rows ran, when they ran some but not the same ones (else "")."""
    shared = sorted(scores[model].keys() & scores[baseline].keys())
    if not shared or scores[model].keys() == scores[baseline].keys():
        return ""
    restricted = {row: {seed: scores[row][seed] for seed in shared} for row in (model, baseline)}
    mine, theirs, change, p_value = margin(restricted, model, baseline)
    tested = f"paired t-test p = {p_value:.3g}" if not np.isnan(p_value) else "too few seeds to test"
    seeds = ", ".join(map(str, shared))
    return (f" On the seed{'s' * (len(shared) > 1)} both ran ({seeds}): {model} {mine:.4f} vs {baseline} "
            f"{theirs:.4f} ({change:+.4f}; {tested}).")


def comparison_with_strongest(rows: dict[str, list[dict[str, Any]]], model: str = "ELCRec") -> str:
    """Whether ``model`` beats the strongest other row on the headline metric, by how much, with the p-value and
    whether that p-value makes the difference significant at the 5% level (a difference that prints as +0.0000 is
    a tie).

    When the strongest row ran other seeds than ``model`` (no paired test), the two are also compared on the
    seeds both ran, and the strongest row that ran the same seeds, if there is one, is compared too, with its
    p-value.
    """
    scores = headline_scores(rows)
    others = {row: values for row, values in scores.items() if row != model}
    if model not in scores or not others:
        return f"{model} against the baselines: not enough converged runs yet."
    strongest = max(others, key=lambda row: mean_score(others[row]))
    mine, theirs, change, p_value = margin(scores, model, strongest)
    name = METRIC_NAMES[HEADLINE]
    runs = len(scores[model])
    same_seeds = [row for row in others if others[row].keys() == scores[model].keys()]
    evidence = (f"paired t-test over {runs} seeds p = {p_value:.3g}" if not np.isnan(p_value)
                else "one seed each, so no significance test yet" if runs == 1 and len(others[strongest]) == 1
                else "no paired t-test: the differences have no variance" if strongest in same_seeds
                else "no paired t-test: the two rows ran different seeds")
    sentence = (f"{model} {verdict(change)} the strongest baseline, {strongest}: {name} {mine:.4f} vs {theirs:.4f} "
                f"({change:+.4f}, {change / theirs:+.1%}; {evidence}).{significance(p_value)}")
    sentence += on_shared_seeds(scores, model, strongest)
    paired_alternatives = [row for row in same_seeds if row != strongest]
    if np.isnan(p_value) and runs > 1 and paired_alternatives:
        baseline = max(paired_alternatives, key=lambda row: mean_score(others[row]))
        _, theirs, change, p_value = margin(scores, model, baseline)
        tested = f"p = {p_value:.3g}" if not np.isnan(p_value) else "no variance to test"
        sentence += (f" Against {baseline}, the strongest baseline with the same {runs} seeds: {theirs:.4f} "
                     f"({change:+.4f}, {change / theirs:+.1%}; paired t-test {tested}).")
    return sentence


def paper_ordering(rows: dict[str, list[dict[str, Any]]], loss: str) -> str:
    """Whether the paper's ordering ELCRec > ICLRec > CL4SRec > SASRec holds on the headline metric in this regime."""
    scores = headline_scores(rows)
    missing = [model for model in PAPER_ORDER if model not in scores]
    paper = " > ".join(PAPER_ORDER)
    if missing:
        return f"The paper's ordering ({paper}) cannot be checked in the {loss} regime yet: no converged run of " \
               f"{', '.join(missing)}."
    means = {model: mean_score(scores[model]) for model in PAPER_ORDER}
    measured = sorted(PAPER_ORDER, key=means.get, reverse=True)
    counts = {model: len(scores[model]) for model in PAPER_ORDER}
    each = len(set(counts.values())) == 1
    seeds = {model: "" if each else f" ({counted(counts[model], 'seed')})" for model in PAPER_ORDER}
    shown = ranked([(model, means[model], seeds[model]) for model in measured])
    over = f", {counted(counts[PAPER_ORDER[0]], 'seed')} each" if each else "; means over unequal numbers of seeds"
    in_paper_order = [means[model] for model in PAPER_ORDER]
    holds = "holds" if all(map(above, in_paper_order[:-1], in_paper_order[1:])) else "does **not** hold"
    return (f"The paper's ordering ({paper}) {holds} in the {loss} regime: measured {shown} "
            f"({METRIC_NAMES[HEADLINE]}{over}).")


def what_the_numbers_say(rows: dict[str, list[dict[str, Any]]], loss: str) -> str:
    """The Markdown paragraph under a Table 1: ELCRec against the strongest baseline, and the paper's ordering."""
    return (f"**What the numbers say** (computed from the converged runs above, {METRIC_NAMES[HEADLINE]}): "
            f"{comparison_with_strongest(rows)} {paper_ordering(rows, loss)}\n")


def against_ablation_baseline(scores: dict[str, dict[int, float]], variant: str) -> str:
    """One Figure 4 row against the baseline (neither module) on the seeds both ran, with the paired p-value."""
    shared = sorted(scores[variant].keys() & scores[ABLATION_BASELINE].keys())
    if not shared:
        return f"{variant}: no seed in common with the baseline yet"
    restricted = {row: {seed: scores[row][seed] for seed in shared} for row in (variant, ABLATION_BASELINE)}
    mine, theirs, change, p_value = margin(restricted, variant, ABLATION_BASELINE)
    identical = all(restricted[variant][seed] == restricted[ABLATION_BASELINE][seed] for seed in shared)
    tested = ("one seed, so no test yet" if len(shared) == 1
              else f"the same score on each of the {len(shared)} seeds" if identical
              else "no variance to test" if np.isnan(p_value)
              else f"paired t-test over {len(shared)} seeds p = {p_value:.3g}")
    return f"{variant} {mine:.4f} vs {theirs:.4f} ({change:+.4f}, {change / theirs:+.1%}; {tested})"


def what_the_ablation_says(rows: dict[str, list[dict[str, Any]]]) -> str:
    """The Markdown paragraph under the Figure 4 table: each row against the baseline, and whether each module
    helps on its own and both together do best (the paper's reading of its Figure 4)."""
    scores = headline_scores(rows)
    name = METRIC_NAMES[HEADLINE]
    missing = [row for row in (ABLATION_BASELINE, *ABLATION_VARIANTS) if row not in scores]
    if missing:
        return f"**What the ablation says**: not yet checkable, no converged run of {', '.join(missing)}.\n"
    comparisons = "; ".join(against_ablation_baseline(scores, variant) for variant in ABLATION_VARIANTS)
    means = {row: mean_score(scores[row]) for row in scores}
    each_helps = all(above(means[variant], means[ABLATION_BASELINE]) for variant in ABLATION_VARIANTS[:2])
    full_best = all(above(means["ELCRec"], means[row]) for row in means if row != "ELCRec")
    holds = "holds" if each_helps and full_best else "does **not** hold"
    measured = ranked([(row, means[row], f" ({counted(len(scores[row]), 'seed')})")
                       for row in sorted(means, key=means.get, reverse=True)])
    return (f"**What the ablation says** (computed from the converged runs above, {name}, each row against the "
            f"baseline on the seeds both ran): {comparisons}. The paper's reading of Figure 4 (each module alone "
            f"improves on the baseline, both together do best) {holds}: measured {measured}.\n")
