"""Command line of skmmer: ``skmmer demo`` (or ``python -m skmmer demo``).

The demo fits skmmer's estimators and scikit-learn baselines on the bundled
mfeat data (six feature views of handwritten digits), on one stratified
split, with the same simulated missing modalities for every method, and
prints accuracy and balanced accuracy per missing-modality condition.
"""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import numpy as np
import pandas as pd
import torch
from sklearn.ensemble import HistGradientBoostingClassifier
from sklearn.impute import SimpleImputer
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import train_test_split
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler
from threadpoolctl import threadpool_limits

from skmmer import __version__
from skmmer.datasets import load_mfeat
from skmmer.fusion import MaskedFusionClassifier
from skmmer.generative import MultiViewDGMClassifier
from skmmer.imagination import ImaginationClassifier, InvariantImagination
from skmmer.impute import DiffusionImputer
from skmmer.model_selection import MissingRates, run_study, summarize
from skmmer.noise import NoiseRobustClassifier
from skmmer.semi_supervised import CrossModalMatchingClassifier

#: Missing rate of the training rows (whole modalities removed, one kept per row).
TRAIN_MISSING_RATE = 0.3
#: Test conditions: the complete data and three per-row missing rates.
TEST_MISSING_RATES = (0.0, 0.3, 0.5, 0.7)
#: Epoch cap of every torch estimator in the demo (most stop earlier), so the
#: whole table takes under two minutes on two CPU cores.
DEMO_MAX_EPOCHS = 30
#: Epoch cap with ``--quick`` (a smoke test of the wiring, not a comparison).
QUICK_MAX_EPOCHS = 3


def demo_estimators(random_state: int = 0) -> dict[str, object]:
    """skmmer's estimators and the scikit-learn baselines the demo compares.

    New skmmer estimators join the demo by adding an entry here.
    """
    return {
        "MaskedFusionClassifier": MaskedFusionClassifier(
            modality_dropout=TRAIN_MISSING_RATE, random_state=random_state
        ),
        "MultiViewDGMClassifier": MultiViewDGMClassifier(random_state=random_state),
        "CrossModalMatchingClassifier": CrossModalMatchingClassifier(
            modality_dropout=TRAIN_MISSING_RATE, random_state=random_state
        ),
        "InvariantImagination": InvariantImagination(random_state=random_state),
        "ImaginationClassifier": ImaginationClassifier(random_state=random_state),
        "NoiseRobustClassifier": NoiseRobustClassifier(random_state=random_state),
        "DiffusionImputer + LogisticRegression": make_pipeline(
            DiffusionImputer(random_state=random_state), StandardScaler(), LogisticRegression(max_iter=2000)
        ),
        "mean impute + LogisticRegression": make_pipeline(
            SimpleImputer(), StandardScaler(), LogisticRegression(max_iter=2000)
        ),
        "HistGradientBoosting (native NaN)": HistGradientBoostingClassifier(
            max_iter=50, early_stopping=False, random_state=random_state
        ),
    }


def _with_modalities(estimators: dict[str, object], modalities) -> dict[str, object]:
    """Set ``modalities`` on every skmmer estimator, inside pipelines too."""
    for estimator in estimators.values():
        keys = [k for k in estimator.get_params() if k == "modalities" or k.endswith("__modalities")]
        estimator.set_params(**dict.fromkeys(keys, modalities))
    return estimators


def _cap_epochs(estimators: dict[str, object], max_epochs: int) -> None:
    """Set ``max_epochs`` on every torch estimator, inside pipelines too."""
    for estimator in estimators.values():
        keys = [k for k in estimator.get_params() if k.split("__")[-1] == "max_epochs"]
        estimator.set_params(**dict.fromkeys(keys, max_epochs))


def _table(results: pd.DataFrame) -> pd.DataFrame:
    summary = summarize(results)
    summary = summary[summary["metric"].isin(["WA", "UA"])]
    table = summary.pivot_table(index="setting", columns=["method", "metric"], values="mean", sort=False)
    table = table.rename(columns={"WA": "acc", "UA": "bal.acc"}, level=1)
    table.index = [f"test missing rate {s}" for s in table.index]
    return table


