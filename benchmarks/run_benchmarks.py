"""One command for every comparison: skmmer's estimators against scikit-learn baselines.

Runs the three missing-modality protocols of :mod:`skmmer.model_selection`
on the real corpora and the bundled mfeat data, with the same folds and the
same masks for every method, and writes into ``benchmarks/results/all/``:

* ``folds.csv``: every fold, method, setting and metric (tidy);
* ``<protocol>.md``: a mean ± std table per dataset (balanced accuracy and
  accuracy), with the command, versions and hardware;
* ``<protocol>_<dataset>.png``: balanced accuracy against the missing rate,
  the label fraction, or per fixed condition;
* ``runs.csv``: which command produced each dataset's rows, how long it took
  and on what machine.

A run replaces the rows of the datasets, protocols and methods it ran and
keeps the others, so the corpora can be run one at a time, or side by side (a
lock serializes the merge); ``--fresh`` starts over.
``--quick`` writes into ``benchmarks/results/quick/`` instead, so a smoke run
never overwrites the study. ``--seeds 0 1 2 3 4`` fits every method once per
seed on the same folds, labels and masks and writes into
``benchmarks/results/seeds/`` (so does any seed other than the study's 0,
with the seed in every method's name): its tables give the mean over seeds (of the
mean over folds) ± the standard deviation over seeds, the only spread there is
on MOSI's fixed split. A variant dataset (``--datasets mosi_test_videos``:
MOSI's test videos alone, free of the feature leak of its training split; see
``_config.py``) runs only when named and writes into
``benchmarks/results/variants/``.

Protocols:

``conditions``  train with MMIN's random modality subsets, test under every fixed
                condition (for three modalities: the six conditions plus full);
``rates``       train with 30% of modality entries removed, test at missing
                rates 0 .. (M - 1) / M (IMDer's protocol; "max" is IMDer's "0.7");
``labels``      keep 1%, 5%, 20%, 100% of the training labels (the rest -1), with
                0% and 30% of modality entries missing in train and test.

Usage::

    python benchmarks/run_benchmarks.py --quick                  # minutes
    python benchmarks/run_benchmarks.py                          # the full study
    python benchmarks/run_benchmarks.py --datasets mosi --protocols labels
    python benchmarks/run_benchmarks.py --backend dask           # on a LocalCluster
    python benchmarks/run_benchmarks.py --datasets deap --n-jobs 2  # add or redo one corpus
    python benchmarks/run_benchmarks.py --early-stopping true    # skmmer estimators always stop early
    python benchmarks/run_benchmarks.py --datasets mosi --protocols labels --seeds 0 1 2 3 4
    python benchmarks/run_benchmarks.py --datasets mosi_test_videos --protocols labels
"""

from __future__ import annotations

import argparse
import contextlib
import os
import platform
import shlex
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd
import sklearn
import torch

sys.path.insert(0, str(Path(__file__).parent))

from _config import ALL_DATASETS, DATASETS, VARIANTS, estimators_for  # noqa: E402
from _seeds import summarize_over_seeds, with_seeds, without_seed_suffix  # noqa: E402
from summarize_study import header_lines, write_summary  # noqa: E402

from skmmer.masking import simulate_missing  # noqa: E402
from skmmer.model_selection import (  # noqa: E402
    FixedConditions,
    LabelFractions,
    MissingRates,
    pivot_summary,
    run_study,
    to_markdown,
)

RESULTS_ROOT = Path(__file__).parent / "results"
#: Every method of the study, in the order the tables list them.
METHOD_ORDER = list(estimators_for({"a": 1, "b": 1}, semi_supervised=True, quick=False))
PROTOCOLS = ("conditions", "rates", "labels")
#: ``--early-stopping`` values: the estimators' default rule, or always on.
EARLY_STOPPING_CHOICES = {"auto": "auto", "true": True}


def protocol_runs(name: str, X, modalities, quick: bool):
    """(protocol, X) pairs for one protocol name; "labels" runs on complete and on masked X."""
    if name == "conditions":
        return [(FixedConditions(train_missing="subsets", name="conditions"), X)]
    if name == "rates":
        return [(MissingRates(train_missing=0.3, name="rates"), X)]
    fractions = (0.05, 1.0) if quick else (0.01, 0.05, 0.2, 1.0)
    X_missing = simulate_missing(X, modalities, rate=0.3, random_state=0)  # one mask for all
    return [
        (LabelFractions(fractions, name="labels, 0% missing"), X),
        (LabelFractions(fractions, name="labels, 30% missing"), X_missing),
    ]


