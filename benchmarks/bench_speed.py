"""Speed and memory of every skmmer estimator on synthetic data.

For each public estimator (default parameters, fixed epochs so that sizes
compare): fit time and predict throughput as the number of rows grows
(1k, 5k, 20k) and as the number of modalities grows (2, 4, 8 blocks of 32
features), plus peak memory of the fit (resident set size, measured in a
fresh process per fit so one fit's memory does not hide another's). GPU
figures when a GPU is present, CPU otherwise; the device is in the table.

Usage::

    python benchmarks/bench_speed.py            # rows 1k/5k/20k, modalities 2/4/8
    python benchmarks/bench_speed.py --quick    # rows 1k/5k, modalities 2/4
    python benchmarks/bench_speed.py --estimators DiffusionImputer   # re-measure one

Results go to ``benchmarks/results/speed/speed.csv`` (and ``speed.md``): a
run replaces the rows it re-measured and keeps the others, and every row
names the command that measured it.
"""

from __future__ import annotations

import argparse
import datetime
import inspect
import json
import platform
import subprocess
import sys
import time
from pathlib import Path

import pandas as pd
import torch

import skmmer

sys.path.insert(0, str(Path(__file__).parent))
from run_benchmarks import command_line  # noqa: E402

RESULTS = Path(__file__).parent / "results" / "speed"
EPOCHS = 10

_CHILD = r"""
import json, resource, sys, time
import numpy as np
import skmmer
from skmmer.datasets import make_multimodal_classification
name, n_rows, n_modalities, epochs = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4])
X, y, modalities = make_multimodal_classification(
    n_samples=n_rows, modality_sizes=[32] * n_modalities, missing_rate=0.3, random_state=0)
cls = getattr(skmmer, name)
params = dict(modalities=modalities, random_state=0, early_stopping=False,
              max_epochs=epochs, n_iter_no_change=10**6)
est = cls(**params)
start = time.perf_counter()
est.fit(X, y) if hasattr(est, "predict") else est.fit(X)
fit = time.perf_counter() - start
start = time.perf_counter()
est.predict(X) if hasattr(est, "predict") else est.transform(X)
predict = time.perf_counter() - start
peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
print(json.dumps(dict(fit=fit, predict=predict, peak_mb=peak, device=str(est.device_))))
"""


def estimator_names() -> list[str]:
    return [n for n in skmmer.__all__ if inspect.isclass(getattr(skmmer, n, None))]


def measure(name: str, rows: int, modalities: int) -> dict:
    out = subprocess.run(
        [sys.executable, "-c", _CHILD, name, str(rows), str(modalities), str(EPOCHS)],
        capture_output=True, text=True, check=True,
    )
    return json.loads(out.stdout.strip().splitlines()[-1])


KEY = ["estimator", "rows", "modalities", "device"]


def merge_measurements(new: pd.DataFrame, previous_file: Path) -> pd.DataFrame:
    """``new`` plus the earlier rows it did not re-measure (same estimator, size and device)."""
    if not previous_file.exists():
        return new
    previous = pd.read_csv(previous_file)
    redone = set(map(tuple, new[KEY].to_numpy()))
    kept = previous[[tuple(row) not in redone for row in previous[KEY].to_numpy()]]
    merged = pd.concat([kept, new], ignore_index=True)
    # rows grow first, then modalities, as in the docstring
    merged["_by_rows"] = merged["modalities"] != 3
    merged = merged.sort_values(["estimator", "_by_rows", "rows", "modalities"], kind="stable")
    return merged.drop(columns="_by_rows").reset_index(drop=True)


def _command_label(table: pd.DataFrame, command: str) -> str:
    """The command, with its wall time and date when the run recorded them."""
    rows = table[table["command"] == command]
    if "minutes" not in rows or rows["minutes"].isna().all():
        return f"`{command}`"  # measured before runs recorded their time
    return f"`{command}` ({rows['minutes'].dropna().iloc[0]:.1f} min, {rows['date'].dropna().iloc[0]})"


def render(table: pd.DataFrame) -> str:
    """The markdown table of ``speed.csv``, with the command behind each row."""
    commands = list(dict.fromkeys(table["command"]))
    lines = [
        "# Speed and peak memory",
        "",
        f"Python {platform.python_version()}, torch {torch.__version__}, {platform.machine()}, "
        f"{torch.get_num_threads()} torch threads by default; {EPOCHS} epochs per fit (early "
        "stopping off), synthetic data with 32 features per modality and 30% of modality "
        "blocks missing. Commands (the `run` column):",
        "",
        *[f"{i}. {_command_label(table, command)}" for i, command in enumerate(commands, start=1)],
        "",
        "| estimator | rows | modalities | device | fit (s) | fit rows/s/epoch | predict rows/s "
        "| peak RSS (MB) | run |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for r in table.itertuples():
        lines.append(
            f"| {r.estimator} | {r.rows} | {r.modalities} | {r.device} | {r.fit_s:.2f} | "
            f"{r.rows * EPOCHS / r.fit_s:.0f} | {r.rows / r.predict_s:.0f} | {r.peak_mb:.0f} | "
            f"{commands.index(r.command) + 1} |"
        )
    return "\n".join(lines) + "\n"


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--estimators", nargs="+", default=None)
    args = parser.parse_args(argv)
    row_sizes = (1000, 5000) if args.quick else (1000, 5000, 20000)
    modality_counts = (2, 4) if args.quick else (2, 4, 8)
    names = args.estimators or estimator_names()

    command = command_line(__file__, argv)
    start = time.perf_counter()
    measured = []
    for name in names:
        for rows, n_modalities in [(r, 3) for r in row_sizes] + [(2000, m) for m in modality_counts]:
            result = measure(name, rows, n_modalities)
            measured.append(
                dict(estimator=name, rows=rows, modalities=n_modalities, device=result["device"],
                     fit_s=result["fit"], predict_s=result["predict"], peak_mb=result["peak_mb"],
                     command=command)
            )
            print(name, rows, n_modalities, result, file=sys.stderr, flush=True)

    new = pd.DataFrame(measured).assign(
        minutes=round((time.perf_counter() - start) / 60, 1), date=datetime.date.today().isoformat()
    )
    RESULTS.mkdir(parents=True, exist_ok=True)
    table = merge_measurements(new, RESULTS / "speed.csv")
    table.to_csv(RESULTS / "speed.csv", index=False)
    markdown = render(table)
    (RESULTS / "speed.md").write_text(markdown)
    print(markdown)
    return 0


if __name__ == "__main__":
    sys.exit(main())
