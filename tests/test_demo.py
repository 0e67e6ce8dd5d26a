"""The demo command runs and prints one table of conditions x methods."""

import pytest
import torch

import skmmer
import skmmer.__main__ as cli


@pytest.fixture(scope="module")
def quick_table():
    return cli.run_demo(quick=True, n_jobs=1)


def test_demo_table_has_every_method_and_condition(quick_table):
    assert len(quick_table) == len(cli.TEST_MISSING_RATES)
    assert set(quick_table.columns.get_level_values(0)) == set(cli.demo_estimators())
    assert set(quick_table.columns.get_level_values(1)) == {"acc", "bal.acc"}
    values = quick_table.to_numpy()
    assert ((values >= 0) & (values <= 1)).all()


def test_demo_command_line_prints_the_table(quick_table, monkeypatch, capsys):
    calls = []

    def fake_run_demo(**kwargs):
        calls.append(kwargs)
        return quick_table

    monkeypatch.setattr(cli, "run_demo", fake_run_demo)
    assert cli.main(["demo", "--quick", "--n-jobs", "2"]) == 0
    out = capsys.readouterr().out
    assert "MaskedFusionClassifier" in out and "test missing rate 0.7" in out
    assert calls == [{"quick": True, "random_state": 0, "n_jobs": 2}]


def test_demo_caps_the_epochs_of_every_torch_estimator_pipelines_included():
    estimators = cli.demo_estimators()
    cli._cap_epochs(estimators, 7)
    capped = [
        value for estimator in estimators.values()
        for key, value in estimator.get_params().items() if key.split("__")[-1] == "max_epochs"
    ]
    # six torch classifiers and the DiffusionImputer inside its pipeline
    assert capped == [7] * 7


@pytest.mark.parametrize(
    "argv, message",
    [
        (["demo", "--n-jobs", "0"], "argument --n-jobs: 0 fits at a time"),
        (["demo", "--n-jobs", "two"], "argument --n-jobs: 'two' is not an integer"),
        (["demo", "--random-state", "-1"], "argument --random-state: -1 is not a seed"),
    ],
)
def test_demo_refuses_bad_arguments_with_a_usage_error(argv, message, capsys):
    with pytest.raises(SystemExit) as exit_:
        cli.main(argv)
    assert exit_.value.code == 2
    assert message in capsys.readouterr().err


def test_version(capsys):
    with pytest.raises(SystemExit):
        cli.main(["--version"])
    assert capsys.readouterr().out.strip().endswith(skmmer.__version__)


def test_demo_with_one_job_fits_on_one_thread_and_restores_it(quick_table, monkeypatch):
    threads = []
    monkeypatch.setattr(cli, "run_demo", lambda **kwargs: threads.append(torch.get_num_threads()) or quick_table)
    before = torch.get_num_threads()
    torch.set_num_threads(2)
    try:
        cli.main(["demo", "--n-jobs", "1"])
        assert threads == [1]
        assert torch.get_num_threads() == 2
    finally:
        torch.set_num_threads(before)


@pytest.mark.parametrize(
    "argv0, prog", [("/usr/local/bin/skmmer", "skmmer"), ("/x/skmmer/__main__.py", "python -m skmmer")]
)
def test_usage_names_the_program_as_it_was_run(argv0, prog, monkeypatch, capsys):
    monkeypatch.setattr("sys.argv", [argv0])
    with pytest.raises(SystemExit):
        cli.main(["--help"])
    assert capsys.readouterr().out.startswith(f"usage: {prog} ")
