"""Benchmark of MultiViewDGMClassifier: scarce labels, missing modalities, speed.

Usage::

    python benchmarks/bench_dgm.py [--data-home ../shared/data] [--quick] [--parts semi,full,conditions]

What it measures (one run, one split, the same masks for every method):

* ``semi``: MOSI (fixed speaker-independent split) and DEAP valence (a
  grouped split: 8 of 32 subjects held out, features z-scored per subject).
  5% and 20% of the training labels kept (stratified), the rest set to -1;
  30% of the modality entries removed at random in train and in test with
  :func:`skmmer.masking.simulate_missing` (``rate=0.3``). Balanced accuracy
  of MultiViewDGMClassifier (both ``missing_view_inference`` variants)
  against mean-impute + standardize + LogisticRegression and
  HistGradientBoosting (native NaN handling) on the labelled rows only,
  SelfTrainingClassifier(LogisticRegression) and LabelSpreading (kNN) on
  the mean-imputed standardized X, and MaskedFusionClassifier (labelled
  rows only).
* ``full``: the same data and masks, every training label kept: DGM vs
  MaskedFusionClassifier.
* ``conditions``: MOSI trained on the complete, fully labelled training
  split; tested under the six MMIN conditions (one or two of the three
  modalities kept) and on complete rows: DGM vs MaskedFusionClassifier.

Results go to ``benchmarks/results/dgm/`` (``results.csv`` and
``results.md``). The data stay where they are (research-only corpora).
"""

from __future__ import annotations

import argparse
import os
import platform
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd
import torch
from sklearn.ensemble import HistGradientBoostingClassifier
from sklearn.impute import SimpleImputer
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import balanced_accuracy_score
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.semi_supervised import LabelSpreading, SelfTrainingClassifier

sys.path.insert(0, str(Path(__file__).parent))

from _config import zscore_within_groups  # noqa: E402

from skmmer.datasets import load_deap, load_mosi  # noqa: E402
from skmmer.fusion import MaskedFusionClassifier  # noqa: E402
from skmmer.generative import MultiViewDGMClassifier  # noqa: E402
from skmmer.masking import apply_condition, missing_conditions, simulate_missing  # noqa: E402

RESULTS = Path(__file__).resolve().parent / "results" / "dgm"
SEED = 0


# --------------------------------------------------------------------------- #
# Data
# --------------------------------------------------------------------------- #
def load_datasets(data_home):
    mosi = load_mosi(data_home)
    deap = load_deap(data_home, target="valence")
    X_deap = zscore_within_groups(deap.X, deap.groups)
    test_subjects = np.random.RandomState(SEED).permutation(np.unique(deap.groups))[:8]
    is_test = np.isin(deap.groups, test_subjects)
    return {
        "MOSI": (mosi.X, mosi.y, mosi.modalities, mosi.split["train"], mosi.split["test"]),
        "DEAP": (X_deap, deap.y, deap.modalities, np.flatnonzero(~is_test), np.flatnonzero(is_test)),
    }


def keep_labels(y: np.ndarray, fraction: float, seed: int) -> np.ndarray:
    """Keep a stratified ``fraction`` of the labels (at least 2 per class); the rest -1."""
    rng = np.random.RandomState(seed)
    y_semi = np.full_like(y, -1)
    for c in np.unique(y):
        rows = np.flatnonzero(y == c)
        n_keep = max(2, round(fraction * len(rows)))
        y_semi[rng.choice(rows, n_keep, replace=False)] = c
    return y_semi


# --------------------------------------------------------------------------- #
# Methods
# --------------------------------------------------------------------------- #
def dgm(modalities, inference, quick):
    # early_stopping=True: DEAP's 960 training rows fall just under the "auto" threshold (1000).
    params = dict(missing_view_inference=inference, early_stopping=True, random_state=SEED,
                  device="cpu")
    if quick:
        params["max_epochs"] = 20
    return MultiViewDGMClassifier(modalities, **params)


def fusion(modalities, quick):
    params = dict(random_state=SEED, device="cpu")
    if quick:
        params["max_epochs"] = 20
    return MaskedFusionClassifier(modalities, **params)


def mean_impute_lr():
    return make_pipeline(SimpleImputer(), StandardScaler(), LogisticRegression(max_iter=2000))


