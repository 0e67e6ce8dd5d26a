"""Are CMU-MOSI's released features equally informative on its training and test rows?

The Poria et al. utterance features were extracted by networks that were
themselves trained on the release's training split. If those networks saw
the training labels, the training rows' features carry more label signal
than the test rows' can, and every model fitted on the training rows learns
to trust them more than it should. This script measures it with one plain
model (standardize + logistic regression) per modality block:

* **within train**: 5-fold cross-validation inside the training split, folds
  grouped by video (speaker-independent, like the release's own split);
* **within test**: the same inside the test split (a control: same model,
  same protocol, features the extractors never trained on);
* **train -> test**: fitted on the training split, scored on the test split.

Balanced accuracy. Writes ``benchmarks/results/datasets/mosi_features.md``.

Usage::

    python benchmarks/audit_mosi_features.py [--data-home ../shared/data]
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import balanced_accuracy_score
from sklearn.model_selection import GroupKFold, cross_val_score
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

sys.path.insert(0, str(Path(__file__).parent))

from run_benchmarks import command_line, environment_lines, write_report  # noqa: E402

from skmmer._layout import resolve_modalities  # noqa: E402
from skmmer.datasets import load_mosi  # noqa: E402

RESULTS = Path(__file__).parent / "results" / "datasets"
N_FOLDS = 5


def linear_model():
    return make_pipeline(StandardScaler(), LogisticRegression(max_iter=5000))


def within_split(X: np.ndarray, y: np.ndarray, groups: np.ndarray) -> float:
    """Mean balanced accuracy of speaker-grouped cross-validation inside one split."""
    scores = cross_val_score(
        linear_model(), X, y, groups=groups, cv=GroupKFold(N_FOLDS), scoring="balanced_accuracy"
    )
    return float(scores.mean())


def audit(data) -> list[tuple[str, float, float, float]]:
    """(block, within train, within test, train -> test) for every modality and all of them."""
    train, test = data.split["train"], data.split["test"]
    layout = resolve_modalities(data.modalities, data.X.shape[1])
    blocks = {name: layout.columns[m] for m, name in enumerate(layout.names)}
    blocks["all modalities"] = np.arange(data.X.shape[1])
    rows = []
    for name, columns in blocks.items():
        X = data.X[:, columns]
        fitted = linear_model().fit(X[train], data.y[train])
        rows.append((
            name,
            within_split(X[train], data.y[train], data.groups[train]),
            within_split(X[test], data.y[test], data.groups[test]),
            balanced_accuracy_score(data.y[test], fitted.predict(X[test])),
        ))
    return rows


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data-home", default=None)
    args = parser.parse_args(argv)
    start = time.perf_counter()
    rows = audit(load_mosi(args.data_home))
    lines = [
        "# CMU-MOSI: label signal of the released features, training split against test split",
        "",
        *environment_lines(command_line(__file__, argv), time.perf_counter() - start),
        "",
        f"Standardize + LogisticRegression per block; balanced accuracy. Within a split: {N_FOLDS}-fold",
        "cross-validation grouped by video (one speaker per video).",
        "",
        "| block | within train | within test | train -> test |",
        "|---|---|---|---|",
        *(f"| {name} | {a:.3f} | {b:.3f} | {c:.3f} |" for name, a, b, c in rows),
        "",
    ]
    write_report(RESULTS / "mosi_features.md", lines)
    return 0


if __name__ == "__main__":
    sys.exit(main())
