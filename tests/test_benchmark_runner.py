"""The benchmark runner's bookkeeping: runs merge into one study without losing rows."""

import sys
from pathlib import Path

import numpy as np
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
    # ...and datasets keep the study's order, not the re-run's position at the end
    assert list(dict.fromkeys(merged["dataset"])) == ["mosi", "deap"]
    redo_mosi = run_benchmarks.merge_with_previous(previous[previous["dataset"] == "mosi"], previous)
    assert list(dict.fromkeys(redo_mosi["dataset"])) == ["mosi", "deap"]


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


def test_runs_log_drops_a_run_whose_every_cell_was_redone(tmp_path):
    log = tmp_path / "runs.csv"
    cmd = "python benchmarks/run_benchmarks.py "
    run_benchmarks.record_runs(log, ["mosi", "mfeat"], cmd + "--protocols conditions rates", 9.0)
    run_benchmarks.record_runs(log, ["mfeat"], cmd + "--datasets mfeat --protocols rates --methods MLP", 1.0)
    run_benchmarks.record_runs(log, ["mfeat"], cmd + "--datasets mfeat --protocols labels", 5.0)
    # redoes MLP's rates but only part of the first run's (conditions, other methods): both kept
    runs = run_benchmarks.record_runs(log, ["mfeat"], cmd + "--datasets mfeat --protocols rates --methods MLP Fusion", 1.5)
    assert len(runs) == 4 + 1 - 1
    # every method on both protocols, on mfeat only: the first run's mfeat entry and the MLP runs go
    runs = run_benchmarks.record_runs(log, ["mfeat"], cmd + "--datasets mfeat --protocols conditions rates", 4.0)
    assert sorted(zip(runs["dataset"], runs["command"])) == [
        ("mfeat", cmd + "--datasets mfeat --protocols conditions rates"),
        ("mfeat", cmd + "--datasets mfeat --protocols labels"),
        ("mosi", cmd + "--protocols conditions rates"),
    ]


def test_side_by_side_tables_keep_the_study_order():
    summarize_study = pytest.importorskip("summarize_study")
    tables = {
        "mosi": pd.DataFrame({"rates": [0.7, 0.6, None]}, index=["Zeta", "Alpha", "Semi"]),
        "mfeat": pd.DataFrame({"rates": [0.9, 0.8]}, index=["Zeta", "Alpha"]),
    }
    table = summarize_study.across_datasets(tables, "rates")
    assert list(table.index) == ["Zeta", "Alpha", "Semi"]  # not sorted alphabetically
    assert list(table.columns) == ["mosi", "mfeat"]
    assert table.loc["Alpha", "mfeat"] == 0.8 and pd.isna(table.loc["Semi", "mfeat"])


def test_speed_rows_re_measured_replace_only_themselves(tmp_path):
    bench_speed = pytest.importorskip("bench_speed")

    def rows(estimator, sizes, fit, command):
        return pd.DataFrame({
            "estimator": estimator, "rows": [r for r, _ in sizes], "modalities": [m for _, m in sizes],
            "device": "cpu", "fit_s": fit, "predict_s": 0.1, "peak_mb": 400.0, "command": command,
        })

    full = pd.concat([rows("A", [(1000, 3), (5000, 3), (2000, 2)], 1.0, "full"),
                      rows("B", [(1000, 3)], 2.0, "full")])
    full.to_csv(tmp_path / "speed.csv", index=False)
    merged = bench_speed.merge_measurements(rows("A", [(5000, 3)], 9.0, "redo A"), tmp_path / "speed.csv")
    assert len(merged) == 4
    fit = merged.set_index(["estimator", "rows", "modalities"])["fit_s"]
    assert fit[("A", 5000, 3)] == 9.0 and fit[("A", 1000, 3)] == 1.0 and fit[("B", 1000, 3)] == 2.0
    # sizes grow with rows first, then with modalities, within each estimator
    assert list(zip(merged["estimator"], merged["rows"])) == [("A", 1000), ("A", 5000), ("A", 2000), ("B", 1000)]
    text = bench_speed.render(merged)
    assert "1. `full`\n" in text and "2. `redo A`\n" in text  # runs from before times were kept
    timed = rows("A", [(5000, 3)], 9.0, "redo A").assign(minutes=4.25, date="2026-11-24")
    text = bench_speed.render(bench_speed.merge_measurements(timed, tmp_path / "speed.csv"))
    assert "2. `redo A` (4.2 min, 2026-11-24)" in text and "1. `full`\n" in text
    a_5000 = next(line for line in text.splitlines() if line.startswith("| A | 5000 |"))
    assert "| 9.00 |" in a_5000 and a_5000.endswith("| 2 |")  # measured by the second command