def run_dataset(name: str, args) -> pd.DataFrame:
    data = ALL_DATASETS[name](args.data_home, args.quick)
    frames = []
    for protocol_name in args.protocols:
        for protocol, X in protocol_runs(protocol_name, data["X"], data["modalities"], args.quick):
            semi = protocol_name == "labels"
            methods = estimators_for(
                data["modalities"], semi_supervised=semi, quick=args.quick,
                early_stopping=EARLY_STOPPING_CHOICES[args.early_stopping],
            )
            if args.methods:
                methods = {k: v for k, v in methods.items() if any(m in k for m in args.methods)}
            methods = with_seeds(methods, args.seeds, name_seeds=seed_suffixed_names(args))
            print(f"[{name}] {protocol.name}: {len(methods)} methods, cv={data['cv_name']}", file=sys.stderr)
            frames.append(
                run_study(
                    methods, X, data["y"], data["modalities"], protocols=[protocol],
                    cv=data["cv"], groups=data["groups"], dataset=name, n_jobs=args.n_jobs,
                    backend=args.backend, random_state=0, verbose=1, error_score=np.nan,
                )
            )
    return pd.concat(frames, ignore_index=True)


def environment() -> str:
    return (
        f"Python {platform.python_version()}, torch {torch.__version__}, scikit-learn "
        f"{sklearn.__version__}, numpy {np.__version__}; {platform.machine()}, "
        f"{os.cpu_count()} CPU cores, "
        + ("CUDA: " + torch.cuda.get_device_name(0) if torch.cuda.is_available() else "CPU only")
    )


def environment_lines(command: str, seconds: float) -> list[str]:
    """The header of a benchmark report: the command, its wall time and the machine."""
    return [f"Command: `{command}` ({seconds / 60:.1f} min).", environment() + "."]


def command_line(script: str, argv=None) -> str:
    """How ``script`` was run: ``python benchmarks/<script> <argv>`` (None: this process's arguments).

    Arguments are shell-quoted, so the line can be pasted back into a shell
    (``--methods "mean impute + Logistic"`` stays one argument).
    """
    args = sys.argv[1:] if argv is None else list(argv)
    return shlex.join(["python", f"benchmarks/{Path(script).name}", *args])


def write_report(path: Path, lines: list[str]) -> None:
    """Write a markdown report, creating its folder, and echo it to stdout."""
    path.parent.mkdir(parents=True, exist_ok=True)
    text = "\n".join(lines)
    path.write_text(text)
    print(text)


@contextlib.contextmanager
def results_lock(out: Path):
    """Serialize the read-merge-write of ``out`` between runs started side by side (POSIX)."""
    try:
        import fcntl
    except ImportError:  # Windows: runs in parallel must use different folders
        yield
        return
    with open(out / ".lock", "w") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def merge_with_previous(new: pd.DataFrame, previous: pd.DataFrame | None) -> pd.DataFrame:
    """``new`` plus the rows of ``previous`` whose (dataset, protocol, method) this run did not redo."""
    if previous is None or previous.empty:
        return new
    key = ["dataset", "protocol", "method"]
    redone = set(map(tuple, new[key].drop_duplicates().to_numpy()))
    keep = [tuple(row) not in redone for row in previous[key].to_numpy()]
    merged = pd.concat([previous[keep], new], ignore_index=True)
    # Tables list datasets and methods in file order: keep the study's order after a re-run.
    method_rank = _first_seen_rank([*METHOD_ORDER, *previous["method"], *new["method"]])
    dataset_rank = _first_seen_rank([*ALL_DATASETS, *previous["dataset"], *new["dataset"]])
    order = np.lexsort((merged["method"].map(method_rank), merged["dataset"].map(dataset_rank)))
    return merged.iloc[order].reset_index(drop=True)


def _first_seen_rank(names) -> dict[str, int]:
    return {name: i for i, name in enumerate(dict.fromkeys(names))}


def _parsed(command: str) -> argparse.Namespace:
    args, _ = build_parser().parse_known_args(shlex.split(command)[2:])
    return args


