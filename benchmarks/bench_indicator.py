"""Missing-modality indicators downstream: ``add_indicator=False`` against ``True``.

``DiffusionImputer(add_indicator=True)`` appends one column per modality that
flags the rows whose block was missing; scikit-learn's ``SimpleImputer`` does
the same per feature. This fits both imputers in front of a logistic
regression, each without and with indicators, under the study's missing-rates
protocol (trained with 30% of modality entries missing, tested at IMDer's
rates) on the study's folds and masks, and reports the paired gain per test
rate.

Usage::

    python benchmarks/bench_indicator.py --n-jobs 2
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

from skmmer.model_selection import MissingRates, pivot_summary, run_study, summarize, to_markdown  # noqa: E402

RESULTS = Path(__file__).parent / "results" / "indicator"
SUFFIX = ", with indicators"
#: Study name of each pipeline and the parameter that switches its indicators on.
PIPELINES = {
    "DiffusionImputer + LogisticRegression": "diffusionimputer__add_indicator",
    "mean impute + LogisticRegression": "simpleimputer__add_indicator",
}


def estimators(modalities) -> dict[str, object]:
    """Each pipeline as in the study, and with its imputer's indicators."""
    study = {
        **skmmer_estimators(modalities, semi_supervised=False, quick=False),
        **baseline_estimators(semi_supervised=False, quick=False),
    }
    methods = {}
    for name, parameter in PIPELINES.items():
        methods[name] = study[name]
        methods[name + SUFFIX] = clone(study[name]).set_params(**{parameter: True})
    return methods


def run(name: str, n_jobs: int) -> pd.DataFrame:
    data = DATASETS[name](None, False)
    return run_study(
        estimators(data["modalities"]), data["X"], data["y"], data["modalities"],
        protocols=[MissingRates(train_missing=0.3, name="rates")],
        cv=data["cv"], groups=data["groups"], dataset=name, n_jobs=n_jobs, random_state=0, verbose=1,
    )


def report(results: pd.DataFrame, command: str, seconds: float) -> list[str]:
    lines = [
        "# Missing-modality indicators in front of logistic regression",
        "",
        *environment_lines(command, seconds),
        "",
        "DiffusionImputer (one indicator per modality) and SimpleImputer (one per feature with "
        "missing values in fit), each without and with `add_indicator=True`, then StandardScaler "
        "and LogisticRegression; trained with 30% of modality entries missing, tested at each "
        "missing rate; the study's folds and masks.",
    ]
    gains = paired_gains(results, SUFFIX, columns="setting")
    gains.columns = [f"{metric} gain, {setting}" for metric, setting in gains.columns]
    lines += [
        "",
        "## Paired gain of the indicators",
        "",
        "With minus without, mean over folds; in brackets, the folds where the indicators "
        "scored higher and lower (the rest tie). UA: balanced accuracy; WA: accuracy.",
        "",
        to_markdown(gains.reset_index()),
    ]
    table = summarize(results)
    for dataset in results["dataset"].unique():
        rows = table[(table["dataset"] == dataset) & (table["metric"] == "UA")]
        lines += [
            "", f"## {dataset}: balanced accuracy", "",
            to_markdown(pivot_summary(rows, rows="method", columns="setting")),
        ]
    return lines + [""]


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--datasets", nargs="+", default=["mosi", "deap", "wesad", "mfeat"], choices=sorted(DATASETS))
    parser.add_argument("--n-jobs", type=int, default=1)
    args = parser.parse_args(argv)
    start = time.perf_counter()
    results = pd.concat([run(name, args.n_jobs) for name in args.datasets], ignore_index=True)
    seconds = time.perf_counter() - start
    RESULTS.mkdir(parents=True, exist_ok=True)
    results.to_csv(RESULTS / "folds.csv", index=False)
    write_report(RESULTS / "indicator.md", report(results, command_line(__file__, argv), seconds))
    return 0


if __name__ == "__main__":
    sys.exit(main())
