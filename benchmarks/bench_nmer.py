"""NMER's setting: test modalities corrupted by noise of increasing intensity, or missing.

Methods (same split, same test corruption, one run each, seed 0, defaults):

* ``NoiseRobustClassifier`` (NMER; Gaussian training noise), and in the full
  run also ``NoiseRobustClassifier(noise="impulse")``;
* ``InvariantImagination`` (IF-MMIN), ``ImaginationClassifier`` (MMIN);
* ``MaskedFusionClassifier(modality_dropout="subsets")``.

Every method trains with MMIN's six patterns (NMER noises the dropped
modalities, the others zero them). Test rows: the full clean input; for each
of the six conditions of :func:`skmmer.masking.missing_conditions` the
modalities the condition removes are either **missing** (NaN) or **noisy**:
``add_modality_noise`` at step ``t`` of ``T = 100`` (signal fraction
``sqrt(abar_t)`` in the table), on the features standardized with the
training rows' statistics, the same noise for every method. Reported:
balanced accuracy per condition and its mean over the six conditions at
each intensity. Also: NMER's three ``missing_fill`` choices, each fitted
with that fill (it acts in training and at prediction), and fit times.

``--fill-seeds`` runs only the ``missing_fill`` comparison, refitted with
each seed on the same split (so the spread is training noise), and writes
``missing_fill.md``.

Usage::

    python benchmarks/bench_nmer.py --quick     # MOSI, Gaussian test noise
    python benchmarks/bench_nmer.py             # + WESAD, DEAP, impulse noise
    python benchmarks/bench_nmer.py --fill-seeds 0 1 2 3 4

Data: ``--data-home`` (default ``../shared/data``); results go to
``benchmarks/results/nmer/``.
"""

from __future__ import annotations

import argparse
import sys
import time
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import torch
from sklearn.base import clone
from sklearn.metrics import balanced_accuracy_score

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_imagination import _markdown, deap_splits, mosi, wesad_splits  # noqa: E402

from skmmer.fusion import MaskedFusionClassifier  # noqa: E402
from skmmer.imagination import ImaginationClassifier, InvariantImagination  # noqa: E402
from skmmer.masking import apply_condition, missing_conditions  # noqa: E402
from skmmer.noise import NoiseRobustClassifier, add_modality_noise  # noqa: E402
from skmmer.noise._nmer_network import scaled_linear_alpha_bars  # noqa: E402

RESULTS = Path(__file__).resolve().parent / "results" / "nmer"
SEED = 0
STEPS = (10, 20, 40, 60, 80, 100)
T = 100


def _methods(modalities, quick):
    common = dict(modalities=modalities, random_state=SEED, device="cpu")
    methods = {
        "NMER": NoiseRobustClassifier(**common),
        "InvariantImagination": InvariantImagination(**common),
        "ImaginationClassifier": ImaginationClassifier(**common),
        "MaskedFusion(subsets)": MaskedFusionClassifier(modality_dropout="subsets", **common),
    }
    if not quick:
        methods["NMER(impulse)"] = NoiseRobustClassifier(noise="impulse", **common)
    return methods


def _test_sets(X_train, X_test, modalities, noises):
    """name -> (kind, noise, t, condition, X) for every test condition; same for all methods."""
    names = list(modalities)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        loc = np.nan_to_num(np.nanmean(X_train, axis=0))
        scale = np.nan_to_num(np.nanstd(X_train, axis=0), nan=1.0)
    sets = [("clean", "-", 0, "full", X_test)]
    rng = np.random.RandomState(SEED)
    for c in missing_conditions(names):
        cond = "+".join(c)
        removed = [m for m in names if m not in c]
        sets.append(("missing", "-", T, cond, apply_condition(X_test, modalities, c)))
        for noise in noises:
            for t in STEPS:
                X_noisy = add_modality_noise(
                    X_test, modalities, removed, t, noise=noise, n_noise_steps=T,
                    loc=loc, scale=scale, random_state=rng.randint(2**31 - 1),
                )
                sets.append(("noisy", noise, t, cond, X_noisy))
    return sets