def run_demo(quick: bool = False, random_state: int = 0, n_jobs: int | None = -1) -> pd.DataFrame:
    """Run the demo and return its table (rows: conditions; columns: method x metric)."""
    X, y, modalities = load_mfeat(return_X_y=True)
    train, test = train_test_split(
        np.arange(len(y)), test_size=0.3, stratify=y, random_state=random_state
    )
    estimators = _with_modalities(demo_estimators(random_state), modalities)
    _cap_epochs(estimators, QUICK_MAX_EPOCHS if quick else DEMO_MAX_EPOCHS)
    if quick:
        estimators["HistGradientBoosting (native NaN)"].set_params(max_iter=10)
    protocol = MissingRates(rates=list(TEST_MISSING_RATES), train_missing=TRAIN_MISSING_RATE)
    print(
        f"mfeat: {len(y)} rows, {len(modalities)} modalities {list(modalities)}; "
        f"train {len(train)} rows with {TRAIN_MISSING_RATE:.0%} of modality blocks removed, "
        f"test {len(test)} rows at missing rates {list(TEST_MISSING_RATES)}; "
        f"torch estimators capped at {QUICK_MAX_EPOCHS if quick else DEMO_MAX_EPOCHS} epochs.",
        file=sys.stderr,
    )
    results = run_study(
        estimators, X, y, modalities, protocols=[protocol],
        cv={"train": train, "test": test}, dataset="mfeat",
        random_state=random_state, verbose=1, n_jobs=n_jobs,
    )
    return _table(results)


def _integer(text: str) -> int:
    try:
        return int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not an integer") from None


def _n_jobs(text: str) -> int:
    value = _integer(text)
    if value == 0:
        raise argparse.ArgumentTypeError("0 fits at a time: use 1 or more, or -1 for one per core")
    return value


def _seed(text: str) -> int:
    value = _integer(text)
    if not 0 <= value < 2**32:
        raise argparse.ArgumentTypeError(f"{value} is not a seed: use an integer in [0, 2**32)")
    return value


def _program_name() -> str:
    """``skmmer`` when run as the installed command, else ``python -m skmmer``."""
    return "skmmer" if Path(sys.argv[0]).name == "skmmer" else "python -m skmmer"


@contextmanager
def _one_thread_per_fit(n_jobs: int) -> Iterator[None]:
    """Give the fits of ``--n-jobs 1`` one thread, as joblib's workers get with more jobs.

    Tiny networks lose more to OpenMP's thread synchronisation than they
    gain from a second thread, badly so on a machine that is busy.
    """
    if n_jobs != 1:
        yield
        return
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        with threadpool_limits(limits=1):
            yield
    finally:
        torch.set_num_threads(before)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog=_program_name(),
        description="skmmer: scikit-learn estimators for multimodal emotion recognition with "
        "missing modalities and scarce labels.",
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    sub = parser.add_subparsers(dest="command", required=True)
    demo = sub.add_parser("demo", help="compare skmmer and scikit-learn under missing modalities")
    demo.add_argument("--quick", action="store_true", help="tiny training budgets (a smoke test)")
    demo.add_argument("--random-state", type=_seed, default=0, help="seed of the split, masks and fits")
    demo.add_argument(
        "--n-jobs", type=_n_jobs, default=-1,
        help="fits run at a time, each on one torch thread (default -1: one per CPU core)",
    )
    args = parser.parse_args(argv)

    start = time.perf_counter()
    with _one_thread_per_fit(args.n_jobs):
        table = run_demo(quick=args.quick, random_state=args.random_state, n_jobs=args.n_jobs)
    with pd.option_context("display.width", 200, "display.max_columns", 20, "display.precision", 3):
        print(table)
    print(f"\n({time.perf_counter() - start:.0f} s)", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
