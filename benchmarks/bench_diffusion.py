"""Benchmark of DiffusionImputer: imputation error, calibration, downstream accuracy, speed.

Every comparison uses the same split and the same masks for every method (one run).

* imputation: impute held-out rows with one observed block hidden (each modality
  in turn) and with 30% / 50% of their observed entries hidden at random; RMSE
  of the hidden entries in standardized units (training mean and std) against
  SimpleImputer(mean), KNNImputer and IterativeImputer; the diffusion imputer
  is scored as its conditional mean (``transform``, the default), as one draw
  and as the mean of the draws of ``sample``, whose 5%/95% quantiles give the
  coverage of the nominal 90% per-entry intervals;
* downstream: Pipeline([imputer, StandardScaler, LogisticRegression]) balanced
  accuracy when whole modalities are missing at rate r in train and test
  (skmmer.masking.simulate_missing, IMDer's per-row protocol);
* speed: fit time, transform time of 10,000 rows with one missing block, next
  to IterativeImputer;
* sampler: RMSE / coverage / time against n_steps, EDM-Heun vs IMDer's VE
  Euler-Maruyama (MOSI).
* population: the imputation scenarios on held-out rows of the training
  population (same speakers or subjects) next to the test split (new ones),
  every imputer fitted on the same 80% of the training rows; written to its
  own population.md (not part of the default run).

    python benchmarks/bench_diffusion.py            # full (MOSI, mfeat, DEAP, WESAD)
    python benchmarks/bench_diffusion.py --quick    # smoke run

Results go to benchmarks/results/diffusion/ (markdown + csv).
"""

from __future__ import annotations

import argparse
import os
import sys
import time
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import torch
from sklearn.base import clone
from sklearn.exceptions import ConvergenceWarning
from sklearn.experimental import enable_iterative_imputer  # noqa: F401
from sklearn.impute import IterativeImputer, KNNImputer, SimpleImputer
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import balanced_accuracy_score
from sklearn.model_selection import GroupShuffleSplit, StratifiedShuffleSplit, train_test_split
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from skmmer._preprocessing import observed_mean_and_scale
from skmmer.impute import DiffusionImputer
from skmmer.masking import hide_block, hide_entries, max_missing_rate, simulate_missing
from skmmer.metrics import imputation_rmse

RESULTS = Path(__file__).resolve().parent / "results" / "diffusion"


# --------------------------------------------------------------------------- #
# Data
# --------------------------------------------------------------------------- #
def load(name: str, data_home):
    from skmmer import datasets

    if name == "mosi":
        b = datasets.load_mosi(data_home)
        return b.X, b.y, b.modalities, b.split["train"], b.split["test"]
    if name == "mfeat":
        b = datasets.load_mfeat()
        split = StratifiedShuffleSplit(n_splits=1, test_size=0.3, random_state=0)
        train, test = next(split.split(b.X, b.y))
        return b.X, b.y, b.modalities, train, test
    b = datasets.load_deap(data_home) if name == "deap" else datasets.load_wesad(data_home)
    split = GroupShuffleSplit(n_splits=1, test_size=0.25, random_state=0)
    train, test = next(split.split(b.X, b.y, b.groups))
    return b.X, b.y, b.modalities, train, test


def block_slices(modalities: dict) -> dict[str, slice]:
    out, start = {}, 0
    for name, size in modalities.items():
        out[name] = slice(start, start + int(size))
        start += int(size)
    return out


# --------------------------------------------------------------------------- #
# Imputers
# --------------------------------------------------------------------------- #
def baselines(n_features: int) -> dict:
    # IterativeImputer on hundreds of columns is very slow (MOSI: 18 s of CPU per
    # round with all 272 predictors); it gets 50 predictor columns per feature,
    # drawn by absolute correlation (scikit-learn's n_nearest_features).
    nearest = None if n_features <= 50 else 50
    return {
        "mean": SimpleImputer(strategy="mean"),
        "knn": KNNImputer(n_neighbors=5),
        "iterative": IterativeImputer(max_iter=10, random_state=0, n_nearest_features=nearest),
    }


def diffusion(modalities, quick: bool, **params) -> DiffusionImputer:
    if quick:
        params.setdefault("max_epochs", 40)
    return DiffusionImputer(modalities=dict(modalities), random_state=0, **params)


