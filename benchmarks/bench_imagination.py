"""MMIN protocol for the imagination methods: train with simulated missingness, test per condition.

Methods (same split, same test masks, one run each):

* ``InvariantImagination`` (IF-MMIN) and ``ImaginationClassifier`` (MMIN), which
  simulate MMIN's six missing patterns on the training rows themselves;
* ``MaskedFusionClassifier(modality_dropout="subsets")`` (the same patterns);
* ``HistGradientBoostingClassifier`` trained on the training rows stacked with
  their copies under every test condition (the same patterns, made explicit),
  missing blocks left as NaN.

Every method is tested on the full test rows and on every fixed condition of
:func:`skmmer.masking.missing_conditions` (for three modalities, MMIN's six);
balanced accuracy and accuracy per condition, and their mean over the missing
conditions. Also measured: how close the imagined embedding is to the
teacher's full-modality embedding (against the zero-filled embedding), the
fit times, and the cost of predicting all conditions at once
(``predict_proba_conditions``) against one ``predict_proba`` per condition.

Usage::

    python benchmarks/bench_imagination.py --quick              # MOSI only
    python benchmarks/bench_imagination.py                       # + WESAD, DEAP, semi-supervised
    python benchmarks/bench_imagination.py --seeds 0 1 2 --n-jobs 2   # every method with 3 seeds
    python benchmarks/bench_imagination.py --datasets mosi_test_videos --seeds 0 1 2 3 4 --tag mosi_test_videos

``mosi_test_videos`` cross-validates on MOSI's test videos alone (5 video-grouped
stratified folds, the study's folds of that variant), whose features carry none
of the label signal that the release's extractors left in the training split's
features (``benchmarks/results/datasets/mosi_features.md``); a figure is then
the mean over the folds of each seed.

With several seeds every method is fitted once per seed on the same split
and tested on the same masks; the tables give the mean over seeds and its
standard deviation (the split is fixed, so the spread is that of training,
not of the data).

Data: ``--data-home`` (default ``../shared/data``), research-only corpora
that never enter the repository; results go to
``benchmarks/results/imagination/``.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd
import torch
from joblib import Parallel, delayed
from sklearn.ensemble import HistGradientBoostingClassifier
from sklearn.metrics import accuracy_score, balanced_accuracy_score

sys.path.insert(0, str(Path(__file__).parent))

from _config import VARIANTS, zscore_within_groups  # noqa: E402

from skmmer.datasets import load_deap, load_mosi, load_wesad  # noqa: E402
from skmmer.fusion import MaskedFusionClassifier  # noqa: E402
from skmmer.imagination import ImaginationClassifier, InvariantImagination  # noqa: E402
from skmmer.masking import apply_condition, missing_conditions  # noqa: E402
from skmmer.model_selection import keep_label_fraction, make_splitter  # noqa: E402

RESULTS = Path(__file__).resolve().parent / "results" / "imagination"
SEED = 0  # the seed of a single-seed run (the label subset of the semi-supervised part, always)


def _name(condition, all_names) -> str:
    return "full" if tuple(condition) == tuple(all_names) else "+".join(condition)


def _methods(modalities, seed: int):
    common = dict(modalities=modalities, random_state=seed, device="cpu")
    return {
        "InvariantImagination": InvariantImagination(**common),
        "ImaginationClassifier": ImaginationClassifier(**common),
        "MaskedFusionClassifier": MaskedFusionClassifier(modality_dropout="subsets", **common),
        "HistGradientBoosting": "hgb",
    }


def _hgb_fit(X, y, modalities, seed: int):
    """HGB on the training rows plus their copies under every condition (same patterns)."""
    names = list(modalities)
    blocks = [X] + [apply_condition(X, modalities, c) for c in missing_conditions(names)]
    labelled = y != -1
    X_aug = np.vstack([b[labelled] for b in blocks])
    y_aug = np.concatenate([y[labelled]] * len(blocks))
    return HistGradientBoostingClassifier(random_state=seed).fit(X_aug, y_aug)


def evaluate(dataset: str, X_train, y_train, X_test, y_test, modalities, *, seed: int = SEED, methods=None):
    """One fit of every method on one split with one seed; returns (rows, extras)."""
    names = list(modalities)
    conditions = missing_conditions(names, include_full=True)
    tests = {_name(c, names): apply_condition(X_test, modalities, c) for c in conditions}
    rows, extras = [], {}
    for method, est in _methods(modalities, seed).items():
        if methods is not None and method not in methods:
            continue
        start = time.perf_counter()
        model = _hgb_fit(X_train, y_train, modalities, seed) if isinstance(est, str) else est.fit(X_train, y_train)
        fit_s = time.perf_counter() - start
        for condition, X_cond in tests.items():
            pred = model.predict(X_cond)
            rows.append(dict(
                dataset=dataset, method=method, seed=seed, condition=condition,
                balanced_accuracy=balanced_accuracy_score(y_test, pred),
                accuracy=accuracy_score(y_test, pred), fit_s=fit_s,
            ))
        print(f"  {dataset} {method} seed {seed}: fit {fit_s:.1f} s", file=sys.stderr, flush=True)
        if hasattr(model, "predict_proba_conditions"):
            extras[method] = _imagination_extras(model, X_test, tests, conditions, modalities)
    return rows, extras


def _imagination_extras(model, X_test, tests, conditions, modalities):
    """Distance to the teacher's full embedding, and the cost of all-condition prediction."""
    names = list(modalities)
    n, n_mod = X_test.shape[0], len(names)
    target = model.teacher_embedding(X_test).reshape(n, n_mod, -1)
    scale = np.mean(np.sum(target**2, axis=(1, 2)))
    imagined, zero_filled, imagined_missing, zero_missing = [], [], [], []
    for c in conditions[1:]:
        X_cond = tests[_name(c, names)]
        missing = np.array([m not in c for m in names])
        err_im = (model.imagine(X_cond).reshape(target.shape) - target) ** 2
        err_zf = (model.teacher_embedding(X_cond).reshape(target.shape) - target) ** 2
        imagined.append(err_im.sum(axis=(1, 2)).mean() / scale)
        zero_filled.append(err_zf.sum(axis=(1, 2)).mean() / scale)
        imagined_missing.append(err_im[:, missing].sum(axis=(1, 2)).mean() / scale)
        zero_missing.append(err_zf[:, missing].sum(axis=(1, 2)).mean() / scale)
    start = time.perf_counter()
    for _ in range(5):
        for c in conditions:
            model.predict_proba(apply_condition(X_test, modalities, c))
    per_condition_s = (time.perf_counter() - start) / 5
    start = time.perf_counter()
    for _ in range(5):
        model.predict_proba_conditions(X_test, conditions)
    batched_s = (time.perf_counter() - start) / 5
    return dict(
        imagined_rel_sq_error=float(np.mean(imagined)),
        zero_filled_rel_sq_error=float(np.mean(zero_filled)),
        imagined_missing_slots=float(np.mean(imagined_missing)),
        zero_filled_missing_slots=float(np.mean(zero_missing)),
        predict_each_condition_ms=1000 * per_condition_s,
        predict_proba_conditions_ms=1000 * batched_s,
    )


