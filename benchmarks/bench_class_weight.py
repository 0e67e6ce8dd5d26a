"""Class weights on imbalanced corpora: ``class_weight=None`` against ``"balanced"``.

WESAD (amusement 36% of the windows, stress 64%) and DEAP (low valence 45%) are imbalanced,
and the study scores balanced accuracy. This fits the study's skmmer
classifiers and the two scikit-learn baselines that take ``class_weight``
both ways, on the study's folds and its 30%-missing mask, with 20% and all
of the training labels, and reports balanced accuracy and accuracy side by
side (weighting classes trades one for the other).

Usage::

    python benchmarks/bench_class_weight.py --n-jobs 2
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import pandas as pd
from sklearn.base import clone

sys.path.insert(0, str(Path(__file__).parent))

from _config import DATASETS, baseline_estimators, paired_gains, skmmer_estimators  # noqa: E402
from run_benchmarks import command_line, environment_lines, write_report  # noqa: E402

from skmmer.masking import simulate_missing  # noqa: E402
from skmmer.model_selection import LabelFractions, pivot_summary, run_study, summarize, to_markdown  # noqa: E402

RESULTS = Path(__file__).parent / "results" / "class_weight"
#: The study's estimators compared here, by their study name.
SKMMER_METHODS = (
    "MaskedFusionClassifier",
    "MultiViewDGMClassifier",
    "CrossModalMatchingClassifier",
    "InvariantImagination",
)
BASELINES = {
    "mean impute + LogisticRegression": "logisticregression__class_weight",
    "HistGradientBoosting (native NaN)": "class_weight",
}


def estimators(modalities) -> dict[str, object]:
    """Every method twice: as in the study, and with balanced class weights."""
    study = skmmer_estimators(modalities, semi_supervised=True, quick=False)
    baselines = baseline_estimators(semi_supervised=True, quick=False)
    pairs = [(name, study[name], "class_weight") for name in SKMMER_METHODS]
    pairs += [(name, baselines[name], parameter) for name, parameter in BASELINES.items()]
    methods = {}
    for name, estimator, parameter in pairs:
        methods[name] = estimator
        methods[f"{name}, balanced"] = clone(estimator).set_params(**{parameter: "balanced"})
    return methods


def run(name: str, n_jobs: int) -> pd.DataFrame:
    data = DATASETS[name](None, False)
    X = simulate_missing(data["X"], data["modalities"], rate=0.3, random_state=0)  # the study's mask
    return run_study(
        estimators(data["modalities"]), X, data["y"], data["modalities"],
        protocols=[LabelFractions((0.2, 1.0), name="labels, 30% missing")],
        cv=data["cv"], groups=data["groups"], dataset=name, n_jobs=n_jobs, random_state=0, verbose=1,
    )


def report(results: pd.DataFrame, command: str, seconds: float) -> list[str]:
    lines = [
        "# Class weights on imbalanced corpora (30% of modality entries missing)",
        "",
        *environment_lines(command, seconds),
        "",
        "Each method as in the study and with `class_weight=\"balanced\"` (for the logistic "
        "regression pipeline, on its final step), on the study's folds, mask and kept labels; "
        "mean ± std over folds. Columns: the fraction of training labels kept.",
    ]
    gains = paired_gains(results, ", balanced", columns="train_setting")
    gains.columns = [f"{metric} gain, {setting}" for metric, setting in gains.columns]
    lines += [
        "",
        "## Paired gain of `class_weight=\"balanced\"`",
        "",
        "Balanced minus unweighted, mean over folds; in brackets, the folds where balanced "
        "scored higher and lower (the rest tie). UA: balanced accuracy; WA: accuracy.",
        "",
        to_markdown(gains.reset_index()),
    ]
    table = summarize(results)
    for dataset in results["dataset"].unique():
        for metric, title in (("UA", "balanced accuracy"), ("WA", "accuracy")):
            rows = table[(table["dataset"] == dataset) & (table["metric"] == metric)]
            lines += ["", f"## {dataset}: {title}", "", to_markdown(pivot_summary(rows, rows="method", columns="train_setting"))]
    return lines + [""]


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--datasets", nargs="+", default=["wesad", "deap"], choices=sorted(DATASETS))
    parser.add_argument("--n-jobs", type=int, default=1)
    args = parser.parse_args(argv)
    start = time.perf_counter()
    results = pd.concat([run(name, args.n_jobs) for name in args.datasets], ignore_index=True)
    seconds = time.perf_counter() - start
    RESULTS.mkdir(parents=True, exist_ok=True)
    results.to_csv(RESULTS / "folds.csv", index=False)
    write_report(RESULTS / "class_weight.md", report(results, command_line(__file__, argv), seconds))
    return 0


if __name__ == "__main__":
    sys.exit(main())