def scenarios(X_test: np.ndarray, modalities: dict, rng) -> dict[str, np.ndarray]:
    """name -> boolean matrix of the test entries to hide (all observed in X_test)."""
    out = {f"block:{name}": hide_block(X_test, modalities, name) for name in modalities}
    for rate in (0.3, 0.5):
        out[f"entries:{int(rate * 100)}%"] = hide_entries(X_test, rate, random_state=rng)
    return out


def rmse(imputed, truth, hide, scale) -> float:
    return imputation_rmse(truth, imputed, hide, scale=scale)


# --------------------------------------------------------------------------- #
# Parts
# --------------------------------------------------------------------------- #
def fit_imputers(X_train, modalities, quick):
    """The three baselines and the diffusion imputer fitted on X_train; their fit times."""
    fitted, fit_times = {}, {}
    for method, imp in baselines(X_train.shape[1]).items():
        t0 = time.perf_counter()
        fitted[method] = clone(imp).fit(X_train)
        fit_times[method] = time.perf_counter() - t0
    t0 = time.perf_counter()
    dif = diffusion(modalities, quick).fit(X_train)
    fit_times["diffusion"] = time.perf_counter() - t0
    return fitted, dif, fit_times


def score_imputers(label, fitted, dif, fit_times, X_eval, modalities, scale, n_draws, **keys):
    """Rows of RMSE (and the draws' 90% coverage) of every imputer on X_eval's scenarios.

    The masks come from ``scenarios`` with seed 0, so every imputer sees the same ones.
    """
    rows = []
    for scen, hide in scenarios(X_eval, modalities, np.random.RandomState(0)).items():
        X_masked = np.where(hide, np.nan, X_eval)
        for method, imp in fitted.items():
            t0 = time.perf_counter()
            out = imp.transform(X_masked)
            rows.append(dict(keys, scenario=scen, method=method,
                             rmse=rmse(out, X_eval, hide, scale), coverage90=np.nan,
                             transform_s=time.perf_counter() - t0, fit_s=fit_times[method]))
        t0 = time.perf_counter()
        conditional = dif.transform(X_masked)
        t_conditional = time.perf_counter() - t0
        t0 = time.perf_counter()
        draws = dif.sample(X_masked, n_draws=n_draws)
        t_draws = time.perf_counter() - t0
        lo, hi = np.quantile(draws, [0.05, 0.95], axis=0)
        covered = (X_eval >= lo) & (X_eval <= hi)
        rows.append(dict(keys, scenario=scen, method="diffusion (conditional mean)",
                         rmse=rmse(conditional, X_eval, hide, scale), coverage90=np.nan,
                         transform_s=t_conditional, fit_s=fit_times["diffusion"]))
        rows.append(dict(keys, scenario=scen, method="diffusion (1 draw)",
                         rmse=rmse(draws[0], X_eval, hide, scale), coverage90=np.nan,
                         transform_s=t_draws / n_draws, fit_s=fit_times["diffusion"]))
        rows.append(dict(keys, scenario=scen, method=f"diffusion (mean of {n_draws})",
                         rmse=rmse(draws.mean(axis=0), X_eval, hide, scale),
                         coverage90=float(covered[hide].mean()),
                         transform_s=t_draws, fit_s=fit_times["diffusion"]))
        print(f"[{label}] {scen}: " + ", ".join(
            f"{r['method']}={r['rmse']:.3f}" for r in rows[-6:]
        ) + f", coverage={rows[-1]['coverage90']:.3f}", flush=True)
    return rows


def training_scale(X_train):
    """Per-feature scale of the fitted rows: the errors are in their standardized units."""
    return observed_mean_and_scale(X_train)[1]


def imputation_part(name, X, modalities, train, test, quick, n_draws, rows):
    X_train = X[train]
    fitted, dif, fit_times = fit_imputers(X_train, modalities, quick)
    print(f"[{name}] diffusion fit {fit_times['diffusion']:.1f}s, {dif.n_epochs_} epochs", flush=True)
    rows += score_imputers(name, fitted, dif, fit_times, X[test], modalities,
                           training_scale(X_train), n_draws, dataset=name)
    return dif