def summarize(rows: pd.DataFrame) -> pd.DataFrame:
    """Per method: the metrics on the full input and their mean over the missing conditions.

    Each figure is first computed per seed, then averaged over the seeds;
    with several seeds ``bacc_mean_missing_sd`` is the standard deviation
    of the per-seed means.
    """
    keys = ["dataset", "method", "seed"]
    missing = rows[rows.condition != "full"]
    # Folds of a cross-validated dataset are averaged within each seed.
    full = rows[rows.condition == "full"].groupby(keys, sort=False)[["balanced_accuracy", "accuracy", "fit_s"]].mean()
    per_seed = missing.groupby(keys, sort=False)[["balanced_accuracy", "accuracy"]].mean()
    per_seed.columns = ["bacc_mean_missing", "acc_mean_missing"]
    per_seed["bacc_full"] = full["balanced_accuracy"]
    per_seed["acc_full"] = full["accuracy"]
    per_seed["fit_s"] = full["fit_s"]
    grouped = per_seed.groupby(["dataset", "method"], sort=False)
    table = grouped.mean()
    if rows["seed"].nunique() > 1:
        table.insert(1, "bacc_mean_missing_sd", grouped["bacc_mean_missing"].std(ddof=1))
    return table.reset_index()


def mosi(data_home):
    """The release's speaker-independent split."""
    data = load_mosi(data_home)
    train, test = data.split["train"], data.split["test"]
    return data.X[train], data.y[train], data.X[test], data.y[test], data.modalities


def wesad_splits(data_home, n_test_subjects=5):
    """A fixed subject-level split: the last ``n_test_subjects`` subjects (sorted ids) are test."""
    data = load_wesad(data_home)
    subjects = sorted(np.unique(data.groups), key=lambda s: int(str(s).lstrip("S")))
    test_subjects = set(subjects[-n_test_subjects:])
    test = np.isin(data.groups, list(test_subjects))
    return data.X[~test], data.y[~test], data.X[test], data.y[test], data.modalities


