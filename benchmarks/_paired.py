"""Benchmarks that compare each method with one variant of it (a parameter switched).

``bench_class_weight.py`` and ``bench_indicator.py`` are configurations of
this: they name the methods, the parameter and its value, the protocol and
the datasets; this module fits both versions on the same folds and masks,
and writes the paired gain per fold next to the per-method tables.
"""

from __future__ import annotations

import argparse
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pandas as pd
from _config import DATASETS
from run_benchmarks import command_line, environment_lines, write_report
from sklearn.base import clone

from skmmer.model_selection import pivot_summary, run_study, summarize, to_markdown


def paired_gains(results: pd.DataFrame, suffix: str, *, columns: str) -> pd.DataFrame:
    """Per method and ``columns`` value: the variant named ``<method><suffix>`` minus the method.

    Fold by fold on the same folds and masks, then the mean over folds, with
    the folds where the variant scored higher and lower (the rest tie); UA and
    WA (balanced accuracy and accuracy) side by side.
    """
    keys = ["dataset", "train_setting", "setting", "fold", "metric"]
    variant = results[results["method"].str.endswith(suffix)].copy()
    variant["method"] = variant["method"].str.removesuffix(suffix)
    pairs = variant.merge(results, on=["method", *keys], suffixes=("_variant", ""))
    pairs["gain"] = pairs["value_variant"] - pairs["value"]
    pairs = pairs[pairs["metric"].isin(["UA", "WA"])]
    table = pairs.groupby(["dataset", "method", columns, "metric"], sort=False)["gain"].agg(
        mean_gain="mean", folds=lambda g: f"{(g > 0).sum()} up, {(g < 0).sum()} down"
    )
    table = table.reset_index()
    table["mean_gain"] = table["mean_gain"].map("{:+.4f}".format)
    cells = table.assign(cell=table["mean_gain"] + " (" + table["folds"] + ")")
    wide = cells.pivot_table(
        index=["dataset", "method"], columns=["metric", columns], values="cell", aggfunc="first", sort=False
    )
    values = list(dict.fromkeys(cells[columns]))
    return wide[[(metric, value) for metric in ("UA", "WA") for value in values]]


@dataclass
class PairedBenchmark:
    """One method-against-variant benchmark.

    ``methods(modalities)`` gives ``{name: (estimator, parameter)}``; the
    variant is the estimator with ``parameter=value``, named ``name + suffix``.
    ``protocol(data)`` gives the protocol and the ``X`` it runs on. ``columns``
    is the results column whose values head the tables (``train_setting`` or
    ``setting``); ``metrics`` the metrics given a per-method table each.
    """

    title: str
    description: str
    gain_caption: str
    suffix: str
    value: object
    methods: Callable[[dict], dict[str, tuple[object, str]]]
    protocol: Callable[[dict], tuple[object, object]]
    columns: str
    datasets: tuple[str, ...]
    output: Path
    metrics: tuple[tuple[str, str], ...] = (("UA", "balanced accuracy"), ("WA", "accuracy"))

    def estimators(self, modalities) -> dict[str, object]:
        """Every method twice: as given, and with its parameter set to the variant's value."""
        estimators = {}
        for name, (estimator, parameter) in self.methods(modalities).items():
            estimators[name] = estimator
            estimators[name + self.suffix] = clone(estimator).set_params(**{parameter: self.value})
        return estimators

    def run(self, name: str, n_jobs: int) -> pd.DataFrame:
        data = DATASETS[name](None, False)
        protocol, X = self.protocol(data)
        return run_study(
            self.estimators(data["modalities"]), X, data["y"], data["modalities"], protocols=[protocol],
            cv=data["cv"], groups=data["groups"], dataset=name, n_jobs=n_jobs, random_state=0, verbose=1,
        )

    def report(self, results: pd.DataFrame, command: str, seconds: float) -> list[str]:
        gains = paired_gains(results, self.suffix, columns=self.columns)
        gains.columns = [f"{metric} gain, {value}" for metric, value in gains.columns]
        lines = [
            f"# {self.title}", "", *environment_lines(command, seconds), "", self.description,
            "", f"## Paired gain of {self.gain_caption}", "",
            f"With minus without, mean over folds; in brackets, the folds where {self.gain_caption} "
            "scored higher and lower (the rest tie). UA: balanced accuracy; WA: accuracy.",
            "", to_markdown(gains.reset_index()),
        ]
        table = summarize(results)
        for dataset in results["dataset"].unique():
            for metric, label in self.metrics:
                rows = table[(table["dataset"] == dataset) & (table["metric"] == metric)]
                lines += [
                    "", f"## {dataset}: {label}", "",
                    to_markdown(pivot_summary(rows, rows="method", columns=self.columns)),
                ]
        return lines + [""]

    def main(self, argv, script: str, doc: str) -> int:
        parser = argparse.ArgumentParser(description=doc.splitlines()[0])
        parser.add_argument("--datasets", nargs="+", default=list(self.datasets), choices=sorted(DATASETS))
        parser.add_argument("--n-jobs", type=int, default=1)
        args = parser.parse_args(argv)
        start = time.perf_counter()
        results = pd.concat([self.run(name, args.n_jobs) for name in args.datasets], ignore_index=True)
        seconds = time.perf_counter() - start
        self.output.parent.mkdir(parents=True, exist_ok=True)
        results.to_csv(self.output.parent / "folds.csv", index=False)
        write_report(self.output, self.report(results, command_line(script, argv), seconds))
        return 0
