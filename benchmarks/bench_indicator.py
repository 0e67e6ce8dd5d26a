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

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))

from _config import baseline_estimators, skmmer_estimators  # noqa: E402
from _paired import PairedBenchmark  # noqa: E402

from skmmer.model_selection import MissingRates  # noqa: E402

#: Study name of each pipeline and the parameter that switches its indicators on.
PIPELINES = {
    "DiffusionImputer + LogisticRegression": "diffusionimputer__add_indicator",
    "mean impute + LogisticRegression": "simpleimputer__add_indicator",
}


def methods(modalities) -> dict[str, tuple[object, str]]:
    """The two imputation pipelines of the study, as it runs them."""
    study = {
        **skmmer_estimators(modalities, semi_supervised=False, quick=False),
        **baseline_estimators(semi_supervised=False, quick=False),
    }
    return {name: (study[name], parameter) for name, parameter in PIPELINES.items()}


def protocol(data):
    return MissingRates(train_missing=0.3, name="rates"), data["X"]


BENCHMARK = PairedBenchmark(
    title="Missing-modality indicators in front of logistic regression",
    description=(
        "DiffusionImputer (one indicator per modality) and SimpleImputer (one per feature with "
        "missing values in fit), each without and with `add_indicator=True`, then StandardScaler "
        "and LogisticRegression; trained with 30% of modality entries missing, tested at each "
        "missing rate; the study's folds and masks."
    ),
    gain_caption="the indicators",
    suffix=", with indicators",
    value=True,
    methods=methods,
    protocol=protocol,
    columns="setting",
    datasets=("mosi", "deap", "wesad", "mfeat"),
    output=Path(__file__).parent / "results" / "indicator" / "indicator.md",
    metrics=(("UA", "balanced accuracy"),),
)


def main(argv=None) -> int:
    return BENCHMARK.main(argv, __file__, __doc__)


if __name__ == "__main__":
    sys.exit(main())