@pytest.mark.parametrize(
    "script", sorted(p.stem for p in (Path(__file__).resolve().parents[1] / "benchmarks").glob("*.py"))
)
def test_every_benchmark_script_imports(script):
    """A refactor of a shared helper must not leave a benchmark script broken."""
    import importlib

    module = importlib.import_module(script)
    if script.startswith(("bench_", "run_")):
        assert callable(module.main)


def test_report_header_names_the_command_time_and_machine():
    first, machine = run_benchmarks.environment_lines("python benchmarks/bench_x.py --n-jobs 2", 90.0)
    assert first == "Command: `python benchmarks/bench_x.py --n-jobs 2` (1.5 min)."
    assert machine.startswith("Python ") and ("CPU only" in machine or "CUDA: " in machine)


@pytest.mark.parametrize("flag, expected", [("auto", "auto"), ("true", True)])
def test_early_stopping_flag_reaches_every_skmmer_estimator(flag, expected):
    from _config import estimators_for
    from sklearn.pipeline import Pipeline

    choice = run_benchmarks.EARLY_STOPPING_CHOICES[flag]
    methods = estimators_for({"a": 2, "b": 2}, semi_supervised=True, quick=False, early_stopping=choice)
    steps = [s for est in methods.values() for _, s in (est.steps if isinstance(est, Pipeline) else [("", est)])]
    ours = [s for s in steps if type(s).__module__.startswith("skmmer")]
    assert len(ours) == 8  # seven estimators and the CMDM ablation
    assert {s.early_stopping for s in ours} == {expected}


def test_subset_scheme_report_averages_conditions_by_views_kept():
    bench = pytest.importorskip("bench_subset_schemes")
    settings = ["a", "b", "c", "a+b", "a+c", "b+c", "a+b+c"]
    rows = [
        {"method": "M", "fold": fold, "metric": "UA", "setting": s, "value": value}
        for fold in (0, 1)
        for s, value in zip(settings, [0.1, 0.2, 0.3, 0.5, 0.5, 0.5, 0.9])
    ]
    rows = [{**r, "value": r["value"] + (0.2 if r["fold"] == 1 else 0.0)} for r in rows]
    table = bench.by_views_kept(pd.DataFrame(rows), n_modalities=3)
    assert table.loc["M", "one"] == "0.3000 ± 0.1414"  # folds 0.2 and 0.4
    assert table.loc["M", "all but 1"] == "0.6000 ± 0.1414"
    assert table.loc["M", "all"] == "1.0000 ± 0.1414"
    assert list(table.columns) == ["one", "all but 1", "all"]


def test_imagination_summary_averages_per_seed_means_over_seeds():
    bench = pytest.importorskip("bench_imagination")
    rows = []
    for seed, shift in ((0, 0.0), (1, 0.2)):
        for condition, value in (("full", 0.9), ("a", 0.5), ("b", 0.7)):
            rows.append(dict(dataset="d", method="M", seed=seed, condition=condition,
                             balanced_accuracy=value + shift, accuracy=value, fit_s=1.0 + seed))
    table = bench.summarize(pd.DataFrame(rows)).set_index("method")
    # per seed: mean over the missing conditions 0.6 and 0.8; then their mean and spread
    assert table.loc["M", "bacc_mean_missing"] == pytest.approx(0.7)
    assert table.loc["M", "bacc_mean_missing_sd"] == pytest.approx(0.2 / 2**0.5)
    assert table.loc["M", "bacc_full"] == pytest.approx(1.0)
    assert table.loc["M", "fit_s"] == pytest.approx(1.5)
    one_seed = bench.summarize(pd.DataFrame([r for r in rows if r["seed"] == 0]))
    assert "bacc_mean_missing_sd" not in one_seed.columns
    assert one_seed.loc[0, "bacc_mean_missing"] == pytest.approx(0.6)


