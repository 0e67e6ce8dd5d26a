"""Early stopping with few labels: ``early_stopping=True`` against ``"auto"``.

Early stopping validates on a split of the *labelled* rows. With 1% of
mfeat's 1,600 training rows labelled that split holds one or two rows, and
the epoch it picks is noise. ``"auto"`` counts the labelled rows and leaves
early stopping off below 1,000 of them. This compares the two on the bundled
mfeat data (5 stratified folds, 30% of modality entries missing, 1% and 5% of
the training labels kept), for a supervised and a semi-supervised estimator,
with the same folds and masks for all.

Usage::

    python benchmarks/bench_early_stopping.py --n-jobs 2
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))

from run_benchmarks import command_line, environment_lines, write_report  # noqa: E402

from skmmer import CrossModalMatchingClassifier, MaskedFusionClassifier  # noqa: E402
from skmmer.datasets import load_mfeat  # noqa: E402
from skmmer.masking import simulate_missing  # noqa: E402
from skmmer.model_selection import LabelFractions, pivot_summary, run_study, summarize, to_markdown  # noqa: E402

RESULTS = Path(__file__).parent / "results" / "engine"


def estimators(modalities) -> dict[str, object]:
    common = dict(modalities=modalities, modality_dropout=0.3, random_state=0)
    methods = {}
    for setting in (True, "auto"):
        methods[f"MaskedFusionClassifier, early_stopping={setting!r}"] = MaskedFusionClassifier(
            early_stopping=setting, **common
        )
        methods[f"CrossModalMatchingClassifier, early_stopping={setting!r}"] = (
            CrossModalMatchingClassifier(early_stopping=setting, **common)
        )
    return methods


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n-jobs", type=int, default=1)
    args = parser.parse_args(argv)
    X, y, modalities = load_mfeat(return_X_y=True)
    X = simulate_missing(X, modalities, rate=0.3, random_state=0)
    start = time.perf_counter()
    results = run_study(
        estimators(modalities), X, y, modalities, protocols=[LabelFractions((0.01, 0.05), name="labels")],
        cv=5, dataset="mfeat", n_jobs=args.n_jobs, random_state=0, verbose=1,
    )
    seconds = time.perf_counter() - start
    ua = summarize(results)
    ua = ua[ua["metric"] == "UA"]
    command = command_line(__file__, argv)
    lines = [
        "# Early stopping with few labels (mfeat, 30% of modality entries missing)",
        "",
        *environment_lines(command, seconds),
        "",
        "Balanced accuracy, mean ± std over 5 stratified folds; columns are the fraction of "
        "training labels kept (1% is 16 labelled rows for ten classes).",
        "",
        to_markdown(pivot_summary(ua, rows="method", columns="train_setting")),
        "",
    ]
    write_report(RESULTS / "early_stopping.md", lines)
    return 0


if __name__ == "__main__":
    sys.exit(main())