def redoes_every_cell_of(command: str, earlier: str) -> bool:
    """Whether ``command`` re-ran every (protocol, method) of ``earlier`` on a dataset both ran.

    The merge replaces those cells, so ``earlier`` no longer produced any of
    them. Methods are compared as given (``--methods`` patterns): when in
    doubt an earlier run is kept.
    """
    new, old = _parsed(command), _parsed(earlier)
    protocols_redone = set(old.protocols) <= set(new.protocols)
    methods_redone = new.methods is None or (
        old.methods is not None and set(old.methods) <= set(new.methods)
    )
    return protocols_redone and methods_redone


def record_runs(runs_file: Path, datasets: list[str], command: str, minutes: float) -> pd.DataFrame:
    """Append this run to ``runs.csv``, dropping the entries whose cells it all replaced.

    A repeated command replaces its earlier entry; so does a run that redid
    every protocol and method of an earlier one on the same dataset.
    """
    runs = pd.read_csv(runs_file) if runs_file.exists() else pd.DataFrame()
    if len(runs):
        superseded = runs["dataset"].isin(datasets) & runs["command"].map(
            lambda earlier: redoes_every_cell_of(command, earlier)
        )
        runs = runs[~superseded]
    this = pd.DataFrame(
        {"dataset": datasets, "command": command, "minutes": round(minutes, 1), "environment": environment()}
    )
    runs = pd.concat([runs, this], ignore_index=True).drop_duplicates(["dataset", "command"], keep="last")
    runs.to_csv(runs_file, index=False)
    return runs


def varying_key(block: pd.DataFrame) -> str:
    """The column a protocol varies: the test setting, or the training one (labels)."""
    if block["setting"].nunique() == 1 and block["train_setting"].nunique() > 1:
        return "train_setting"
    return "setting"


def runs_of_protocol(runs: pd.DataFrame, protocol: str) -> pd.DataFrame:
    """The runs whose command ran ``protocol`` (read back from its ``--protocols``)."""
    def ran(command: str) -> bool:
        return protocol in _parsed(command).protocols

    return runs[runs["command"].map(ran)] if len(runs) else runs


def write_tables(results: pd.DataFrame, runs: pd.DataFrame, out: Path) -> None:
    """One markdown file per protocol family (``labels`` holds both missing rates)."""
    summary = summarize_over_seeds(results)
    spread = (
        "Cells: mean ± std over folds."
        if "n_seeds" not in summary
        else "Cells: mean over folds per seed, then mean ± std over seeds (n_seeds per cell: "
        + ", ".join(map(str, sorted(summary["n_seeds"].unique())))
        + "); a deterministic method's spread is 0."
    )
    family = summary["protocol"].str.split(",").str[0]
    for name, part in summary.groupby(family, sort=False):
        header = header_lines(runs_of_protocol(runs, name), part["dataset"].unique())
        lines = [f"# Protocol: {name}", "", *header, "", spread, ""]
        for (protocol, dataset), block in part.groupby(["protocol", "dataset"], sort=False):
            for metric, title in (("UA", "balanced accuracy"), ("WA", "accuracy")):
                rows = block[block["metric"] == metric]
                table = pivot_summary(rows, rows="method", columns=varying_key(block))
                lines += [f"## {dataset}, {protocol}: {title}", "", to_markdown(table), ""]
            fit = block[block["metric"] == "UA"].groupby("method", sort=False)["fit_time"].mean()
            lines += ["Mean fit time per fold (s): " + ", ".join(f"{m} {t:.1f}" for m, t in fit.items()), ""]
        (out / f"{name}.md").write_text("\n".join(lines) + "\n")