def evaluate(dataset, X_train, y_train, X_test, y_test, modalities, *, quick):
    noises = ("gaussian",) if quick else ("gaussian", "impulse")
    tests = _test_sets(X_train, X_test, modalities, noises)
    rows, fills, times = [], [], []
    for method, est in _methods(modalities, quick).items():
        start = time.perf_counter()
        est.fit(X_train, y_train)
        fit_s = time.perf_counter() - start
        times.append(dict(dataset=dataset, method=method, fit_s=fit_s, stage2_epochs=est.n_epochs_))
        print(f"  {dataset} {method}: fit {fit_s:.1f} s", file=sys.stderr, flush=True)
        for kind, noise, t, cond, X in tests:
            rows.append(dict(
                dataset=dataset, method=method, kind=kind, noise=noise, t=t, condition=cond,
                balanced_accuracy=balanced_accuracy_score(y_test, est.predict(X)),
            ))
        if isinstance(est, NoiseRobustClassifier):
            missing = [(cond, X) for kind, _noise, _t, cond, X in tests if kind == "missing"]
            fills += _fill_scores(dataset, method, est, X_train, y_train, missing, y_test)
    return rows, fills, times


FILLS = ("zeros", "noise", "invariant")


def _fill_scores(dataset, method, est, X_train, y_train, missing, y_test, seed=SEED):
    """Balanced accuracy of ``est`` refitted with each ``missing_fill``, per missing condition.

    The fill acts in training and at prediction, so each fill is its own fit;
    ``est`` is used as it is for its own fill when it is already fitted.
    """
    out = []
    for fill in FILLS:
        fitted = fill == est.missing_fill and hasattr(est, "classes_")
        model = est if fitted else clone(est).set_params(missing_fill=fill).fit(X_train, y_train)
        for cond, X in missing:
            out.append(dict(
                dataset=dataset, method=method, missing_fill=fill, seed=seed, condition=cond,
                balanced_accuracy=balanced_accuracy_score(y_test, model.predict(X)),
            ))
    return out


def fill_study(loaders, data_home, seeds) -> pd.DataFrame:
    """Every ``missing_fill`` for NMER with Gaussian and impulse noise, refitted per seed."""
    fills = []
    for dataset, loader in loaders:
        X_train, y_train, X_test, y_test, modalities = loader(data_home)
        missing = [
            ("+".join(c), apply_condition(X_test, modalities, c))
            for c in missing_conditions(list(modalities))
        ]
        for seed in seeds:
            for noise in ("gaussian", "impulse"):
                est = NoiseRobustClassifier(
                    modalities=modalities, noise=noise, random_state=seed, device="cpu"
                )
                method = "NMER" if noise == "gaussian" else "NMER(impulse)"
                fills += _fill_scores(
                    dataset, method, est, X_train, y_train, missing, y_test, seed=seed
                )
                print(f"  {dataset} {method} seed {seed}: done", file=sys.stderr, flush=True)
    return pd.DataFrame(fills)


def fill_table(fills: pd.DataFrame) -> pd.DataFrame:
    """Mean over the missing conditions per seed, then mean (± sd over seeds when several)."""
    per_seed = fills.groupby(
        ["dataset", "method", "missing_fill", "seed"], sort=False
    ).balanced_accuracy.mean()
    grouped = per_seed.groupby(["dataset", "method", "missing_fill"], sort=False)
    mean, sd, n = grouped.mean(), grouped.std(), grouped.size()
    cells = [
        f"{m:.3f}" if k < 2 else f"{m:.3f} ± {s:.3f}" for m, s, k in zip(mean, sd, n)
    ]
    table = pd.Series(cells, index=mean.index).unstack("missing_fill")
    return table[list(FILLS)].reset_index()


def summarize(rows: pd.DataFrame) -> pd.DataFrame:
    """Per dataset, test noise and method: full, missing (mean), and noisy at each t (mean)."""
    out = []
    for (dataset, method), part in rows.groupby(["dataset", "method"], sort=False):
        full = part[part.kind == "clean"].balanced_accuracy.mean()
        missing = part[part.kind == "missing"].balanced_accuracy.mean()
        for noise in [n for n in part.noise.unique() if n != "-"]:
            noisy = part[(part.kind == "noisy") & (part.noise == noise)]
            record = dict(dataset=dataset, test_noise=noise, method=method, full=full)
            record.update({f"t={t}": noisy[noisy.t == t].balanced_accuracy.mean() for t in STEPS})
            record["missing"] = missing
            out.append(record)
    return pd.DataFrame(out)


