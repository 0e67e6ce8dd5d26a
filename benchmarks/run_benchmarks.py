"""One command for every comparison: skmmer's estimators against scikit-learn baselines.

Runs the three missing-modality protocols of :mod:`skmmer.model_selection`
on the real corpora and the bundled mfeat data, with the same folds and the
same masks for every method, and writes into ``benchmarks/results/all/``:

* ``folds.csv``: every fold, method, setting and metric (tidy);
* ``<protocol>.md``: a mean ± std table per dataset (balanced accuracy and
  accuracy), with the command, versions and hardware;
* ``<protocol>_<dataset>.png``: balanced accuracy against the missing rate,
  the label fraction, or per fixed condition.

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
"""

from __future__ import annotations

import argparse
import platform
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd
import sklearn
import torch

sys.path.insert(0, str(Path(__file__).parent))

from _config import DATASETS, estimators_for  # noqa: E402
from summarize_study import write_summary  # noqa: E402

from skmmer.masking import simulate_missing  # noqa: E402
from skmmer.model_selection import (  # noqa: E402
    FixedConditions,
    LabelFractions,
    MissingRates,
    pivot_summary,
    run_study,
    summarize,
    to_markdown,
)

RESULTS = Path(__file__).parent / "results" / "all"
PROTOCOLS = ("conditions", "rates", "labels")


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
    data = DATASETS[name](args.data_home, args.quick)
    frames = []
    for protocol_name in args.protocols:
        for protocol, X in protocol_runs(protocol_name, data["X"], data["modalities"], args.quick):
            semi = protocol_name == "labels"
            methods = estimators_for(data["modalities"], semi_supervised=semi, quick=args.quick)
            if args.methods:
                methods = {k: v for k, v in methods.items() if any(m in k for m in args.methods)}
            print(f"[{name}] {protocol.name}: {len(methods)} methods, cv={data['cv_name']}", file=sys.stderr)
            frames.append(
                run_study(
                    methods, X, data["y"], data["modalities"], protocols=[protocol],
                    cv=data["cv"], groups=data["groups"], dataset=name, n_jobs=args.n_jobs,
                    backend=args.backend, random_state=0, verbose=1, error_score=np.nan,
                )
            )
    return pd.concat(frames, ignore_index=True)


def environment_lines(command: str, elapsed: float) -> list[str]:
    return [
        f"Command: `{command}` ({elapsed / 60:.1f} min).",
        f"Python {platform.python_version()}, torch {torch.__version__}, scikit-learn "
        f"{sklearn.__version__}, numpy {np.__version__}; {platform.machine()}, "
        f"{torch.get_num_threads()} torch threads, "
        + ("CUDA: " + torch.cuda.get_device_name(0) if torch.cuda.is_available() else "CPU only")
        + ".",
    ]


def varying_key(block: pd.DataFrame) -> str:
    """The column a protocol varies: the test setting, or the training one (labels)."""
    if block["setting"].nunique() == 1 and block["train_setting"].nunique() > 1:
        return "train_setting"
    return "setting"


def write_tables(results: pd.DataFrame, header: list[str]) -> None:
    """One markdown file per protocol family (``labels`` holds both missing rates)."""
    summary = summarize(results)
    family = summary["protocol"].str.split(",").str[0]
    for name, part in summary.groupby(family, sort=False):
        lines = [f"# Protocol: {name}", "", *header, ""]
        for (protocol, dataset), block in part.groupby(["protocol", "dataset"], sort=False):
            for metric, title in (("UA", "balanced accuracy"), ("WA", "accuracy")):
                rows = block[block["metric"] == metric]
                table = pivot_summary(rows, rows="method", columns=varying_key(block))
                lines += [f"## {dataset}, {protocol}: {title}", "", to_markdown(table), ""]
            fit = block[block["metric"] == "UA"].groupby("method", sort=False)["fit_time"].mean()
            lines += ["Mean fit time per fold (s): " + ", ".join(f"{m} {t:.1f}" for m, t in fit.items()), ""]
        (RESULTS / f"{name}.md").write_text("\n".join(lines) + "\n")


def write_plots(results: pd.DataFrame) -> None:
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:  # plots are optional
        print("matplotlib is not installed: no plots", file=sys.stderr)
        return
    ua = summarize(results)
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
        fig.savefig(RESULTS / f"{slug}.png", dpi=110)
        plt.close(fig)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="fewer folds, epochs and settings")
    parser.add_argument("--datasets", nargs="+", default=list(DATASETS), choices=list(DATASETS))
    parser.add_argument("--protocols", nargs="+", default=list(PROTOCOLS), choices=PROTOCOLS)
    parser.add_argument("--methods", nargs="+", help="only methods whose name contains one of these")
    parser.add_argument("--data-home", default=None, help="folder of the corpora (default: ../shared/data)")
    parser.add_argument("--n-jobs", type=int, default=1)
    parser.add_argument("--backend", choices=["dask"], default=None)
    args = parser.parse_args(argv)

    start = time.perf_counter()
    RESULTS.mkdir(parents=True, exist_ok=True)
    results = pd.concat([run_dataset(name, args) for name in args.datasets], ignore_index=True)
    elapsed = time.perf_counter() - start
    results.to_csv(RESULTS / "folds.csv", index=False)
    command = "python benchmarks/run_benchmarks.py " + " ".join(argv if argv is not None else sys.argv[1:])
    for stale in RESULTS.glob("*.md"):
        stale.unlink()
    write_tables(results, environment_lines(command.strip(), elapsed))
    write_summary(results, environment_lines(command.strip(), elapsed))
    write_plots(results)
    print(f"done in {elapsed / 60:.1f} min; results in {RESULTS}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