def write_plots(results: pd.DataFrame, out: Path) -> None:
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:  # plots are optional
        print("matplotlib is not installed: no plots", file=sys.stderr)
        return
    ua = summarize_over_seeds(results)
    ua = ua[ua["metric"] == "UA"]
    for (protocol, dataset), block in ua.groupby(["protocol", "dataset"], sort=False):
        fig, ax = plt.subplots(figsize=(9, 4))
        key = varying_key(block)
        settings = list(dict.fromkeys(block[key]))
        positions = np.arange(len(settings))
        methods = list(dict.fromkeys(block["method"]))
        if protocol.startswith("conditions"):
            width = 0.8 / len(methods)
            for i, method in enumerate(methods):
                rows = block[block["method"] == method].set_index(key).reindex(settings)
                ax.bar(positions + i * width, rows["mean"], width, label=method)
            ax.set_xticks(positions + 0.4 - width / 2, settings, rotation=30)
        else:
            for method in methods:
                rows = block[block["method"] == method].set_index(key).reindex(settings)
                ax.plot(positions, rows["mean"], marker="o", label=method)
            ax.set_xticks(positions, settings, rotation=30)
        ax.set_ylabel("balanced accuracy")
        ax.set_title(f"{dataset}: {protocol}")
        ax.legend(fontsize=7, loc="center left", bbox_to_anchor=(1.01, 0.5))
        fig.tight_layout()
        slug = f"{protocol}_{dataset}".replace(" ", "_").replace(",", "").replace("%", "pct")
        fig.savefig(out / f"{slug}.png", dpi=110)
        plt.close(fig)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="fewer folds, epochs and settings")
    parser.add_argument(
        "--datasets", nargs="+", default=list(DATASETS), choices=list(ALL_DATASETS),
        help="default: the study's corpora (" + ", ".join(DATASETS) + "); variants for a focused "
        "question (" + ", ".join(VARIANTS) + ") run only when named, alone, and write into "
        "results/variants/",
    )
    parser.add_argument("--protocols", nargs="+", default=list(PROTOCOLS), choices=PROTOCOLS)
    parser.add_argument("--methods", nargs="+", help="only methods whose name contains one of these")
    parser.add_argument("--data-home", default=None, help="folder of the corpora (default: ../shared/data)")
    parser.add_argument("--n-jobs", type=int, default=1)
    parser.add_argument("--backend", choices=["dask"], default=None)
    parser.add_argument("--fresh", action="store_true", help="discard the results of earlier runs")
    parser.add_argument(
        "--seeds", type=int, nargs="+", default=[0],
        help="fit every method once per seed (same folds, labels and masks); any seeds "
        "but the default 0 write into results/seeds/",
    )
    parser.add_argument(
        "--early-stopping", choices=list(EARLY_STOPPING_CHOICES), default="auto",
        help="skmmer estimators' early_stopping: 'auto' (their default: on with >= 1000 "
        "labelled training rows) or 'true' (always, the study's setting before 2026-11-23)",
    )
    return parser


def output_folder(args) -> str:
    """``quick`` for smoke runs, ``seeds`` for any seeds but the study's ``--seeds 0``,
    ``variants`` for the variant datasets, else ``all``.

    The study's cells are all fitted with seed 0, so a run with other seeds
    (even one) never lands among them; nor does a variant, which asks a
    different question of a study corpus (the README's tables are the study's).
    """
    if args.quick:
        return "quick"
    if list(args.seeds) != [0]:
        return "seeds"
    return "variants" if set(args.datasets) & set(VARIANTS) else "all"


def seed_suffixed_names(args) -> bool:
    """Whether method names carry their seed: always in ``seeds/``, and wherever there are several."""
    return output_folder(args) == "seeds" or len(args.seeds) > 1


def main(argv=None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if set(args.datasets) & set(VARIANTS) and set(args.datasets) & set(DATASETS):
        parser.error(
            "a variant dataset (" + ", ".join(VARIANTS) + ") runs without the study's corpora: "
            "its results go to results/variants/, the study's to results/all/; run them separately."
        )

    out = RESULTS_ROOT / output_folder(args)
    out.mkdir(parents=True, exist_ok=True)
    if args.fresh:
        for stale in (out / "folds.csv", out / "runs.csv"):
            stale.unlink(missing_ok=True)
    start = time.perf_counter()
    new = pd.concat([run_dataset(name, args) for name in args.datasets], ignore_index=True)
    elapsed = time.perf_counter() - start
    with results_lock(out):
        previous = pd.read_csv(out / "folds.csv") if (out / "folds.csv").exists() else None
        results = merge_with_previous(new, previous)
        results.to_csv(out / "folds.csv", index=False)
        runs = record_runs(out / "runs.csv", args.datasets, command_line(__file__, argv), elapsed / 60)
        for stale in out.glob("*.md"):
            stale.unlink()
        write_tables(results, runs, out)
        header = header_lines(runs, results["dataset"].unique())
        write_summary(without_seed_suffix(results), header, out / "summary.md")
        write_plots(results, out)
    print(f"done in {elapsed / 60:.1f} min; results in {out}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