def deap_splits(data_home, n_test_subjects=8):
    """Valence; features z-scored within each subject (label-free, the usual DEAP practice);
    a fixed subject split: the last ``n_test_subjects`` subjects are test."""
    data = load_deap(data_home, target="valence")
    X = zscore_within_groups(data.X, data.groups)
    test = data.groups >= data.groups.max() + 1 - n_test_subjects
    return X[~test], data.y[~test], X[test], data.y[test], data.modalities


def semi_supervised_rows(X_train, y_train, X_test, y_test, modalities, fraction=0.2, seed=SEED):
    """IF-MMIN and MMIN with 20 % of the labels, with and without the unlabelled rows.

    The kept labels are the same for every seed; ``seed`` seeds the fits.
    """
    y_partial = keep_label_fraction(y_train, fraction, random_state=SEED)
    names = list(modalities)
    conditions = missing_conditions(names, include_full=True)
    rows = []
    for cls in (InvariantImagination, ImaginationClassifier):
        for semi in (True, False):
            est = cls(
                modalities=modalities, semi_supervised=semi, early_stopping=True,
                random_state=seed, device="cpu",
            )
            start = time.perf_counter()
            est.fit(X_train, y_partial)
            fit_s = time.perf_counter() - start
            probas = est.predict_proba_conditions(X_test, conditions)
            for c, p in probas.items():
                pred = est.classes_[p.argmax(axis=1)]
                rows.append(dict(
                    dataset=f"mosi_{int(fraction * 100)}pct_labels",
                    method=f"{cls.__name__}(semi_supervised={semi})", seed=seed,
                    condition=_name(c, names),
                    balanced_accuracy=balanced_accuracy_score(y_test, pred),
                    accuracy=accuracy_score(y_test, pred), fit_s=fit_s,
                ))
            print(f"  semi {cls.__name__} {semi} seed {seed}: fit {fit_s:.1f} s", file=sys.stderr, flush=True)
    return rows


def _markdown(df: pd.DataFrame) -> str:
    """A pipe table (no tabulate dependency); floats with three decimals."""
    def cell(v):
        return f"{v:.3f}" if isinstance(v, float) else str(v)

    header = "| " + " | ".join(map(str, df.columns)) + " |"
    rule = "|" + "---|" * len(df.columns)
    body = ["| " + " | ".join(cell(v) for v in row) + " |" for row in df.itertuples(index=False)]
    return "\n".join([header, rule, *body])


def mosi_test_video_folds(data_home):
    """MOSI's test videos alone, in the study's video-grouped stratified folds of that variant."""
    data = VARIANTS["mosi_test_videos"](data_home, quick=False)
    X, y = data["X"], data["y"]
    splitter = make_splitter(data["cv"], y=y, groups=data["groups"])
    return [
        (X[train], y[train], X[test], y[test], data["modalities"])
        for train, test in splitter.split(X, y, data["groups"])
    ]


SPLITS = {"mosi": mosi, "wesad": wesad_splits, "deap": deap_splits}
#: Cross-validated datasets: every fold is fitted and tested, per seed.
FOLDS = {"mosi_test_videos": mosi_test_video_folds}


def _folds(dataset: str, data_home: str) -> list[tuple]:
    return FOLDS[dataset](data_home) if dataset in FOLDS else [SPLITS[dataset](data_home)]


