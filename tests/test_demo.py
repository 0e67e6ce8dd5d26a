"""The demo command runs and prints one table of conditions x methods."""

import pytest

import skmmer.__main__ as cli


@pytest.fixture(scope="module")
def quick_table():
    return cli.run_demo(quick=True)


def test_demo_table_has_every_method_and_condition(quick_table):
    assert len(quick_table) == len(cli.TEST_MISSING_RATES)
    assert set(quick_table.columns.get_level_values(0)) == set(cli.demo_estimators())
    assert set(quick_table.columns.get_level_values(1)) == {"acc", "bal.acc"}
    values = quick_table.to_numpy()
    assert ((values >= 0) & (values <= 1)).all()


def test_demo_command_line_prints_the_table(quick_table, monkeypatch, capsys):
    monkeypatch.setattr(cli, "run_demo", lambda quick, random_state: quick_table)
    assert cli.main(["demo", "--quick"]) == 0
    out = capsys.readouterr().out
    assert "MaskedFusionClassifier" in out and "test missing rate 0.7" in out