def run_method(name, estimator, X_tr, y_fit, X_te, y_te, *, labelled_only, preprocess=None):
    """Fit (timed), predict (timed), balanced accuracy."""
    X_fit, y_used = X_tr, y_fit
    if labelled_only:
        rows = y_fit >= 0
        X_fit, y_used = X_tr[rows], y_fit[rows]
    X_eval = X_te
    if preprocess is not None:
        pre = preprocess.fit(X_tr)  # unsupervised: every training row
        X_fit, X_eval = pre.transform(X_fit), pre.transform(X_te)
    start, cpu = time.perf_counter(), time.process_time()
    estimator.fit(X_fit, y_used)
    fit_s, fit_cpu_s = time.perf_counter() - start, time.process_time() - cpu
    start = time.perf_counter()
    pred = estimator.predict(X_eval)
    predict_s = time.perf_counter() - start
    row = {
        "method": name,
        "balanced_accuracy": balanced_accuracy_score(y_te, pred),
        "fit_s": fit_s,
        "fit_cpu_s": fit_cpu_s,
        "predict_s": predict_s,
    }
    if hasattr(estimator, "modality_weights_"):
        row["modality_weights"] = " ".join(f"{w:.3f}" for w in estimator.modality_weights_)
        row["epochs"] = estimator.n_epochs_
    return row, estimator


def semi_supervised_rows(datasets, fractions, quick, with_baselines=True):
    rows = []
    for dname, (X, y, modalities, train, test) in datasets.items():
        X_tr = simulate_missing(X[train], modalities, rate=0.3, random_state=SEED)
        X_te = simulate_missing(X[test], modalities, rate=0.3, random_state=SEED + 1)
        y_tr, y_te = y[train], y[test]
        for fraction in fractions:
            y_fit = y_tr if fraction == 1.0 else keep_labels(y_tr, fraction, SEED)
            setting = dict(dataset=dname, labels=f"{fraction:.0%}", n_labelled=int((y_fit >= 0).sum()))
            methods = [
                ("DGM (generate)", dgm(modalities, "generate", quick), False, None),
                ("DGM (heads)", dgm(modalities, "heads", quick), False, None),
            ]
            if fraction < 1.0:  # ablation: the same model without the unlabelled rows
                methods.append(("DGM (generate, labelled rows only)",
                                dgm(modalities, "generate", quick), True, None))
            methods += [
                ("MaskedFusion (labelled rows)", fusion(modalities, quick), True, None),
            ]
            if with_baselines and fraction < 1.0:
                std = make_pipeline(SimpleImputer(), StandardScaler())
                methods += [
                    ("mean-impute + LogReg (labelled rows)", mean_impute_lr(), True, None),
                    ("HistGradientBoosting (labelled rows)",
                     HistGradientBoostingClassifier(random_state=SEED), True, None),
                    ("SelfTraining(LogReg)",
                     SelfTrainingClassifier(LogisticRegression(max_iter=2000)), False, std),
                    ("LabelSpreading (kNN)",
                     LabelSpreading(kernel="knn", n_neighbors=10, max_iter=100), False,
                     make_pipeline(SimpleImputer(), StandardScaler())),
                ]
            for name, est, labelled_only, pre in methods:
                row, _ = run_method(name, est, X_tr, y_fit, X_te, y_te,
                                    labelled_only=labelled_only, preprocess=pre)
                rows.append({**setting, **row})
                print(rows[-1], flush=True)
    return rows


def condition_rows(datasets, quick):
    X, y, modalities, train, test = datasets["MOSI"]
    rows = []
    for name, est in [
        ("DGM (generate)", dgm(modalities, "generate", quick)),
        ("DGM (heads)", dgm(modalities, "heads", quick)),
        ("MaskedFusion", fusion(modalities, quick)),
    ]:
        start, cpu = time.perf_counter(), time.process_time()
        est.fit(X[train], y[train])
        fit_s, fit_cpu_s = time.perf_counter() - start, time.process_time() - cpu
        conditions = missing_conditions(modalities, include_full=True)
        for kept in conditions:
            X_te = apply_condition(X[test], modalities, kept)
            start = time.perf_counter()
            pred = est.predict(X_te)
            rows.append({
                "dataset": "MOSI", "labels": "100%", "condition": "+".join(kept), "method": name,
                "balanced_accuracy": balanced_accuracy_score(y[test], pred),
                "fit_s": fit_s, "fit_cpu_s": fit_cpu_s, "predict_s": time.perf_counter() - start,
            })
            print(rows[-1], flush=True)
    return rows


# --------------------------------------------------------------------------- #
# Report
# --------------------------------------------------------------------------- #
def to_markdown(df: pd.DataFrame, index: bool = True, digits: int = 3) -> str:
    """A GitHub table (no dependency on ``tabulate``)."""
    df = df.reset_index() if index else df
    if isinstance(df.columns, pd.MultiIndex):
        df.columns = [" ".join(str(c) for c in col if str(c)) for col in df.columns]

    def cell(v):
        if isinstance(v, float):
            return "" if np.isnan(v) else f"{v:.{digits}f}"
        return str(v)

    lines = ["| " + " | ".join(str(c) for c in df.columns) + " |",
             "|" + "|".join("---" for _ in df.columns) + "|"]
    lines += ["| " + " | ".join(cell(v) for v in row) + " |" for row in df.itertuples(index=False)]
    return "\n".join(lines)