def population_part(name, X, modalities, train, test, quick, n_draws, rows, held_out=0.2,
                    widths=()):
    """Same imputers, scored on unseen rows of the training population and on the test rows.

    A random ``held_out`` share of the training rows is set aside, every imputer is
    fitted on the rest, and both sets get the same kind of masks. On MOSI, DEAP and
    WESAD the test rows are other speakers or subjects, so the gap between the two
    columns is what the shift of population costs each imputer; on mfeat both are
    random rows of one population (a control). Each of ``widths`` adds the
    conditional mean of a diffusion imputer with that ``hidden_dim``, on the same masks:
    the held-out training rows are a development set for choosing the default.
    """
    fit_rows, same_rows = train_test_split(train, test_size=held_out, random_state=0)
    X_fit = X[fit_rows]
    fitted, dif, fit_times = fit_imputers(X_fit, modalities, quick)
    for width in widths:
        t0 = time.perf_counter()
        fitted[f"diffusion (conditional mean, hidden_dim={width})"] = diffusion(
            modalities, quick, hidden_dim=width
        ).fit(X_fit)
        fit_times[f"diffusion (conditional mean, hidden_dim={width})"] = time.perf_counter() - t0
    scale = training_scale(X_fit)
    for rows_name, eval_rows in (("same population", same_rows), ("test split", test)):
        rows += score_imputers(f"{name}, {rows_name}", fitted, dif, fit_times, X[eval_rows],
                               modalities, scale, n_draws, dataset=name, rows=rows_name)


def downstream_part(name, X, y, modalities, train, test, quick, rows, rates=None):
    top = max_missing_rate(len(modalities))
    if rates:
        rates = [top if r == "max" else min(float(r), top) for r in rates.split(",")]
    else:
        rates = [0.1, 0.5] if quick else [r for r in (0.1, 0.3, 0.5, 0.7) if r < top] + [top]
    for rate in sorted(set(rates)):
        X_tr = simulate_missing(X[train], modalities, rate=rate, random_state=1)
        X_te = simulate_missing(X[test], modalities, rate=rate, random_state=2)
        imputers = {k: v for k, v in baselines(X.shape[1]).items() if k != "knn"}
        for method, imp in imputers.items():
            pipe = make_pipeline(imp, StandardScaler(), LogisticRegression(max_iter=2000))
            t0 = time.perf_counter()
            pipe.fit(X_tr, y[train])
            score = balanced_accuracy_score(y[test], pipe.predict(X_te))
            rows.append(dict(dataset=name, missing_rate=round(rate, 3), method=method,
                             balanced_accuracy=score, seconds=time.perf_counter() - t0))
        # The same fitted imputer serves every transform setting (the output
        # changes, fit does not); each is what Pipeline.fit/predict would do.
        t0 = time.perf_counter()
        dif = diffusion(modalities, quick).fit(X_tr)
        fit_s = time.perf_counter() - t0
        settings = {
            "diffusion (conditional mean)": dict(sample_posterior=False),
            "diffusion (1 draw)": dict(sample_posterior=True, n_draws=1),
            "diffusion (mean of 10 draws)": dict(sample_posterior=True, n_draws=10),
        }
        for method, params in settings.items():
            dif.set_params(**params)
            t0 = time.perf_counter()
            head = make_pipeline(StandardScaler(), LogisticRegression(max_iter=2000))
            head.fit(dif.transform(X_tr), y[train])
            score = balanced_accuracy_score(y[test], head.predict(dif.transform(X_te)))
            rows.append(dict(dataset=name, missing_rate=round(rate, 3), method=method,
                             balanced_accuracy=score, seconds=fit_s + time.perf_counter() - t0))
        print(f"[{name}] rate {rate:.2f}: " + ", ".join(
            f"{r['method']}={r['balanced_accuracy']:.3f}" for r in rows[-5:]), flush=True)