def test_imagination_summary_averages_the_folds_of_a_cross_validated_dataset_within_each_seed():
    bench = pytest.importorskip("bench_imagination")
    rows = [
        dict(dataset="d", method="M", seed=seed, fold=fold, condition=condition,
             balanced_accuracy=value + 0.1 * fold + 0.2 * seed, accuracy=value, fit_s=1.0 + fold)
        for seed in (0, 1) for fold in (0, 1) for condition, value in (("full", 0.8), ("a", 0.4), ("b", 0.6))
    ]
    table = bench.summarize(pd.DataFrame(rows)).set_index("method")
    # seed 0: missing mean over folds (0.5 + 0.6) / 2 = 0.55; seed 1: 0.75
    assert table.loc["M", "bacc_mean_missing"] == pytest.approx(0.65)
    assert table.loc["M", "bacc_mean_missing_sd"] == pytest.approx(0.2 / 2**0.5)
    assert table.loc["M", "bacc_full"] == pytest.approx((0.85 + 1.05) / 2)
    assert table.loc["M", "fit_s"] == pytest.approx(1.5)


def test_study_command_defaults_to_the_estimators_early_stopping():
    assert run_benchmarks.build_parser().parse_args([]).early_stopping == "auto"
    args = run_benchmarks.build_parser().parse_args(["--early-stopping", "true"])
    assert run_benchmarks.EARLY_STOPPING_CHOICES[args.early_stopping] is True


def test_report_helpers_name_the_command_and_write_what_they_print(tmp_path, capsys):
    assert run_benchmarks.command_line("/any/where/bench_x.py", ["--n-jobs", "2"]) == (
        "python benchmarks/bench_x.py --n-jobs 2"
    )
    assert run_benchmarks.command_line("bench_x.py", []) == "python benchmarks/bench_x.py"
    assert run_benchmarks.command_line("bench_x.py", ["--methods", "mean impute + Logistic", "MLP"]) == (
        "python benchmarks/bench_x.py --methods 'mean impute + Logistic' MLP"
    )
    report = tmp_path / "new_folder" / "report.md"
    run_benchmarks.write_report(report, ["# Title", "", "| a |"])
    assert report.read_text() == "# Title\n\n| a |"
    assert "# Title\n\n| a |" in capsys.readouterr().out


