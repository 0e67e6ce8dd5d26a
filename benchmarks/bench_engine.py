"""Training-engine overhead: ``MaskedFusionClassifier.fit`` against a bare torch loop.

Both train the same network (``MaskedFusionNetwork``) with the same loss,
optimizer, epochs and batch size on the same tensors. The bare loop gets
its tensors prepared for free; ``fit`` pays for validation, standardization
and tensor creation as a user would. Runs alternate (round-robin) in one
process and each figure is the median of ``--repeats`` runs, because absolute
times drift between processes.

Usage::

    python benchmarks/bench_engine.py            # 2,000 rows, 50 epochs, 1 thread
    python benchmarks/bench_engine.py --quick    # fewer epochs, 1 repeat
"""

from __future__ import annotations

import argparse
import platform
import statistics
import sys
import time
from pathlib import Path

import numpy as np
import torch

from skmmer import MaskedFusionClassifier
from skmmer.fusion._network import MaskedFusionNetwork
from skmmer.masking import observed_modalities, simulate_missing
from skmmer.nn import masked_cross_entropy

sys.path.insert(0, str(Path(__file__).parent))
from run_benchmarks import command_line, write_report  # noqa: E402

SIZES = [73, 100, 100]  # MOSI's audio / video / text widths
RESULTS = Path(__file__).parent / "results" / "engine"


def make_data(n_rows: int, seed: int = 0):
    rng = np.random.RandomState(seed)
    y = rng.randint(0, 3, n_rows)
    X = rng.normal(size=(n_rows, sum(SIZES))) + 0.5 * np.eye(3)[y].repeat(91, axis=1)[:, : sum(SIZES)]
    return simulate_missing(X, SIZES, rate=0.3, random_state=seed), y


def bare_loop(X, y, epochs: int, batch_size: int, hidden: int) -> float:
    """The floor: tensors ready, a plain torch loop, nothing else."""
    x = torch.from_numpy(np.nan_to_num((X - np.nanmean(X, 0)) / np.nanstd(X, 0)).astype(np.float32))
    observed = torch.from_numpy(observed_modalities(X, SIZES))
    target = torch.from_numpy(y)
    torch.manual_seed(0)
    start = time.perf_counter()
    net = MaskedFusionNetwork(SIZES, 3, hidden_dim=hidden, embed_dim=64, fusion="mean", dropout=0.1)
    optimizer = torch.optim.Adam(net.parameters(), lr=1e-3)
    net.train()
    for _ in range(epochs):
        order = torch.randperm(len(x))
        for i in range(0, len(x), batch_size):
            rows = order[i : i + batch_size]
            loss = masked_cross_entropy(net(x[rows], observed[rows]), target[rows])
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
    return time.perf_counter() - start


def skmmer_fit(X, y, epochs: int, batch_size: int, hidden: int) -> float:
    clf = MaskedFusionClassifier(
        modalities=SIZES, max_epochs=epochs, batch_size=batch_size, hidden_dim=hidden,
        early_stopping=False, n_iter_no_change=10**6, random_state=0, device="cpu",
    )
    start = time.perf_counter()
    clf.fit(X, y)
    return time.perf_counter() - start


def skmmer_predict(X, y) -> tuple[float, float]:
    clf = MaskedFusionClassifier(modalities=SIZES, max_epochs=1, random_state=0, device="cpu").fit(X, y)
    x = torch.from_numpy(np.nan_to_num(X).astype(np.float32))
    observed = torch.ones(len(X), 3, dtype=torch.bool)
    start = time.perf_counter()
    with torch.inference_mode():
        clf.module_(x, observed)
    floor = time.perf_counter() - start
    start = time.perf_counter()
    clf.predict_proba(X)
    return floor, time.perf_counter() - start


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=2000)
    parser.add_argument("--epochs", type=int, default=50)
    parser.add_argument("--batch-size", type=int, default=128)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--quick", action="store_true")
    args = parser.parse_args(argv)
    if args.quick:
        args.epochs, args.repeats = 10, 1
    torch.set_num_threads(args.threads)  # a benchmark script, not the library

    X, y = make_data(args.rows)
    rows = []
    for hidden in (128, 8):
        times = {"bare torch loop": [], "MaskedFusionClassifier.fit": []}
        for _ in range(args.repeats):
            times["bare torch loop"].append(bare_loop(X, y, args.epochs, args.batch_size, hidden))
            times["MaskedFusionClassifier.fit"].append(skmmer_fit(X, y, args.epochs, args.batch_size, hidden))
        floor = statistics.median(times["bare torch loop"])
        for name, values in times.items():
            median = statistics.median(values)
            rows.append((hidden, name, median, median / floor))
            print(f"hidden={hidden:4d} {name:28s} {median:7.3f} s  {median / floor:5.2f}x", file=sys.stderr)
    predict_floor, predict_time = skmmer_predict(X, y)

    command = command_line(__file__, argv)
    lines = [
        "# Training-engine overhead",
        "",
        f"Command: `{command}`",
        "",
        f"{args.rows} rows, blocks {SIZES}, {args.epochs} epochs, batch {args.batch_size}, "
        f"{args.threads} torch thread(s), median of {args.repeats} round-robin runs, CPU.",
        f"torch {torch.__version__}, numpy {np.__version__}, Python {platform.python_version()}, "
        f"{platform.machine()}, {torch.get_num_threads()} thread(s).",
        "",
        "| hidden | variant | fit time (s) | ratio to bare loop |",
        "|---|---|---|---|",
        *[f"| {h} | {name} | {t:.3f} | {r:.2f}x |" for h, name, t, r in rows],
        "",
        f"predict_proba on {args.rows} rows: {predict_time * 1000:.1f} ms "
        f"(one bare forward pass: {predict_floor * 1000:.1f} ms).",
        "",
    ]
    write_report(RESULTS / "engine_overhead.md", lines)
    return 0


if __name__ == "__main__":
    sys.exit(main())