def nmer_margin(summary: pd.DataFrame) -> pd.DataFrame:
    """NMER minus the best of the three baselines, per column."""
    baselines = ["InvariantImagination", "ImaginationClassifier", "MaskedFusion(subsets)"]
    cols = ["full", *[f"t={t}" for t in STEPS], "missing"]
    out = []
    for (dataset, noise), part in summary.groupby(["dataset", "test_noise"], sort=False):
        part = part.set_index("method")
        best = part.loc[baselines, cols].max()
        for method in [m for m in part.index if m.startswith("NMER")]:
            out.append(dict(dataset=dataset, test_noise=noise, method=f"{method} - best baseline",
                            **(part.loc[method, cols] - best).to_dict()))
    return pd.DataFrame(out)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data-home", default=str(Path(__file__).resolve().parents[2] / "shared" / "data"))
    parser.add_argument("--quick", action="store_true", help="MOSI only, Gaussian test noise")
    parser.add_argument("--out", default=str(RESULTS))
    parser.add_argument("--threads", type=int, default=1, help="torch intra-op threads")
    parser.add_argument("--fill-seeds", type=int, nargs="+", default=None,
                        help="only the missing_fill comparison, refitted with each seed")
    args = parser.parse_args(argv)
    torch.set_num_threads(args.threads)
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    loaders = [("mosi", mosi)] + ([] if args.quick else [("wesad", wesad_splits), ("deap", deap_splits)])
    if args.fill_seeds:
        write_fill_study(loaders, args, out)
        return
    command = "python benchmarks/bench_nmer.py" + (" --quick" if args.quick else "")
    command += f" (--threads {args.threads})"

    rows, fills, times = [], [], []
    for name, loader in loaders:
        data = loader(args.data_home)
        r, f, t = evaluate(name, *data, quick=args.quick)
        rows += r
        fills += f
        times += t
    rows, fills, times = pd.DataFrame(rows), pd.DataFrame(fills), pd.DataFrame(times)
    summary = summarize(rows)
    margin = nmer_margin(summary)
    abar = scaled_linear_alpha_bars(T, (0.01, 0.5)).numpy()
    signal = pd.DataFrame([{f"t={t}": float(np.sqrt(abar[t])) for t in STEPS}])

    suffix = "_quick" if args.quick else ""
    rows.to_csv(out / f"per_condition{suffix}.csv", index=False)
    summary.to_csv(out / f"summary{suffix}.csv", index=False)
    lines = [
        "# NMER: noisy and missing modalities at test time",
        "",
        f"Command: `{command}` (2 shared CPU cores, torch CPU, seed {SEED}, one run, default "
        "parameters of every estimator).",
        "",
        "Every method trains on the training rows with MMIN's six simulated patterns. Test rows: "
        "for each of the six missing-modality conditions, the removed modalities are either "
        "missing (NaN) or corrupted as `sqrt(abar_t) x + sqrt(1 - abar_t) eps` on standardized "
        f"features (`T = {T}`, scaled-linear betas 0.01-0.5, the same noise for every method). "
        "Cells: balanced accuracy, mean over the six conditions (`full`: clean complete rows).",
        "",
        "Signal fraction `sqrt(abar_t)` at each step:",
        "",
        _markdown(signal),
        "",
        "## Balanced accuracy",
        "",
        _markdown(summary),
        "",
        "## NMER minus the best baseline in each column",
        "",
        _markdown(margin),
        "",
        "## NMER: how truly missing modalities enter (one fit per fill, mean over the missing "
        "conditions)",
        "",
        _markdown(fill_table(fills)),
        "",
        "## Fit time",
        "",
        _markdown(times),
    ]
    (out / f"results{suffix}.md").write_text("\n".join(lines) + "\n")
    print("\n".join(lines))


def write_fill_study(loaders, args, out: Path) -> None:
    start = time.perf_counter()
    fills = fill_study(loaders, args.data_home, args.fill_seeds)
    minutes = (time.perf_counter() - start) / 60
    seeds = " ".join(map(str, args.fill_seeds))
    command = "python benchmarks/bench_nmer.py" + (" --quick" if args.quick else "")
    command += f" --fill-seeds {seeds}"
    fills.to_csv(out / "missing_fill.csv", index=False)
    lines = [
        "# NMER: which missing_fill",
        "",
        f"Command: `{command}` ({minutes:.1f} min; 2 shared CPU cores, torch CPU, one thread).",
        "",
        "Default NMER with Gaussian or impulse training noise, refitted once per fill and seed "
        "on the same split (the spread is training noise only). Test rows: every missing-modality "
        "condition (six for three modalities, two for WESAD's two, fourteen for DEAP's four), the "
        "removed modalities NaN. Cells: balanced accuracy, mean over the conditions, then mean ± "
        "standard deviation over the seeds.",
        "",
        _markdown(fill_table(fills)),
    ]
    (out / "missing_fill.md").write_text("\n".join(lines) + "\n")
    print("\n".join(lines))


if __name__ == "__main__":
    main()