def test_seeded_study_summary_averages_fold_means_over_seeds():
    seeds = pytest.importorskip("_seeds")
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline

    methods = {"lr": make_pipeline(LogisticRegression(random_state=9))}
    seeded = seeds.with_seeds(methods, [3, 4])
    assert list(seeded) == ["lr [seed 3]", "lr [seed 4]"]
    assert seeded["lr [seed 4]"].get_params()["logisticregression__random_state"] == 4
    assert methods["lr"].get_params()["logisticregression__random_state"] == 9  # untouched
    assert list(seeds.with_seeds(methods, [5])) == ["lr"]
    assert list(seeds.with_seeds(methods, [5], name_seeds=True)) == ["lr [seed 5]"]
    with pytest.raises(ValueError, match="seed-suffixed"):
        seeds.with_seeds(methods, [1, 2], name_seeds=False)

    cell = dict(dataset="d", protocol="p", train_setting="t", setting="s", metric="UA", fit_time=1.0)
    results = pd.DataFrame([
        dict(cell, method="lr [seed 3]", fold=0, value=0.6),
        dict(cell, method="lr [seed 3]", fold=1, value=0.8),  # seed 3: 0.7
        dict(cell, method="lr [seed 4]", fold=0, value=0.4),
        dict(cell, method="lr [seed 4]", fold=1, value=0.6),  # seed 4: 0.5
    ])
    summary = seeds.summarize_over_seeds(results)
    assert len(summary) == 1
    row = summary.iloc[0]
    assert row["method"] == "lr"
    assert row["mean"] == pytest.approx(0.6)
    assert row["std"] == pytest.approx(0.1414, abs=1e-4)  # over the two seed means, not the folds
    assert (row["n_folds"], row["n_seeds"]) == (2, 2)
    unseeded = seeds.summarize_over_seeds(results.assign(method="lr"))
    assert unseeded.iloc[0]["std"] == pytest.approx(results["value"].std())
    # a row without a seed is never silently dropped from a seeded summary
    mixed = pd.concat([results, results.iloc[:1].assign(method="other")], ignore_index=True)
    with pytest.raises(ValueError, match="mix seed-suffixed"):
        seeds.summarize_over_seeds(mixed)
    # a seed with a failed fold fails the cell: no mean over the seeds that ran
    failed = results.assign(value=results["value"].where(results.index != 2))
    row = seeds.summarize_over_seeds(failed).iloc[0]
    assert np.isnan(row["mean"]) and np.isnan(row["std"]) and row["n_failed"] == 1