def markdown(frames: dict[str, pd.DataFrame], command: str, elapsed: float) -> str:
    lines = [
        "# MultiViewDGMClassifier benchmark",
        "",
        f"Command: `{command}`",
        "",
        f"Machine: {platform.platform()}, torch {torch.__version__}, "
        f"{torch.get_num_threads()} torch thread(s), {os.cpu_count()} visible CPUs; "
        f"total wall time {elapsed:.0f} s. One run, seed {SEED}; same split and masks for "
        "every method. Metric: balanced accuracy on the test rows.",
        "",
    ]
    if "semi" in frames:
        df = frames["semi"]
        lines += [
            "## Scarce labels, 30% of modality entries missing (train and test)",
            "",
            "MOSI: fixed speaker-independent split. DEAP valence: 8 of 32 subjects held out, "
            "features z-scored per subject. Labels kept: stratified 5% / 20% of the training rows.",
            "",
        ]
        table = df.pivot_table(index="method", columns=["dataset", "labels"],
                               values="balanced_accuracy", sort=False)
        lines += [to_markdown(table), ""]
        timing = df[df.method.str.startswith("DGM")][
            ["dataset", "labels", "method", "fit_s", "fit_cpu_s", "predict_s", "epochs",
             "modality_weights"]
        ].astype({"epochs": "Int64"})
        lines += ["Fit / predict time (s, wall and CPU of this process) and learned modality "
                  "weights of the DGM:", "", to_markdown(timing, index=False, digits=2), ""]
    if "full" in frames:
        df = frames["full"]
        table = df.pivot_table(index="method", columns="dataset", values="balanced_accuracy",
                               sort=False)
        lines += ["## Fully labelled, 30% missing (train and test)", "",
                  to_markdown(table), ""]
    if "conditions" in frames:
        df = frames["conditions"]
        table = df.pivot_table(index="condition", columns="method", values="balanced_accuracy",
                               sort=False)
        six = df[df.condition.str.count(r"\+") < 2].groupby("method", sort=False)
        full = df[df.condition.str.count(r"\+") == 2].set_index("method").balanced_accuracy
        summary = [
            f"{m}: mean {v:.3f} (drop from complete test rows {full[m] - v:.3f}), "
            f"fit {df[df.method == m].fit_s.iloc[0]:.0f} s wall / "
            f"{df[df.method == m].fit_cpu_s.iloc[0]:.0f} s CPU"
            for m, v in six.balanced_accuracy.mean().items()
        ]
        lines += [
            "## MOSI, six missing-modality conditions (trained complete, fully labelled)", "",
            to_markdown(table), "",
            "Over the six conditions: " + "; ".join(summary) + ".",
            "",
        ]
    return "\n".join(lines)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data-home", default="../shared/data")
    parser.add_argument("--quick", action="store_true", help="20 epochs per network")
    parser.add_argument("--parts", default="semi,full,conditions")
    parser.add_argument("--report-only", action="store_true",
                        help="rewrite the markdown from the saved csv")
    parser.add_argument("--threads", type=int, default=1,
                        help="torch threads (1 is fastest for these small networks on a busy host)")
    args = parser.parse_args(argv)
    torch.set_num_threads(args.threads)
    command = " ".join(["python benchmarks/bench_dgm.py",
                        *(argv if argv is not None else sys.argv[1:])])
    parts = args.parts.split(",")
    suffix = "_quick" if args.quick else ""
    if args.report_only:
        saved = pd.read_csv(RESULTS / f"results{suffix}.csv")
        frames = {k: g.drop(columns="part") for k, g in saved.groupby("part", sort=False)}
        command = (RESULTS / f"results{suffix}.md").read_text().split("`")[1]
        (RESULTS / f"results{suffix}.md").write_text(markdown(frames, command, float("nan")))
        return
    start = time.perf_counter()
    datasets = load_datasets(args.data_home)
    frames = {}
    if "semi" in parts:
        frames["semi"] = pd.DataFrame(semi_supervised_rows(datasets, [0.05, 0.20], args.quick))
    if "full" in parts:
        frames["full"] = pd.DataFrame(semi_supervised_rows(datasets, [1.0], args.quick))
    if "conditions" in parts:
        frames["conditions"] = pd.DataFrame(condition_rows(datasets, args.quick))
    elapsed = time.perf_counter() - start
    RESULTS.mkdir(parents=True, exist_ok=True)
    pd.concat([df.assign(part=k) for k, df in frames.items()]).to_csv(
        RESULTS / f"results{suffix}.csv", index=False)
    (RESULTS / f"results{suffix}.md").write_text(markdown(frames, command, elapsed))
    print(f"done in {elapsed:.0f} s -> {RESULTS}")


if __name__ == "__main__":
    main()
