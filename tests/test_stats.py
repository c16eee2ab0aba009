"""course_utils.stats: the course's one statistics module, checked against independent computations."""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy import stats as scipy_stats

from course_utils import stats


def test_paired_interval_is_the_one_sample_t_interval_of_the_differences():
    d = np.array([0.012, 0.020, 0.005, 0.031, 0.017])
    mean, low, high = stats.paired_interval(d)
    ci = scipy_stats.ttest_1samp(d, 0.0).confidence_interval(0.95)
    assert mean == pytest.approx(d.mean()) and (low, high) == pytest.approx((ci.low, ci.high))
    half_by_hand = 2.776445 * d.std(ddof=1) / np.sqrt(5)          # t(0.975, 4)
    assert high - mean == pytest.approx(half_by_hand, rel=1e-5)


def test_paired_interval_needs_two_seeds_and_a_constant_difference_has_no_width():
    with pytest.raises(ValueError, match="at least two"):
        stats.paired_interval([0.1])
    mean, low, high = stats.paired_interval([0.02, 0.02, 0.02])     # no spread: no interval, no verdict
    assert mean == 0.02 and np.isnan(low) and np.isnan(high)
    assert stats.verdict(low, high) == "made no clear difference"


def test_verdict_reads_the_interval_against_zero():
    assert stats.verdict(0.001, 0.02) == "helped"
    assert stats.verdict(-0.02, -0.001) == "hurt"
    assert stats.verdict(-0.01, 0.02) == "made no clear difference"


def test_paired_table_compares_each_method_with_the_baseline_on_the_same_seed():
    runs = pd.DataFrame({"seed": [0, 1, 2] * 3, "n": [100] * 9,
                         "method": ["scratch"] * 3 + ["frozen"] * 3 + ["fine-tune"] * 3,
                         "acc": [0.70, 0.60, 0.80, 0.72, 0.62, 0.83, 0.70, 0.61, 0.79]})
    table = stats.paired_table(runs, "method", "acc", by=("n",)).set_index("method")
    assert table.loc["frozen", "gain"] == pytest.approx((0.02 + 0.02 + 0.03) / 3)
    assert table.loc["frozen", "verdict"] == "helped"            # seeds differ a lot, the pairs do not
    assert table.loc["fine-tune", "verdict"] == "made no clear difference"
    unpaired_low = scipy_stats.ttest_ind(runs.acc[3:6], runs.acc[:3]).confidence_interval(0.95).low
    assert unpaired_low < 0 < table.loc["frozen", "low"], "pairing is what separates them"


def test_summarize_names_spread_and_uncertainty_separately():
    table = stats.summarize([{"c": "a", "x": v} for v in (1.0, 2.0, 3.0)] + [{"c": "b", "x": 5.0}], "c", "x")
    a = table.set_index("c").loc["a"]
    assert (a["mean"], a["sd"], a["count"]) == (2.0, 1.0, 3)
    assert (a["low"], a["high"]) == pytest.approx((2 - 4.302653 / np.sqrt(3), 2 + 4.302653 / np.sqrt(3)))
    assert np.isnan(table.set_index("c").loc["b", "sd"])


def test_mcnemar_uses_only_the_discordant_images():
    # the example: 9 discordant photos, all favouring one model, out of 300
    a = np.r_[np.ones(9, bool), np.zeros(291, bool)]
    result = stats.mcnemar_exact(a, np.zeros(300, bool))
    assert (result["a_only"], result["b_only"]) == (9, 0)
    assert result["p_value"] == pytest.approx(2 * 0.5 ** 9)        # two-sided exact binomial: 0.0039
    # the same accuracies with many discordant photos in both directions: no evidence
    b = np.r_[np.zeros(20, bool), np.ones(11, bool), np.zeros(269, bool)]
    a = np.r_[np.ones(20, bool), np.zeros(11, bool), np.zeros(269, bool)]
    assert stats.mcnemar_exact(a, b)["p_value"] > 0.1
    assert stats.mcnemar_exact([True, False], [True, False])["p_value"] == 1.0


def test_mcnemar_refuses_arrays_of_different_images():
    with pytest.raises(ValueError, match="same length"):
        stats.mcnemar_exact([True, False], [True])


def test_wilson_interval_matches_the_textbook_formula():
    correct, n, z = 210, 300, 1.959964
    p = correct / n
    centre = (p + z * z / (2 * n)) / (1 + z * z / n)
    half = z * np.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / (1 + z * z / n)
    assert stats.wilson_interval(correct, n) == pytest.approx((centre - half, centre + half), abs=1e-6)
    assert stats.wilson_interval(0, 10)[0] == 0.0 and stats.wilson_interval(10, 10)[1] == pytest.approx(1.0)
    with pytest.raises(ValueError):
        stats.wilson_interval(11, 10)


def test_chance_exclusions_of_many_intervals():
    assert stats.expected_false_exclusions(36) == pytest.approx(1.8)
    rng = np.random.default_rng(0)                                  # and by simulation: nothing differs
    excluded = sum(not stats.verdict(*stats.paired_interval(rng.normal(size=5))[1:]).startswith("made")
                   for _ in range(4000))
    assert excluded / 4000 == pytest.approx(0.05, abs=0.012)


def test_corrected_cv_interval_is_wider_than_the_naive_one_by_the_nadeau_bengio_factor():
    d = np.random.default_rng(1).normal(0.01, 0.02, size=15)       # 3 x 5 folds
    mean, low, high = stats.corrected_repeated_cv_interval(d, test_share=0.2)
    _, naive_low, naive_high = stats.paired_interval(d)
    factor = np.sqrt((1 / 15 + 0.2 / 0.8) / (1 / 15))
    assert (high - low) == pytest.approx((naive_high - naive_low) * factor)
    with pytest.raises(ValueError):
        stats.corrected_repeated_cv_interval(d, test_share=1.0)
