"""Checkers for lesson 07 (ResNet50 on birds): what fine-tuning trains, when the cache pays, where the model errs."""
from __future__ import annotations

from typing import Any, Mapping

import numpy as np

from ..i18n import tr
from .core import CORRECT, NotQuite, Verdict, call, correct, exercise, expect, is_number, lesson_value, prediction_note

VERDICTS_7_4 = ("fine-tuning helped", "fine-tuning hurt", "no evidence either way")
ALPHA = 0.05


def stage_weights(base_model, stages: tuple[str, ...], batch_norm: bool) -> int:
    """Number of weights in the layers of ``stages`` (name prefixes): BatchNormalization layers or the others."""
    from keras import layers

    return sum(int(np.prod(w.shape)) for layer in base_model.layers if layer.name.startswith(stages)
               and isinstance(layer, layers.BatchNormalization) == batch_norm for w in layer.weights)


@exercise("7.1", hint="Which layers of those two stages stay frozen in the lesson's recipe, and why? Count the "
                      "weights of the others; a weight array's size is the product of its shape.",
          recipe="Go through base_model.layers, keep those whose name starts with one of the two stage prefixes "
                 "(str.startswith accepts a tuple), leave out the batch-normalization layers (isinstance with "
                 "keras.layers.BatchNormalization), and add up the sizes of the remaining layers' weight arrays.")
def _unfreeze_conv4(answer: Any, ns: Mapping[str, Any]) -> Verdict:
    base_model = lesson_value(ns, "base_model")
    expect(is_number(answer) and float(answer) == int(answer),
           tr("answer_7_1 should be a whole number of weights"))
    count = int(answer)
    convolutions = stage_weights(base_model, ("conv4_", "conv5_"), batch_norm=False)
    norms = stage_weights(base_model, ("conv4_", "conv5_"), batch_norm=True)
    expect(count != convolutions + norms, tr("that includes the BatchNormalization layers, which stay frozen"))
    expect(count != stage_weights(base_model, ("conv5_",), batch_norm=False),
           tr("that is conv5 alone: add conv4"))
    expect(count != stage_weights(base_model, ("conv4_",), batch_norm=False),
           tr("that is conv4 alone: conv5 stays trainable too"))
    expect(count == convolutions, tr("{count:,} is not the number of weights the optimiser would update", count=count))
    return CORRECT


def break_even_epochs(extraction: float, cached: float, uncached: float) -> int | None:
    """Smallest whole E >= 1 with extraction + E * cached <= E * uncached (None if the cache never pays)."""
    if uncached <= cached:
        return None
    return max(1, int(np.ceil(extraction / (uncached - cached) - 1e-12)))


# made-up (extraction, cached epoch, uncached epoch) times in seconds, each catching a plausible slip: an exact
# division (10: "<" for "<=", or floor + 1, gives 11), the cached epoch left out (ceil(100 / 15) = 7), rounding or
# truncating instead of rounding up (100 / 11 = 9.09), a cache paid back within the first epoch (1) and a cache that
# never pays (None)
TIMES_7_2 = ((100.0, 1.0, 11.0), (100.0, 5.0, 15.0), (100.0, 1.0, 12.0), (30.0, 0.5, 60.0), (5.0, 2.0, 2.0))
TIME_LIMIT_7_2 = 5.0   # seconds per call of the learner's break_even: a right answer takes microseconds


def call_break_even(function, times: tuple[float, float, float]):
    """The learner's ``break_even(*times)``, stopped after :data:`TIME_LIMIT_7_2` s; its failures name the times."""
    shown = ", ".join(f"{t:g}" for t in times)
    never_pays = break_even_epochs(*times) is None
    stuck = (tr("with these times an uncached epoch is no slower than a cached one, so no E satisfies the inequality "
                "and a loop that searches for one never ends: return None before looping") if never_pays else
             tr("with these times the cache pays after {epochs} epoch(s): does your loop stop at the first E that "
                "satisfies the inequality?", epochs=break_even_epochs(*times)))
    try:
        return call(function, *times, name=f"break_even({shown})", time_limit=TIME_LIMIT_7_2, when_stopped=stuck)
    except NotQuite as err:
        if never_pays and isinstance(err.__cause__, (ZeroDivisionError, OverflowError)):
            raise NotQuite(str(err) + tr(" (uncached - cached is {saving:g} s here: when a cached epoch saves nothing, "
                                         "return None before dividing)", saving=times[2] - times[1])) from err
        raise


