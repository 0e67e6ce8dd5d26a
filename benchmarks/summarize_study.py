"""One headline table per dataset from a study's ``folds.csv``: each method's mean over settings.

``run_benchmarks.py`` calls this at the end of a run; run it alone to
re-render ``benchmarks/results/all/summary.md`` from an existing
``folds.csv``::

    python benchmarks/summarize_study.py

Columns (balanced accuracy, each a mean over the protocol's settings of one
run with the same folds and masks for every method): the fixed missing-modality
conditions (six for three modalities) (complete test rows excluded), the missing rates above 0, the
1% and 5% label fractions with 30% of modality entries missing, and the mean
fit time per fold of the ``conditions`` protocol.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import pandas as pd

RESULTS = Path(__file__).parent / "results" / "all"


def header_lines(runs: pd.DataFrame, datasets) -> list[str]:
    """The commands (with their wall time) and machines behind the given datasets' rows."""
    lines = []
    for (command, minutes, env), block in runs[runs["dataset"].isin(list(datasets))].groupby(
        ["command", "minutes", "environment"], sort=False
    ):
        lines.append(f"- {', '.join(block['dataset'])}: `{command}` ({minutes:.1f} min; {env}).")
    return lines


def _mean_over(rows: pd.DataFrame) -> pd.Series:
    return rows.groupby("method", sort=False)["value"].mean()


def headline(results: pd.DataFrame) -> dict[str, pd.DataFrame]:
    """``{dataset: table}``; rows are methods, in the order the study ran them."""
    ua = results[results["metric"] == "UA"]
    tables = {}
    for dataset, rows in ua.groupby("dataset", sort=False):
        columns = {}
        conditions = rows[rows["protocol"] == "conditions"]
        if len(conditions):
            full = conditions.groupby("setting")["setting"].first().str.count(r"\+").idxmax()
            columns["fixed missing conditions"] = _mean_over(conditions[conditions["setting"] != full])
        rates = rows[rows["protocol"] == "rates"]
        if len(rates):
            columns["missing rates > 0"] = _mean_over(rates[rates["setting"].astype(str) != "0.0"])
        labels = rows[rows["protocol"] == "labels, 30% missing"]
        for fraction, name in (("0.01", "1% labels, 30% missing"), ("0.05", "5% labels, 30% missing")):
            kept = labels[labels["train_setting"].astype(str).str.endswith(fraction)]
            if len(kept):
                columns[name] = _mean_over(kept)
        fit = rows.groupby("method", sort=False)["fit_time"].mean()
        if len(conditions):  # the same training setting for every method
            fit = conditions.groupby("method", sort=False)["fit_time"].mean().combine_first(fit)
        columns["fit s / fold"] = fit
        order = list(dict.fromkeys(rows["method"]))
        tables[dataset] = pd.DataFrame(columns).reindex(order)
    return tables


def to_lines(tables: dict[str, pd.DataFrame]) -> list[str]:
    lines = []
    for dataset, table in tables.items():
        header = ["method", *table.columns]
        lines += [f"## {dataset}", "", "| " + " | ".join(header) + " |", "|---" * len(header) + "|"]
        for method, row in table.iterrows():
            cells = [
                "" if pd.isna(v) else f"{v:.1f}" if col.startswith("fit") else f"{v:.3f}"
                for col, v in row.items()
            ]
            lines.append(f"| {method} | " + " | ".join(cells) + " |")
        lines.append("")
    return lines


def across_datasets(tables: dict[str, pd.DataFrame], column: str) -> pd.DataFrame:
    """One headline column side by side for every dataset that has it (methods as rows)."""
    parts = {name: table[column] for name, table in tables.items() if column in table}
    # pandas sorts a union of differing indexes: keep the study's method order instead.
    order = list(dict.fromkeys(method for part in parts.values() for method in part.index))
    return pd.DataFrame(parts).reindex(order)


def across_lines(tables: dict[str, pd.DataFrame]) -> list[str]:
    lines = []
    for column in ("fixed missing conditions", "missing rates > 0", "5% labels, 30% missing"):
        table = across_datasets(tables, column).dropna(how="all")
        if table.shape[1] < 2:
            continue
        header = ["method", *table.columns]
        lines += [f"## Every dataset: {column}", "", "| " + " | ".join(header) + " |", "|---" * len(header) + "|"]
        for method, row in table.iterrows():
            lines.append(f"| {method} | " + " | ".join("" if pd.isna(v) else f"{v:.3f}" for v in row) + " |")
        lines.append("")
    return lines


def write_summary(results: pd.DataFrame, header: list[str], path: Path = RESULTS / "summary.md") -> Path:
    lines = ["# Study summary: balanced accuracy, mean over each protocol's settings", "", *header, ""]
    tables = headline(results)
    path.write_text("\n".join(lines + across_lines(tables) + to_lines(tables)) + "\n")
    return path


def main(argv=None) -> int:
    # No options; argparse gives --help and rejects a stray argument before anything is rewritten.
    argparse.ArgumentParser(description=__doc__.splitlines()[0]).parse_args(argv)
    results = pd.read_csv(RESULTS / "folds.csv")
    runs_file = RESULTS / "runs.csv"
    header = header_lines(pd.read_csv(runs_file), results["dataset"].unique()) if runs_file.exists() else []
    print(write_summary(results, header), file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
