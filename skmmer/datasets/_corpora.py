"""Loaders for the research corpora: CMU-MOSI, DEAP and WESAD.

These corpora are research-only and may not be redistributed, so skmmer ships
none of their data. Each loader reads one third-party release, in its
original file format, from a folder the user points to, and returns the
package's standard form: one NaN-masked float64 matrix with one column block
per modality.
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from importlib import resources
from pathlib import Path

import numpy as np
import pandas as pd
from scipy.io import loadmat
from sklearn.utils import Bunch

__all__ = ["load_deap", "load_mosi", "load_wesad"]

ENV_VAR = "SKMMER_DATA"

_MOSI_FOLDER = "cmu_mosi_poria_utterance"
_MOSI_MODALITIES = ("audio", "video", "text")

_DEAP_FOLDER = "deap_mvc_hgnn_features"
# Modality name -> (file stem, variable name) in the release, in column order.
_DEAP_FILES = {
    "eeg": ("deap_features_eeg", "deap_feats_eeg"),
    "emg": ("deap_features_emg", "deap_feats_emg"),
    "gsr": ("deap_features_gsr", "deap_feats_gsr"),
    "resp": ("deap_features_res", "deap_feats_res"),
}
_DEAP_TARGETS = {"valence": "vlabel", "arousal": "alabel"}

_WESAD_FOLDER = "wesad_sta440_windows"
_WESAD_FILE = "merged_wesad_data_0_5Hz.csv"
# Column-name markers of the two devices: RespiBAN chest strap, Empatica E4 wristband.
_WESAD_BLOCKS = {"chest": "_CHEST_", "wrist": "_EMP4_"}
_WESAD_CLASSES = ("Amused", "Stressed")


# --------------------------------------------------------------------------- #
# Shared helpers
# --------------------------------------------------------------------------- #
def _read_descr(name: str) -> str:
    """Text of ``descr/<name>.rst`` shipped with the package."""
    return resources.files("skmmer.datasets").joinpath("descr").joinpath(f"{name}.rst").read_text("utf-8")


def _candidate_homes(data_home) -> list[Path]:
    """Folders to search, in order: the argument, else ``$SKMMER_DATA`` then ``../shared/data``."""
    if data_home is not None:
        return [Path(data_home).expanduser()]
    homes = []
    env = os.environ.get(ENV_VAR)
    if env:
        homes.append(Path(env).expanduser())
    homes.append(Path.cwd().parent / "shared" / "data")
    return homes


def _find_release(data_home, folder: str, required: Iterable[str], corpus: str) -> Path:
    """The folder holding every ``required`` file of a release.

    A home may contain the release folder (``<home>/<folder>/...``, the layout
    of a shared data directory) or be the release folder itself.
    """
    required = list(required)
    looked = []
    for home in _candidate_homes(data_home):
        for root in (home / folder, home):
            looked.append(str(root))
            if all((root / name).is_file() for name in required):
                return root
    if data_home is not None:
        searched = "data_home"
    else:
        searched = f"${ENV_VAR} ({os.environ.get(ENV_VAR) or 'unset'}), then ../shared/data"
    raise FileNotFoundError(
        f"Could not find the {corpus} release (files {required}); searched {searched}, i.e. "
        f"{looked}. {corpus} is research-only and is not shipped with skmmer: obtain the "
        f"release, then pass data_home=<folder containing '{folder}/'> (or the release "
        f"folder itself), or set the {ENV_VAR} environment variable to that folder."
    )


def _finite_or_nan(values) -> np.ndarray:
    """A float64 copy with +-inf replaced by NaN (the package's only missing marker)."""
    array = np.array(values, dtype=np.float64)
    array[np.isinf(array)] = np.nan
    return array


def _as_int64(values, source: str) -> np.ndarray:
    """Labels, indices or ids read as numbers, checked to be whole."""
    values = np.asarray(values, dtype=np.float64)
    if not np.all(np.isfinite(values)) or np.any(values != np.round(values)):
        raise ValueError(f"{source}: expected whole numbers (labels, ids or row indices).")
    return values.astype(np.int64)


def _make_bunch(
    X: np.ndarray,
    y: np.ndarray,
    modalities: dict[str, int],
    feature_names: list[str],
    *,
    groups,
    split,
    target_names: list[str],
    descr: str,
) -> Bunch:
    return Bunch(
        X=X,
        y=y,
        modalities=modalities,
        feature_names=np.asarray(feature_names, dtype=object),
        groups=groups,
        split=split,
        target_names=np.asarray(target_names, dtype=object),
        DESCR=descr,
    )


# --------------------------------------------------------------------------- #
# CMU-MOSI
# --------------------------------------------------------------------------- #
def _mosi_required() -> list[str]:
    files = ["data/transcripts.csv"]
    for split in ("train", "test"):
        files += [f"data/{m}/{m}_{split}0.csv" for m in _MOSI_MODALITIES]
        files.append(f"data/text_{split}.csv")
    return files


def _read_headerless(path: Path) -> np.ndarray:
    """A headerless numeric CSV whose values may be quoted, as a float64 matrix."""
    # numpy rounds every decimal to the nearest double, so the values do not
    # depend on the pandas version's float parser.
    return np.loadtxt(path, delimiter=",", quotechar='"', dtype=np.float64, ndmin=2)


def _mosi_split(root: Path, split: str, video_of_row: np.ndarray, label_of_row: np.ndarray):
    """Features, labels and video ids of one split; checks the files line up."""
    blocks, labels = [], None
    for modality in _MOSI_MODALITIES:
        table = _read_headerless(root / "data" / modality / f"{modality}_{split}0.csv")
        block_labels = _as_int64(table[:, -1], f"{modality}_{split}0.csv")
        if labels is None:
            labels = block_labels
        elif not np.array_equal(labels, block_labels):
            raise ValueError(
                f"MOSI {split} split: {modality}_{split}0.csv does not have the same rows or "
                "labels as the other modality files; the release looks altered."
            )
        blocks.append(table[:, :-1])
    # Column 0 of text_<split>.csv is the row of transcripts.csv, which gives the video.
    rows = _as_int64(_read_headerless(root / "data" / f"text_{split}.csv")[:, 0], f"text_{split}.csv")
    if len(rows) != len(labels) or rows.min() < 0 or rows.max() >= len(video_of_row):
        raise ValueError(f"MOSI {split} split: text_{split}.csv does not index transcripts.csv.")
    if not np.array_equal(label_of_row[rows], labels):
        raise ValueError(
            f"MOSI {split} split: the labels disagree with transcripts.csv; the rows of "
            f"text_{split}.csv do not line up with the modality files."
        )
    return blocks, labels, video_of_row[rows]


def load_mosi(data_home: str | os.PathLike | None = None) -> Bunch:
    """Load CMU-MOSI utterance features (Poria et al. release) with its fixed split.

    2199 utterances of 93 opinion videos (one speaker each), binary
    sentiment, three modalities: audio (73 openSMILE-style statistics),
    video (100 CNN activations) and text (100 CNN features), in that column
    order. Rows are the release's training split (1447 utterances, 62
    videos) followed by its test split (752, 31 videos): a speaker-
    independent split. No modality is missing in the release.

    Parameters
    ----------
    data_home : str or path-like, default=None
        Folder containing ``cmu_mosi_poria_utterance/`` (or that folder
        itself). ``None`` looks in ``$SKMMER_DATA``, then in
        ``../shared/data`` relative to the working directory.

    Returns
    -------
    data : :class:`~sklearn.utils.Bunch`
        ``X`` (float64, 2199 x 273), ``y`` (int64, 1 = positive sentiment),
        ``modalities`` (``{"audio": 73, "video": 100, "text": 100}``),
        ``feature_names``, ``groups`` (int64 video number 1-93, one speaker
        per video), ``split`` (``{"train": indices, "test": indices}``),
        ``target_names`` and ``DESCR``.

    Raises
    ------
    FileNotFoundError
        If the release files are not found; the message lists where.
    ValueError
        If the files do not line up (rows or labels differ between them).

    Examples
    --------
    >>> from skmmer.datasets import load_mosi
    >>> data = load_mosi("../shared/data")  # doctest: +SKIP
    >>> data.X.shape, data.modalities  # doctest: +SKIP
    ((2199, 273), {'audio': 73, 'video': 100, 'text': 100})
    >>> X_train, y_train = data.X[data.split["train"]], data.y[data.split["train"]]  # doctest: +SKIP
    """
    root = _find_release(data_home, _MOSI_FOLDER, _mosi_required(), "CMU-MOSI")
    transcripts = pd.read_csv(root / "data" / "transcripts.csv", header=None)
    video_of_row = _as_int64(transcripts.iloc[:, 2], "transcripts.csv")
    label_of_row = _as_int64(transcripts.iloc[:, 3], "transcripts.csv")

    parts = [_mosi_split(root, split, video_of_row, label_of_row) for split in ("train", "test")]
    sizes = [block.shape[1] for block in parts[0][0]]
    if [block.shape[1] for block in parts[1][0]] != sizes:
        raise ValueError("MOSI: the train and test files have different numbers of columns.")
    X = _finite_or_nan(np.vstack([np.hstack(blocks) for blocks, _, _ in parts]))
    y = np.concatenate([labels for _, labels, _ in parts])
    groups = np.concatenate([videos for _, _, videos in parts])
    n_train = len(parts[0][1])

    modalities = dict(zip(_MOSI_MODALITIES, sizes, strict=True))
    names = [f"{m}_{j}" for m, size in modalities.items() for j in range(size)]
    split = {"train": np.arange(n_train), "test": np.arange(n_train, len(y))}
    return _make_bunch(
        X, y, modalities, names, groups=groups, split=split,
        target_names=["negative", "positive"], descr=_read_descr("mosi"),
    )


# --------------------------------------------------------------------------- #
# DEAP
# --------------------------------------------------------------------------- #
def _deap_channel_labels(mat: dict, n_channels: int) -> list[str]:
    """EEG channel names from the release's ``name`` variable, else indices."""
    names = mat.get("name")
    try:
        labels = [str(np.ravel(entry)[0]) for entry in np.ravel(names)][:n_channels]
    except (TypeError, IndexError):
        labels = []
    return labels if len(labels) == n_channels else [str(c) for c in range(n_channels)]


def _deap_feature_names(modality: str, n_channels: int, n_features: int, channels: list[str]) -> list[str]:
    if n_channels == 1:
        return [f"{modality}_{k}" for k in range(n_features)]
    return [f"{modality}_{c}_{k}" for c in channels for k in range(n_features)]


def load_deap(data_home: str | os.PathLike | None = None, *, target: str = "valence") -> Bunch:
    """Load DEAP per-trial physiological features (MVC_HGNN release).

    32 subjects x 40 music-video trials = 1280 rows; four modalities, in
    column order: EEG (32 channels x 6 features = 192), EMG (2 x 5 = 10),
    GSR (7) and respiration (12). Each ``[subject, trial, channel, feature]``
    array is flattened per trial in C order, so row ``r`` is subject
    ``r // 40``, trial ``r % 40``. Two GSR features are NaN in part of the
    trials (feature-level missingness: the GSR block stays observed).

    Parameters
    ----------
    data_home : str or path-like, default=None
        Folder containing ``deap_mvc_hgnn_features/`` (or that folder
        itself). ``None`` looks in ``$SKMMER_DATA``, then in
        ``../shared/data`` relative to the working directory.
    target : {"valence", "arousal"}, default="valence"
        Which binary rating to return as ``y`` (1 = high).

    Returns
    -------
    data : :class:`~sklearn.utils.Bunch`
        ``X`` (float64, 1280 x 221), ``y`` (int64), ``modalities``
        (``{"eeg": 192, "emg": 10, "gsr": 7, "resp": 12}``),
        ``feature_names``, ``groups`` (int64 subject 0-31), ``split=None``,
        ``target_names`` and ``DESCR``.

    Raises
    ------
    FileNotFoundError
        If the release files are not found; the message lists where.
    ValueError
        If ``target`` is unknown or the arrays disagree in shape.

    Examples
    --------
    >>> from skmmer.datasets import load_deap
    >>> data = load_deap("../shared/data", target="arousal")  # doctest: +SKIP
    >>> data.X.shape, data.modalities  # doctest: +SKIP
    ((1280, 221), {'eeg': 192, 'emg': 10, 'gsr': 7, 'resp': 12})
    """
    if target not in _DEAP_TARGETS:
        raise ValueError(f"target must be one of {sorted(_DEAP_TARGETS)}, got {target!r}.")
    required = [f"data/{stem}.mat" for stem, _ in _DEAP_FILES.values()] + ["data/labels.npz"]
    root = _find_release(data_home, _DEAP_FOLDER, required, "DEAP")

    blocks, modalities, names, trials_shape = [], {}, [], None
    for modality, (stem, variable) in _DEAP_FILES.items():
        mat = loadmat(root / "data" / f"{stem}.mat")
        if variable not in mat or np.ndim(mat[variable]) != 4:
            raise ValueError(f"DEAP: {stem}.mat has no 4-D array {variable!r}.")
        array = mat[variable]
        if trials_shape is None:
            trials_shape = array.shape[:2]
        elif array.shape[:2] != trials_shape:
            raise ValueError(
                f"DEAP: {stem}.mat covers {array.shape[:2]} (subject, trial) pairs, "
                f"the other files {trials_shape}."
            )
        n_channels, n_features = array.shape[2:]
        channels = _deap_channel_labels(mat, n_channels) if modality == "eeg" else [
            str(c) for c in range(n_channels)
        ]
        blocks.append(array.reshape(trials_shape[0] * trials_shape[1], n_channels * n_features))
        modalities[modality] = n_channels * n_features
        names += _deap_feature_names(modality, n_channels, n_features, channels)

    with np.load(root / "data" / "labels.npz") as labels:
        ratings = labels[_DEAP_TARGETS[target]]
    if ratings.shape != trials_shape:
        raise ValueError(f"DEAP: labels.npz has shape {ratings.shape}, the features {trials_shape}.")
    y = _as_int64(ratings.reshape(-1), "labels.npz")
    groups = np.arange(len(y), dtype=np.int64) // trials_shape[1]
    return _make_bunch(
        _finite_or_nan(np.hstack(blocks)), y, modalities, names, groups=groups, split=None,
        target_names=[f"low {target}", f"high {target}"], descr=_read_descr("deap"),
    )


# --------------------------------------------------------------------------- #
# WESAD
# --------------------------------------------------------------------------- #
def load_wesad(data_home: str | os.PathLike | None = None) -> Bunch:
    """Load WESAD stress-vs-amusement windows (STA 440 release).

    518 windows of 120 s (30 s stride) from 15 subjects, two modalities in
    column order: the chest strap (13 statistics of EMG, ECG, EDA,
    temperature, respiration) and the wrist band (10 statistics of EDA,
    BVP, temperature, heart rate). Windows of one subject overlap by 75 %,
    so split by ``groups`` only.

    Parameters
    ----------
    data_home : str or path-like, default=None
        Folder containing ``wesad_sta440_windows/`` (or that folder itself).
        ``None`` looks in ``$SKMMER_DATA``, then in ``../shared/data``
        relative to the working directory.

    Returns
    -------
    data : :class:`~sklearn.utils.Bunch`
        ``X`` (float64, 518 x 23), ``y`` (int64, 1 = stressed, 0 = amused),
        ``modalities`` (``{"chest": 13, "wrist": 10}``), ``feature_names``
        (the release's column names), ``groups`` (subject ids such as
        ``"S2"``), ``split=None``, ``target_names`` and ``DESCR``.

    Raises
    ------
    FileNotFoundError
        If the release file is not found; the message lists where.
    ValueError
        If a column is missing or a label is neither Stressed nor Amused.

    Examples
    --------
    >>> from skmmer.datasets import load_wesad
    >>> data = load_wesad("../shared/data")  # doctest: +SKIP
    >>> data.modalities  # doctest: +SKIP
    {'chest': 13, 'wrist': 10}
    """
    root = _find_release(data_home, _WESAD_FOLDER, [_WESAD_FILE], "WESAD")
    table = pd.read_csv(root / _WESAD_FILE)
    absent = {"label", "subject"} - set(table.columns)
    if absent:
        raise ValueError(f"WESAD: {_WESAD_FILE} lacks the column(s) {sorted(absent)}.")

    columns, modalities = [], {}
    for modality, marker in _WESAD_BLOCKS.items():
        block = [str(c) for c in table.columns if marker in str(c)]
        if not block:
            raise ValueError(f"WESAD: {_WESAD_FILE} has no {modality} columns (*{marker}*).")
        columns += block
        modalities[modality] = len(block)

    labels = table["label"].astype(str).to_numpy()
    unknown = sorted(set(labels) - set(_WESAD_CLASSES))
    if unknown:
        raise ValueError(f"WESAD: unexpected labels {unknown}; expected {list(_WESAD_CLASSES)}.")
    y = (labels == "Stressed").astype(np.int64)
    return _make_bunch(
        _finite_or_nan(table[columns].to_numpy(dtype=np.float64)), y, modalities, columns,
        groups=table["subject"].astype(str).to_numpy(dtype=object), split=None,
        target_names=list(_WESAD_CLASSES), descr=_read_descr("wesad"),
    )