@exercise("7.2", hint="Each cached epoch saves the difference between the two epoch times; the extraction is paid "
                      "once. How many savings does it take to cover it? Try your function on times you can work out "
                      "by hand, e.g. 100 s of extraction, 1 s cached, 11 s uncached.",
          recipe="Move the E terms of the inequality to one side and divide by what multiplies E: E >= extraction / "
                 "(uncached - cached). The smallest whole number of epochs is that ratio rounded up (np.ceil), and at "
                 "least 1; when uncached - cached is 0 or less no E satisfies it: return None.")
def _break_even(answer: Any, ns: Mapping[str, Any]) -> Verdict:
    extraction, cached, uncached = (float(lesson_value(ns, n)) for n in ("extraction", "cached_epoch",
                                                                         "uncached_epoch"))
    expect(callable(answer), tr("answer_7_2 should be your function break_even(extraction, cached_epoch, "
                                "uncached_epoch)"))
    for times in (*TIMES_7_2, (extraction, cached, uncached)):
        expected = break_even_epochs(*times)
        value = call_break_even(answer, times)
        shown = ", ".join(f"{t:g}" for t in times)
        if expected is None:
            expect(value is None, tr("break_even({times}) returned {value}: an uncached epoch is no slower than a "
                                     "cached one there, so the cache never pays: return None", times=shown,
                                     value=value))
            continue
        expect(value is not None, tr("break_even({times}) returned None, but with these times the cache does pay "
                                     "for itself", times=shown))
        expect(is_number(value) and float(value) == int(value),
               tr("break_even({times}) returned {value}: give a whole number of epochs (a part of an epoch is "
                  "not trained: round up)", times=shown, value=value))
        epochs = int(value)
        expect(epochs >= 1 and times[0] + epochs * times[1] <= epochs * times[2],
               tr("break_even({times}) returned {epochs}: after {epochs} epoch(s) the cache has not paid for itself "
                  "yet", times=shown, epochs=epochs))
        expect(epochs == expected, tr("break_even({times}) returned {epochs}, but the cache already pays for itself "
                                      "before that: find the smallest E", times=shown, epochs=epochs))
    here = break_even_epochs(extraction, cached, uncached)
    return correct(tr("with this run's times the cache pays after {epochs} epoch(s)", epochs=here) if here else
                   tr("with this run's times an epoch on cached features was not faster, so the cache never pays"))


def fine_tuning_changes(ns: Mapping[str, Any]) -> dict:
    """On the test photos: photos fine-tuning fixed (frozen head wrong, fine-tuned right), broke, and McNemar's p."""
    from .. import stats

    y_test = np.asarray(lesson_value(ns, "y_test"))
    frozen = np.asarray(lesson_value(ns, "frozen_probs")).argmax(axis=1) == y_test
    tuned = np.asarray(lesson_value(ns, "finetuned_probs")).argmax(axis=1) == y_test
    test = stats.mcnemar_exact(tuned, frozen)
    return {"fixed": test["a_only"], "broken": test["b_only"], "p": float(test["p_value"]),
            "gain": float(tuned.mean() - frozen.mean()), "photos": int(len(y_test))}


@exercise("7.3", hint="Both models answered the same test photos. Photos both get right, or both wrong, say nothing "
                      "about which is better: only the photos where they disagree do. Write your prediction first.",
          recipe="Compare each model's most likely class (argmax of frozen_probs and of finetuned_probs) with y_test to "
                 "get two boolean arrays. 'fixed' counts photos wrong before and right after fine-tuning, 'broken' the "
                 "reverse. Under 'no difference' each disagreeing photo is a fair coin: the exact McNemar p-value is a "
                 "two-sided binomial test of fixed out of fixed + broken (scipy.stats.binomtest, or the course's "
                 "stats.mcnemar_exact).")