def test_mosi_feature_audit_separates_training_only_signal_from_real_signal():
    """A block that predicts the label only on the training split is flagged; a real one is not."""
    audit = pytest.importorskip("audit_mosi_features")
    from sklearn.utils import Bunch

    rng = np.random.RandomState(0)
    n_train, n_test = 400, 400
    y = rng.randint(0, 2, n_train + n_test)
    groups = np.repeat(np.arange((n_train + n_test) // 10), 10)
    real = y[:, None] + rng.normal(scale=1.0, size=(len(y), 3))  # same signal in both splits
    leaky = rng.normal(size=(len(y), 3))
    leaky[:n_train] += 3.0 * y[:n_train, None]  # signal only in the training rows
    data = Bunch(
        X=np.hstack([real, leaky]), y=y, groups=groups, modalities={"real": 3, "leaky": 3},
        split={"train": np.arange(n_train), "test": np.arange(n_train, n_train + n_test)},
    )
    rows = {name: scores for name, *scores in audit.audit(data)}
    assert list(rows) == ["real", "leaky", "all modalities"]
    train_cv, test_cv, transfer = rows["leaky"]
    assert train_cv > 0.9 and test_cv < 0.65 and transfer < 0.65
    train_cv, test_cv, transfer = rows["real"]
    assert min(train_cv, test_cv, transfer) > 0.75 and abs(train_cv - test_cv) < 0.1


def test_seeded_study_writes_one_row_per_method_with_the_spread_over_seeds(tmp_path):
    args = run_benchmarks.build_parser().parse_args(["--seeds", "0", "1"])
    assert run_benchmarks.output_folder(args) == "seeds"  # never mixed into the single-seed study
    assert run_benchmarks.output_folder(run_benchmarks.build_parser().parse_args([])) == "all"
    quick_seeds = run_benchmarks.build_parser().parse_args(["--quick", "--seeds", "0", "1"])
    assert run_benchmarks.output_folder(quick_seeds) == "quick"
    assert run_benchmarks.seed_suffixed_names(quick_seeds)  # two seeds need two names
    from _seeds import with_seeds
    from sklearn.linear_model import LogisticRegression

    seeded = with_seeds({"lr": LogisticRegression()}, quick_seeds.seeds,
                        name_seeds=run_benchmarks.seed_suffixed_names(quick_seeds))
    assert {name: est.random_state for name, est in seeded.items()} == {"lr [seed 0]": 0, "lr [seed 1]": 1}
    assert not run_benchmarks.seed_suffixed_names(run_benchmarks.build_parser().parse_args([]))
    # one seed other than the study's 0 would mix seeds among the study's cells
    assert run_benchmarks.output_folder(run_benchmarks.build_parser().parse_args(["--seeds", "3"])) == "seeds"

    cell = dict(dataset="mosi", protocol="labels, 30% missing", setting="observed", fold=0, fit_time=1.0)
    rows = [
        dict(cell, method=f"lr [seed {seed}]", train_setting=f"labels={fraction}", metric=metric, value=value)
        for seed, offset in ((0, 0.0), (1, 0.2))
        for fraction in ("0.05", "1.0")
        for metric in ("UA", "WA")
        for value in [0.5 + offset]
    ]
    results = pd.DataFrame(rows)
    runs = pd.DataFrame({"dataset": ["mosi"], "command": ["cmd"], "minutes": [1.0], "environment": ["env"]})
    run_benchmarks.write_tables(results, runs, tmp_path)
    text = (tmp_path / "labels.md").read_text()
    assert "mean ± std over seeds (n_seeds per cell: 2)" in text
    assert "| lr | 0.6000 ± 0.1414 | 0.6000 ± 0.1414 |" in text
    assert "[seed" not in text

    summarize_study = pytest.importorskip("summarize_study")
    path = summarize_study.write_summary(
        run_benchmarks.without_seed_suffix(results), [], tmp_path / "summary.md"
    )
    assert "| lr | 0.600 |" in path.read_text()


def test_a_variant_dataset_writes_apart_from_the_study_and_never_beside_its_corpora(capsys):
    parse = run_benchmarks.build_parser().parse_args
    assert run_benchmarks.output_folder(parse(["--datasets", "mosi_test_videos"])) == "variants"
    assert run_benchmarks.output_folder(parse(["--datasets", "mosi"])) == "all"
    assert run_benchmarks.output_folder(parse(["--datasets", "mosi_test_videos", "--seeds", "0", "1"])) == "seeds"
    with pytest.raises(SystemExit):
        run_benchmarks.main(["--datasets", "mosi", "mosi_test_videos"])
    assert "runs without the study's corpora" in capsys.readouterr().err


def test_protocol_tables_name_only_the_commands_that_ran_that_protocol(tmp_path):
    cell = dict(dataset="mosi", fold=0, fit_time=1.0, metric="UA", value=0.5, method="lr")
    results = pd.DataFrame([
        dict(cell, protocol="labels, 30% missing", train_setting="labels=0.05", setting="observed"),
        dict(cell, protocol="conditions", train_setting="subsets", setting="audio"),
    ])
    base = "python benchmarks/run_benchmarks.py --datasets mosi"
    runs = pd.DataFrame({
        "dataset": ["mosi", "mosi", "mosi"],
        "command": [f"{base} --protocols labels", f"{base} --protocols conditions rates", base],
        "minutes": [1.0, 2.0, 3.0], "environment": "env",
    })
    run_benchmarks.write_tables(results, runs, tmp_path)
    labels, conditions = (tmp_path / "labels.md").read_text(), (tmp_path / "conditions.md").read_text()
    assert "--protocols labels`" in labels and "--protocols conditions rates`" not in labels
    assert "--protocols conditions rates`" in conditions and "--protocols labels`" not in conditions
    assert f"`{base}`" in labels and f"`{base}`" in conditions  # every protocol by default


def test_mosi_test_videos_keeps_only_the_test_split_and_never_splits_a_video(monkeypatch):
    import _config
    from sklearn.utils import Bunch

    from skmmer.model_selection import make_splitter

    rng = np.random.default_rng(0)
    n_train, n_test = 40, 60
    fake = Bunch(
        X=rng.normal(size=(n_train + n_test, 4)), y=rng.integers(0, 2, n_train + n_test),
        modalities={"a": 2, "b": 2}, groups=np.repeat(np.arange(20), 5),
        split={"train": np.arange(n_train), "test": np.arange(n_train, n_train + n_test)},
    )
    monkeypatch.setattr(_config, "load_mosi", lambda data_home: fake)
    data = _config.ALL_DATASETS["mosi_test_videos"](None, False)
    np.testing.assert_array_equal(data["X"], fake.X[n_train:])
    np.testing.assert_array_equal(data["y"], fake.y[n_train:])
    assert "mosi_test_videos" not in _config.DATASETS  # a variant: never in the default study
    splitter = make_splitter(data["cv"], y=data["y"], groups=data["groups"])
    for train, test in splitter.split(data["X"], data["y"], data["groups"]):
        assert not set(data["groups"][train]) & set(data["groups"][test])


def test_population_part_scores_every_imputer_on_both_row_sets_with_the_same_masks():
    bench = pytest.importorskip("bench_diffusion")
    rng = np.random.default_rng(0)
    X = rng.normal(size=(80, 6))
    X[:, 3:] = X[:, :3] + 0.1 * rng.normal(size=(80, 3))  # block b follows block a
    modalities = {"a": 3, "b": 3}
    rows = []
    bench.population_part(
        "toy", X, modalities, np.arange(60), np.arange(60, 80), True, 3, rows,
    )
    df = pd.DataFrame(rows)
    methods = set(df["method"])
    assert {"mean", "knn", "iterative", "diffusion (conditional mean)"} <= methods
    assert set(df["rows"]) == {"same population", "test split"}
    # one row per (row set, scenario, method): every imputer is scored on every mask
    counts = df.groupby(["rows", "scenario"])["method"].nunique()
    assert (counts == len(methods)).all()
    assert set(df["scenario"]) == {"block:a", "block:b", "entries:30%", "entries:50%"}
    # the mean imputer's error on a hidden block is the block's spread about the
    # fitted rows' mean, in their units: about 1 here, never 0
    mean_rows = df[(df["method"] == "mean") & df["scenario"].str.startswith("block")]
    assert mean_rows["rmse"].between(0.5, 2.0).all()
    # coverage is reported for the draws only, and is a fraction
    cov = df["coverage90"].dropna()
    assert len(cov) == 2 * 4 and cov.between(0, 1).all()


def test_paired_gains_subtract_each_variant_from_its_method_fold_by_fold():
    from _paired import paired_gains

    rows = []
    for fold, (base, variant) in enumerate([(0.60, 0.65), (0.70, 0.69), (0.50, 0.50)]):
        for method, value in (("LR", base), ("LR, flagged", variant)):
            for metric in ("UA", "WA"):
                rows.append({"dataset": "d", "method": method, "train_setting": "t", "setting": "0.3",
                             "fold": fold, "metric": metric, "value": value})
    table = paired_gains(pd.DataFrame(rows), ", flagged", columns="setting")
    assert table.index.tolist() == [("d", "LR")]
    # (0.05 - 0.01 + 0) / 3, one fold up, one down, one tie
    assert table.loc[("d", "LR"), ("UA", "0.3")] == "+0.0133 (1 up, 1 down)"
    assert table.columns.tolist() == [("UA", "0.3"), ("WA", "0.3")]


@pytest.mark.parametrize(
    "script, parameter, value",
    [
        ("bench_indicator", "add_indicator", True),
        ("bench_class_weight", "class_weight", "balanced"),
    ],
)
def test_paired_benchmarks_fit_each_method_and_its_variant(script, parameter, value):
    import importlib

    benchmark = importlib.import_module(script).BENCHMARK
    estimators = benchmark.estimators([2, 2])
    variants = [name for name in estimators if name.endswith(benchmark.suffix)]
    assert len(variants) * 2 == len(estimators)
    for name in variants:
        base = estimators[name.removesuffix(benchmark.suffix)]
        changed = {
            key: v for key, v in estimators[name].get_params().items()
            if key.split("__")[-1] == parameter and v != base.get_params()[key]
        }
        assert list(changed.values()) == [value], (name, changed)