def speed_part(name, X, modalities, train, test, dif, rows, n_rows=10_000):
    X_train = X[train]
    reps = int(np.ceil(n_rows / len(test)))
    big = np.tile(X[test], (reps, 1))[:n_rows]
    big = big + 1e-9 * np.random.RandomState(0).normal(size=big.shape)  # distinct rows
    first = block_slices(modalities)[next(iter(modalities))]
    big[:, first] = np.nan
    t0 = time.perf_counter()
    dif.transform(big)
    rows.append(dict(dataset=name, what=f"DiffusionImputer.transform, {n_rows} rows, 1 block missing",
                     seconds=time.perf_counter() - t0))
    t0 = time.perf_counter()
    dif.sample(big, n_draws=1)
    rows.append(dict(dataset=name, what=f"DiffusionImputer.sample, 1 draw, {n_rows} rows, 1 block missing",
                     seconds=time.perf_counter() - t0))
    it = baselines(X.shape[1])["iterative"]
    t0 = time.perf_counter()
    it.fit(X_train)
    rows.append(dict(dataset=name, what="IterativeImputer.fit", seconds=time.perf_counter() - t0))
    t0 = time.perf_counter()
    it.transform(big)
    rows.append(dict(dataset=name, what=f"IterativeImputer.transform, {n_rows} rows, 1 block missing",
                     seconds=time.perf_counter() - t0))
    for r in rows[-4:]:
        print(f"[{name}] {r['what']}: {r['seconds']:.2f}s", flush=True)


def sampler_part(name, X, modalities, train, test, dif_edm, quick, n_draws, rows):
    X_train, X_test = X[train], X[test]
    scale = training_scale(X_train)
    masks = {k: v for k, v in scenarios(X_test, modalities, np.random.RandomState(0)).items()
             if k.startswith("block:")}
    t0 = time.perf_counter()
    dif_ve = diffusion(modalities, quick, schedule="ve").fit(X_train)
    fit_ve = time.perf_counter() - t0
    edm_steps, ve_steps = ((4, 12), (25,)) if quick else ((2, 4, 8, 12, 20), (10, 25, 50, 100))
    grid = [("edm", dif_edm, s) for s in edm_steps] + [("ve", dif_ve, s) for s in ve_steps]
    default_steps = dif_edm.n_steps
    for schedule, est, steps in grid:
        est.set_params(n_steps=steps)
        errs, covs, secs = [], [], 0.0
        for hide in masks.values():
            X_masked = np.where(hide, np.nan, X_test)
            t0 = time.perf_counter()
            draws = est.sample(X_masked, n_draws=min(n_draws, 10))
            secs += time.perf_counter() - t0
            errs.append(rmse(draws[0], X_test, hide, scale))
            lo, hi = np.quantile(draws, [0.05, 0.95], axis=0)
            covs.append(float(((X_test >= lo) & (X_test <= hi))[hide].mean()))
        rows.append(dict(dataset=name, schedule=schedule, n_steps=steps,
                         network_calls=2 * steps - 1 if schedule == "edm" else steps,
                         rmse_1draw=np.mean(errs), coverage90=np.mean(covs),
                         sample_s=secs, fit_s=fit_ve if schedule == "ve" else np.nan))
        print(f"[{name}] {schedule} {steps} steps: rmse {np.mean(errs):.3f} "
              f"coverage {np.mean(covs):.3f} {secs:.1f}s", flush=True)
    dif_edm.set_params(n_steps=default_steps)


# --------------------------------------------------------------------------- #
def to_markdown(df: pd.DataFrame) -> str:
    cols = list(df.columns)
    lines = ["| " + " | ".join(cols) + " |", "|" + "---|" * len(cols)]
    for _, r in df.iterrows():
        cells = [f"{v:.3f}" if isinstance(v, float) else str(v) for v in r]
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


def rmse_table(df: pd.DataFrame, index: list[str]) -> str:
    """RMSE per method as columns, with the draws' 90% coverage as the last column."""
    pivot = df.pivot_table(index=index, columns="method", values="rmse", sort=False).reset_index()
    cov = df.dropna(subset=["coverage90"])[[*index, "coverage90"]]
    return to_markdown(pivot.merge(cov, on=index))


