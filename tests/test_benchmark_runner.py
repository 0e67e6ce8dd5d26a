"""The benchmark runner's bookkeeping: runs merge into one study without losing rows."""

import sys
from pathlib import Path

import pandas as pd
import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "benchmarks"))
run_benchmarks = pytest.importorskip("run_benchmarks")


def _rows(dataset, protocol, methods, value):
    return pd.DataFrame(
        {"dataset": dataset, "protocol": protocol, "method": methods, "value": value}
    )


def test_a_run_replaces_only_the_rows_it_redid():
    previous = pd.concat([
        _rows("mosi", "rates", ["A", "B"], 0.1),
        _rows("mosi", "conditions", ["A", "B"], 0.2),
        _rows("deap", "rates", ["A", "B"], 0.3),
    ], ignore_index=True)
    new = _rows("mosi", "rates", ["A"], 0.9)  # "A" was first before
    merged = run_benchmarks.merge_with_previous(new, previous)
    assert len(merged) == len(previous)
    key = merged.set_index(["dataset", "protocol", "method"])["value"]
    assert key[("mosi", "rates", "A")] == 0.9
    assert key[("mosi", "rates", "B")] == 0.1
    assert key[("mosi", "conditions", "A")] == 0.2
    assert key[("deap", "rates", "B")] == 0.3
    assert run_benchmarks.merge_with_previous(new, None) is new
    # the re-run method keeps its place: methods appear in their first order
    assert list(dict.fromkeys(merged["method"])) == ["A", "B"]


def test_runs_log_keeps_every_command_and_replaces_a_repeat(tmp_path):
    log = tmp_path / "runs.csv"
    run_benchmarks.record_runs(log, ["mosi"], "cmd one", 1.0)
    run_benchmarks.record_runs(log, ["deap", "wesad"], "cmd two", 2.0)
    runs = run_benchmarks.record_runs(log, ["mosi"], "cmd one", 3.0)
    assert sorted(zip(runs["dataset"], runs["command"])) == [
        ("deap", "cmd two"), ("mosi", "cmd one"), ("wesad", "cmd two")
    ]
    assert runs.set_index("dataset").loc["mosi", "minutes"] == 3.0
    lines = run_benchmarks.header_lines(runs, ["deap", "wesad"])
    assert len(lines) == 1 and lines[0].startswith("- deap, wesad: `cmd two` (2.0 min;")
