"""Summaries of run_study results and markdown tables, without extra dependencies."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

__all__ = ["pivot_summary", "summarize", "to_markdown"]

_KEYS = ("method", "dataset", "protocol", "train_setting", "setting", "metric")
#: The columns summarize adds to its keys.
_STATISTICS = ("mean", "std", "n_folds", "n_failed", "fit_time")


def summarize(results: pd.DataFrame, *, by: Sequence[str] | None = None, ddof: int = 1) -> pd.DataFrame:
    """Mean and standard deviation over folds of every study cell.

    A cell with a failed fold (a NaN ``value``: a fit or predict that failed
    under ``error_score=np.nan``, or a metric undefined on that fold) has a
    NaN mean and std, as in scikit-learn's search results: a mean over the
    other folds would compare methods on different folds.

    Parameters
    ----------
    results : DataFrame
        The tidy output of :func:`run_study` (or several concatenated).
    by : sequence of str, default=None
        Grouping columns; by default those of ``method``, ``dataset``,
        ``protocol``, ``train_setting``, ``setting``, ``metric`` present.
    ddof : int, default=1
        Delta degrees of freedom of the std (1: sample std over folds; the
        std of a single fold is then NaN).

    Returns
    -------
    DataFrame
        The ``by`` columns, in the order the cells first appear, then
        ``mean``, ``std``, ``n_folds`` (folds of the cell), ``n_failed``
        (those with a NaN value) and the mean ``fit_time`` (over the fits
        that ran).

    Examples
    --------
    >>> import pandas as pd
    >>> from skmmer.model_selection import summarize
    >>> results = pd.DataFrame({"method": ["a", "a"], "metric": ["UA", "UA"],
    ...                         "fold": [0, 1], "value": [0.5, 0.7], "fit_time": [1.0, 3.0]})
    >>> summarize(results).round(3).to_dict("records")
    [{'method': 'a', 'metric': 'UA', 'mean': 0.6, 'std': 0.141, 'n_folds': 2, 'n_failed': 0, 'fit_time': 2.0}]
    """
    keys = [k for k in _KEYS if k in results.columns] if by is None else list(by)
    grouped = results.assign(_failed=results["value"].isna()).groupby(keys, sort=False, dropna=False)
    summary = pd.DataFrame(
        {
            "mean": grouped["value"].mean(),
            "std": grouped["value"].std(ddof=ddof),
            "n_folds": grouped["value"].size(),
            "n_failed": grouped["_failed"].sum(),
        }
    )
    summary.loc[summary["n_failed"] > 0, ["mean", "std"]] = np.nan
    if "fit_time" in results.columns:
        summary["fit_time"] = grouped["fit_time"].mean()
    return summary.reset_index()


def pivot_summary(
    summary: pd.DataFrame,
    *,
    rows: str | Sequence[str] = "method",
    columns: str = "setting",
    with_std: bool = True,
    digits: int = 4,
) -> pd.DataFrame:
    """A paper-style table of a summary: ``mean ± std`` cells, settings as columns.

    A cell with failed folds reads ``failed (k/n folds)``; one whose std is
    NaN (a single fold) shows the mean alone.

    Key columns of ``summary`` (all but its statistics) that vary and are
    neither ``rows`` nor ``columns`` (the metric, say, or a ``seed`` it was
    grouped by) are added to the rows, so no cell hides another; filter the
    summary first for a single-metric table.

    Parameters
    ----------
    summary : DataFrame
        Output of :func:`summarize`.
    rows : str or sequence of str, default="method"
        Row keys.
    columns : str, default="setting"
        Column key; columns keep the order the settings first appear in.
    with_std : bool, default=True
        Write ``mean ± std`` rather than the mean alone.
    digits : int, default=4
        Decimals.

    Returns
    -------
    DataFrame of str

    Examples
    --------
    >>> import pandas as pd
    >>> from skmmer.model_selection import pivot_summary
    >>> summary = pd.DataFrame({"method": ["a", "a"], "setting": ["full", "v"],
    ...                         "metric": ["UA", "UA"], "mean": [0.9, 0.6], "std": [0.01, 0.02]})
    >>> pivot_summary(summary, digits=2).to_dict("records")
    [{'method': 'a', 'full': '0.90 ± 0.01', 'v': '0.60 ± 0.02'}]
    """
    rows = [rows] if isinstance(rows, str) else list(rows)
    # Every column that is not a statistic is a key (those of summarize's ``by`` too):
    # one left out would put two cells in one place.
    keys = [k for k in summary.columns if k not in _STATISTICS]
    varying = [k for k in keys if k not in rows and k != columns and summary[k].nunique() > 1]
    rows = rows + varying
    no_value = pd.Series(np.nan, index=summary.index)
    stds = summary["std"] if with_std and "std" in summary.columns else no_value
    cells = [
        _cell_text(mean, std, n_failed, n_folds, digits)
        for mean, std, n_failed, n_folds in zip(
            summary["mean"], stds, summary.get("n_failed", no_value), summary.get("n_folds", no_value)
        )
    ]
    table = summary[rows].assign(_cell=cells, _column=summary[columns].astype(str))
    wide = table.pivot_table(
        index=rows, columns="_column", values="_cell", aggfunc="first", sort=False
    )
    wide = wide[list(pd.unique(table["_column"]))]  # settings in study order
    wide.columns.name = None
    return wide.reset_index()


def _cell_text(mean: float, std: float, n_failed: float, n_folds: float, digits: int) -> str:
    """``mean ± std``, the mean alone when std is NaN, or which folds failed."""
    if n_failed > 0:
        return f"failed ({int(n_failed)}/{int(n_folds)} folds)" if n_folds > 0 else "failed"
    text = f"{mean:.{digits}f}"
    if not np.isnan(std):
        text += f" ± {std:.{digits}f}"
    return text


def _markdown_cell(value, floatfmt: str) -> str:
    if isinstance(value, (float, np.floating)):
        text = "" if np.isnan(value) else format(value, floatfmt)
    else:
        text = str(value)
    # A pipe would end the cell and a newline the row.
    return text.replace("|", "\\|").replace("\n", " ")


def to_markdown(frame: pd.DataFrame, *, floatfmt: str = ".4f", index: bool = False) -> str:
    """A DataFrame as a GitHub-flavoured markdown table (no ``tabulate`` needed).

    Parameters
    ----------
    frame : DataFrame
        Typically :func:`summarize` or :func:`pivot_summary` output.
    floatfmt : str, default=".4f"
        Format spec of float cells; NaN is written as an empty cell.
    index : bool, default=False
        Include the index as the first column.

    Returns
    -------
    str
        The table, numeric columns right-aligned, ending with a newline.

    Examples
    --------
    >>> import pandas as pd
    >>> from skmmer.model_selection import to_markdown
    >>> print(to_markdown(pd.DataFrame({"method": ["a|b"], "UA": [0.61234]}), floatfmt=".2f"))
    | method | UA |
    | :--- | ---: |
    | a\\|b | 0.61 |
    <BLANKLINE>
    """
    if index:
        frame = frame.reset_index()
    header = [_markdown_cell(str(c), floatfmt) for c in frame.columns]
    numeric = [pd.api.types.is_numeric_dtype(frame[c]) for c in frame.columns]
    align = ["---:" if is_number else ":---" for is_number in numeric]
    lines = ["| " + " | ".join(header) + " |", "| " + " | ".join(align) + " |"]
    for record in frame.itertuples(index=False, name=None):
        lines.append("| " + " | ".join(_markdown_cell(v, floatfmt) for v in record) + " |")
    return "\n".join(lines) + "\n"