def population_text() -> str:
    return (
        "Every imputer is fitted on 80% of the training rows (random, seed 0). It is then scored on two "
        "sets of rows, with the same kind of masks as the imputation part. *same population*: the "
        "other 20% of the training rows, from the same speakers or subjects. *test split*: the test "
        "rows, from other speakers (MOSI) or subjects (DEAP, WESAD); on mfeat, random rows of the same "
        "population, as a control. RMSE is in the standardized units of the fitted rows; coverage90 "
        "is that of the nominal 90% intervals of the diffusion draws."
    )


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="few epochs, two rates, MOSI+mfeat")
    parser.add_argument("--datasets", default=None, help="comma list of mosi,mfeat,deap,wesad")
    parser.add_argument("--parts", default="impute,downstream,speed,sampler",
                        help="comma list of impute,downstream,speed,sampler,population "
                             "(population writes its own population.md)")
    parser.add_argument("--data-home", default=None)
    parser.add_argument("--widths", type=int, nargs="*", default=(),
                        help="population part: also score diffusion imputers of these hidden_dim")
    parser.add_argument("--rates", default=None, help="downstream missing rates, e.g. 0.1,0.5,max")
    parser.add_argument("--n-draws", type=int, default=20)
    parser.add_argument("--threads", type=int, default=None, help="torch threads (default: torch's)")
    parser.add_argument("--out", default=str(RESULTS))
    args = parser.parse_args(argv)
    if args.threads:
        torch.set_num_threads(args.threads)
        if os.environ.get("OPENBLAS_NUM_THREADS") != str(args.threads):
            print("note: set OMP_NUM_THREADS/OPENBLAS_NUM_THREADS too, before numpy loads",
                  file=sys.stderr)
    warnings.filterwarnings("ignore", category=ConvergenceWarning)
    names = args.datasets.split(",") if args.datasets else (
        ["mosi", "mfeat"] if args.quick else ["mosi", "mfeat", "deap", "wesad"]
    )
    parts = set(args.parts.split(","))
    tables = {k: [] for k in ("imputation", "downstream", "speed", "sampler", "population")}
    start = time.perf_counter()
    for name in names:
        try:
            X, y, modalities, train, test = load(name, args.data_home)
        except (FileNotFoundError, OSError) as exc:
            print(f"[{name}] skipped: {exc}", file=sys.stderr)
            continue
        dif = None
        if "impute" in parts or "speed" in parts or "sampler" in parts:
            dif = imputation_part(name, X, modalities, train, test, args.quick, args.n_draws,
                                  tables["imputation"])
        if "speed" in parts and name == "mosi":
            speed_part(name, X, modalities, train, test, dif, tables["speed"])
        if "sampler" in parts and name == "mosi":
            sampler_part(name, X, modalities, train, test, dif, args.quick, args.n_draws,
                         tables["sampler"])
        if "population" in parts:
            population_part(name, X, modalities, train, test, args.quick, args.n_draws,
                            tables["population"], widths=args.widths)
        if "downstream" in parts:
            downstream_part(name, X, y, modalities, train, test, args.quick, tables["downstream"],
                            args.rates)
    total = time.perf_counter() - start

    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    suffix = "_quick" if args.quick else ""
    command = "python benchmarks/bench_diffusion.py " + " ".join(argv if argv is not None else sys.argv[1:])
    header = [f"Command: `{command.strip()}`  ", f"torch threads: {torch.get_num_threads()}, "
              f"total {total:.0f} s. One run, same split and masks for every method.", ""]
    md = [f"# DiffusionImputer benchmark{' (quick)' if args.quick else ''}", "", *header]
    for key, rows in tables.items():
        if not rows:
            continue
        df = pd.DataFrame(rows)
        df.to_csv(out / f"{key}{suffix}.csv", index=False)
        if key == "imputation":
            md += ["## Imputation RMSE (standardized units; lower is better) and 90% coverage", "",
                   rmse_table(df, ["dataset", "scenario"]), ""]
        elif key == "downstream":
            pivot = df.pivot_table(index=["dataset", "missing_rate"], columns="method",
                                   values="balanced_accuracy", sort=False).reset_index()
            md += ["## Downstream balanced accuracy (LogisticRegression)", "", to_markdown(pivot), ""]
        elif key == "population":
            # Its own page: the README's hand-written reading must survive a population-only run.
            page = ["# DiffusionImputer: imputation error within the training population and "
                    f"across it{' (quick)' if args.quick else ''}", "", *header,
                    population_text(), "", rmse_table(df, ["dataset", "scenario", "rows"]), ""]
            (out / f"population{suffix}.md").write_text("\n".join(page))
        else:
            md += [f"## {key.capitalize()}", "", to_markdown(df), ""]
    if any(tables[k] for k in ("imputation", "downstream", "speed", "sampler")):
        (out / f"README{suffix}.md").write_text("\n".join(md) + "\n")
    print(f"wrote {out} in {total:.0f}s")


if __name__ == "__main__":
    main()
