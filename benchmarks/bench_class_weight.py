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

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))

from _config import baseline_estimators, skmmer_estimators  # noqa: E402
from _paired import PairedBenchmark  # noqa: E402

from skmmer.masking import simulate_missing  # noqa: E402
from skmmer.model_selection import LabelFractions  # noqa: E402

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


def methods(modalities) -> dict[str, tuple[object, str]]:
    """The study's methods and the parameter that holds their class weights."""
    study = skmmer_estimators(modalities, semi_supervised=True, quick=False)
    baselines = baseline_estimators(semi_supervised=True, quick=False)
    return {
        **{name: (study[name], "class_weight") for name in SKMMER_METHODS},
        **{name: (baselines[name], parameter) for name, parameter in BASELINES.items()},
    }


def protocol(data):
    X = simulate_missing(data["X"], data["modalities"], rate=0.3, random_state=0)  # the study's mask
    return LabelFractions((0.2, 1.0), name="labels, 30% missing"), X


BENCHMARK = PairedBenchmark(
    title="Class weights on imbalanced corpora (30% of modality entries missing)",
    description=(
        "Each method as in the study and with `class_weight=\"balanced\"` (for the logistic "
        "regression pipeline, on its final step), on the study's folds, mask and kept labels; "
        "mean ± std over folds. Columns: the fraction of training labels kept."
    ),
    gain_caption="`class_weight=\"balanced\"`",
    suffix=", balanced",
    value="balanced",
    methods=methods,
    protocol=protocol,
    columns="train_setting",
    datasets=("wesad", "deap"),
    output=Path(__file__).parent / "results" / "class_weight" / "class_weight.md",
)


def main(argv=None) -> int:
    return BENCHMARK.main(argv, __file__, __doc__)


if __name__ == "__main__":
    sys.exit(main())