def _what_fine_tuning_changed(answer: Any, ns: Mapping[str, Any]) -> Verdict:
    true = fine_tuning_changes(ns)
    expect(isinstance(answer, Mapping) and {"fixed", "broken", "p"} <= set(answer),
           tr("answer_7_3 should be a dict with the keys 'fixed', 'broken' and 'p'"))
    for key in ("fixed", "broken"):
        expect(is_number(answer[key]), tr("answer_7_3['{key}'] should be a number of photos", key=key))
    fixed, broken = int(answer["fixed"]), int(answer["broken"])
    if (fixed, broken) == (true["broken"], true["fixed"]) and true["fixed"] != true["broken"]:
        expect(False, tr("'fixed' and 'broken' are the wrong way round: fixed photos were wrong with the frozen head "
                         "and are right after fine-tuning"))
    expect(fixed == true["fixed"], tr("'fixed' is off: count the test photos the frozen head gets wrong and the "
                                      "fine-tuned model gets right"))
    expect(broken == true["broken"], tr("'broken' is off: count the test photos the frozen head gets right and the "
                                        "fine-tuned model gets wrong"))
    expect(is_number(answer["p"]) and 0 <= float(answer["p"]) <= 1,
           tr("answer_7_3['p'] should be a p-value between 0 and 1"))
    p = float(answer["p"])
    if abs(p - true["p"]) > 1e-6 and not any(rounded_to(p, true["p"], d) for d in range(3, 7)):   # not right, even
        coarse = next((d for d in (1, 2) if rounded_to(p, true["p"], d)), None)                   # rounded
        expect(coarse is None, tr("close: {p:g} is the p-value rounded to {digits} decimal(s); give at least 3 "
                                  "decimals (or the unrounded value)", p=p, digits=coarse))
        expect(p != 0, tr("a p-value of 0 says the counts are impossible under 'no difference'; if you rounded, give "
                          "more digits (this one is not 0)"))
        expect(False, tr("the p-value is off: the exact McNemar test is a two-sided binomial test of 'fixed' out of "
                         "the fixed + broken photos, with probability one half (a one-sided test, or a test on all "
                         "photos, differs)"))
    return correct(prediction_note(ns, "7.3", true["gain"]) + tr(" (the accuracy change fine-tuning made on the test "
                                                                 "photos)"))


def rounded_to(answer: float, true: float, digits: int) -> bool:
    """Whether ``answer`` is ``true`` rounded to ``digits`` decimals or to ``digits`` significant figures (not 0)."""
    candidates = {round(true, digits), float(f"{true:.{digits}g}")} - {0.0}
    return any(abs(answer - c) <= 1e-12 for c in candidates)


def fine_tuning_verdict(ns: Mapping[str, Any]) -> str:
    """What the paired test on the test photos supports (5 % level)."""
    true = fine_tuning_changes(ns)
    if true["p"] < ALPHA:
        return VERDICTS_7_4[0] if true["fixed"] > true["broken"] else VERDICTS_7_4[1]
    return VERDICTS_7_4[2]


@exercise("7.4", hint="A higher accuracy on one test set is not yet evidence: on another sample of test photos the "
                      "order could flip. What did the paired test of exercise 7.3 say, at the 5 % level? (It covers "
                      "the sampling of test photos only: another training seed could change the answer too.)",
          recipe="If McNemar's p from 7.3 is below 0.05, the direction (more fixed than broken, or fewer) decides "
                 "between 'fine-tuning helped' and 'fine-tuning hurt'; otherwise the test photos give no evidence "
                 "either way, whatever the two accuracies are, and the cheaper model (the frozen head) is the default.")
def _did_fine_tuning_pay(answer: Any, ns: Mapping[str, Any]) -> Verdict:
    expect(isinstance(answer, str) and answer.strip().rstrip(".").strip().lower() in VERDICTS_7_4,
           tr("answer_7_4 should be one of {list}", list=list(VERDICTS_7_4)))
    true, verdict = fine_tuning_changes(ns), fine_tuning_verdict(ns)
    chosen = answer.strip().rstrip(".").strip().lower()
    given = ns.get("answer_7_3")   # the verdict must follow from this run's paired test, not from a guess
    expect(isinstance(given, Mapping) and given.get("fixed") == true["fixed"] and given.get("broken") == true["broken"]
           and is_number(given.get("p")) and abs(float(given["p"]) - true["p"]) < 5e-3,
           tr("answer_7_4 must follow from this run's McNemar test: solve exercise 7.3 first (answer_7_3 with "
              "this run's 'fixed', 'broken' and 'p'), then read its p-value"))
    if chosen != verdict and verdict == VERDICTS_7_4[2]:
        expect(False, tr("the accuracies differ by {gain:+.1%}, but McNemar's p = {p:.2f} on {value} disagreeing "
                         "photos: a difference that size is common between two equally good models",
                         gain=true['gain'], p=true['p'], value=true['fixed'] + true['broken']))
    expect(chosen == verdict, tr("McNemar's p = {p:.3g} with {fixed} photos fixed and {broken} broken: read the "
                                 "direction and the p-value again", p=true['p'], fixed=true['fixed'],
                                 broken=true['broken']))
    return CORRECT