def _task(kind: str, dataset: str, data_home: str, seed: int, threads: int):
    """One (dataset, seed) unit of work, run in its own process by joblib."""
    torch.set_num_threads(threads)
    if kind == "semi":
        return semi_supervised_rows(*SPLITS[dataset](data_home), seed=seed), {}
    rows, extras = [], {}
    for fold, split in enumerate(_folds(dataset, data_home)):
        fold_rows, fold_extras = evaluate(dataset, *split, seed=seed)
        rows += [dict(row, fold=fold) for row in fold_rows]
        extras.update({(dataset, method, seed, fold): values for method, values in fold_extras.items()})
    return rows, extras


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data-home", default=str(Path(__file__).resolve().parents[2] / "shared" / "data"))
    parser.add_argument("--quick", action="store_true", help="MOSI only, no semi-supervised study")
    parser.add_argument(
        "--datasets", nargs="+", choices=[*SPLITS, *FOLDS],
        help="default: mosi wesad deap (mosi with --quick); the semi-supervised study runs only "
        "when mosi is among them and --quick is not given",
    )
    parser.add_argument("--tag", default="", help="suffix of the output files (results_<tag>.md, ...)")
    parser.add_argument("--out", default=str(RESULTS))
    parser.add_argument("--seeds", type=int, nargs="+", default=[SEED],
                        help="fit every method once per seed (same split and masks); default: 0")
    parser.add_argument("--n-jobs", type=int, default=1, help="(dataset, seed) units fitted at once")
    parser.add_argument(
        "--threads", type=int, default=1,
        help="torch intra-op threads (default 1: these networks are tiny, and on a shared "
        "2-core machine 2 threads were 5-30x slower per step)",
    )
    args = parser.parse_args(argv)
    torch.set_num_threads(args.threads)
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    command = "python benchmarks/bench_imagination.py" + (" --quick" if args.quick else "")
    if args.datasets:
        command += " --datasets " + " ".join(args.datasets)
    if args.seeds != [SEED]:
        command += " --seeds " + " ".join(map(str, args.seeds))
    if args.n_jobs != 1:
        command += f" --n-jobs {args.n_jobs}"
    if args.tag:
        command += f" --tag {args.tag}"
    command += f" (--threads {args.threads})"

    datasets = args.datasets or (["mosi"] if args.quick else ["mosi", "wesad", "deap"])
    tasks = [("eval", d, s) for d in datasets for s in args.seeds]
    if not args.quick and "mosi" in datasets:
        tasks += [("semi", "mosi", s) for s in args.seeds]
    start = time.perf_counter()
    results = Parallel(n_jobs=args.n_jobs)(
        delayed(_task)(kind, dataset, args.data_home, seed, args.threads) for kind, dataset, seed in tasks
    )
    minutes = (time.perf_counter() - start) / 60
    eval_rows = [row for (kind, *_), (rows, _) in zip(tasks, results) if kind == "eval" for row in rows]
    semi_rows = [row for (kind, *_), (rows, _) in zip(tasks, results) if kind == "semi" for row in rows]
    extras = {key: values for _, ext in results for key, values in ext.items()}

    per_condition = pd.DataFrame(eval_rows)
    summary = summarize(per_condition)
    extra_table = (
        pd.DataFrame([dict(dataset=d, method=m, seed=s, fold=f, **v) for (d, m, s, f), v in extras.items()])
        .groupby(["dataset", "method"], sort=False).mean().drop(columns=["seed", "fold"]).reset_index()
    )
    semi = None
    if semi_rows:
        semi_rows = pd.DataFrame(semi_rows)
        semi = summarize(semi_rows)
        per_condition = pd.concat([per_condition, semi_rows], ignore_index=True)

    suffix = ("_quick" if args.quick else "") + (f"_{args.tag}" if args.tag else "")
    per_condition.to_csv(out / f"per_condition{suffix}.csv", index=False)
    summary.to_csv(out / f"summary{suffix}.csv", index=False)
    extra_table.to_csv(out / f"imagination{suffix}.csv", index=False)
    def per_condition_tables(metric):  # one table per dataset, mean over the seeds
        return [
            (dataset, part.pivot_table(index="method", columns="condition", values=metric, sort=False)
             .reset_index())
            for dataset, part in per_condition.groupby("dataset", sort=False)
        ]

    lines = [
        "# Imagination methods under the MMIN protocol",
        "",
        f"Command: `{command}` ({minutes:.1f} min; 2 CPU cores, torch CPU; seeds {', '.join(map(str, args.seeds))}: "
        "every method is fitted once per seed on the same split and tested on the same masks; "
        "figures are means over the seeds, `*_sd` their standard deviation across seeds).",
        "",
        "Training rows are complete; every method trains with MMIN's six simulated patterns "
        "(the neural ones draw them per step, HGB sees the training rows stacked with their six "
        "condition copies). Test: the fixed split's test rows (every fold's, for a "
        "cross-validated dataset: figures are then means over the folds), full and under each condition. "
        "`*_mean_missing` = mean over the missing conditions (not the full input).",
        "",
        "## Summary",
        "",
        _markdown(summary),
        "",
        "## Balanced accuracy per condition",
        "",
        *[line for dataset, table in per_condition_tables("balanced_accuracy")
          for line in (f"### {dataset}", "", _markdown(table), "")],
        "## Accuracy per condition",
        "",
        *[line for dataset, table in per_condition_tables("accuracy")
          for line in (f"### {dataset}", "", _markdown(table), "")],
        "## Imagination and prediction cost (test rows)",
        "",
        "`*_rel_sq_error`: mean squared distance to the teacher's embedding of the full test row, "
        "divided by that embedding's mean squared norm, averaged over the missing conditions "
        "(`*_missing_slots`: the same sum restricted to the modalities the condition removed; "
        "zero-filled = the teacher's embedding of the incomplete row); "
        "`predict_*_ms`: all conditions (full included) by one `predict_proba` per condition, "
        "or by one `predict_proba_conditions` call.",
        "",
        _markdown(extra_table),
    ]
    if semi is not None:
        lines += ["", "## Semi-supervised switch (MOSI, 20 % of the training labels)", "", _markdown(semi)]
    (out / f"results{suffix}.md").write_text("\n".join(lines) + "\n")
    print("\n".join(lines))


if __name__ == "__main__":
    main()
