"""Cross-validation splits for missing-modality studies.

Emotion corpora are recorded by speakers in sessions, so a row's group (its
speaker or session) must never be on both sides of a split; MOSI-style
corpora come with a fixed train/test split. :func:`make_splitter` picks the
splitter, :class:`FixedSplit` wraps a given split, and :class:`LabelledSplit`
keeps unlabelled rows (``y == -1``) out of every test fold.
"""

from __future__ import annotations

import warnings
from collections.abc import Iterator, Mapping, Sequence

import numpy as np
import pandas as pd
from sklearn.model_selection import (
    GroupKFold,
    KFold,
    LeaveOneGroupOut,
    StratifiedGroupKFold,
    StratifiedKFold,
)
from sklearn.model_selection._split import GroupsConsumerMixin
from sklearn.utils.multiclass import type_of_target

from skmmer._labels import check_no_missing_labels
from skmmer._random import seed_from_random_state
from skmmer.metrics import _labelled_part, _take_rows

__all__ = ["FixedSplit", "LabelledSplit", "make_folds", "make_splitter"]

_LEAVE_ONE_GROUP_OUT = ("logo", "leave_one_group_out")


def _as_index_array(indices, name: str) -> tuple[np.ndarray, int | None]:
    """Integer row indices from integer indices or a boolean mask, and the mask's length."""
    array = np.asarray(indices)
    if array.dtype == bool:
        return np.flatnonzero(array), array.size
    if array.size and array.dtype.kind not in "iu":
        raise ValueError(f"FixedSplit: {name} indices must be integers or a boolean mask.")
    array = array.astype(np.intp).ravel()
    if array.size and array.min() < 0:
        # numpy would count a negative index from the end: the same row could then be
        # on both sides without the overlap check seeing it.
        raise ValueError(
            f"FixedSplit: {name} indices must be row positions >= 0; got {int(array.min())}."
        )
    values, counts = np.unique(array, return_counts=True)
    if (counts > 1).any():
        # A repeated test row would be scored twice and a repeated train row weigh double.
        raise ValueError(
            f"FixedSplit: {name} indices repeat rows {values[counts > 1][:5].tolist()}; list "
            "each row once."
        )
    return array, None


def _checked_labels(y) -> np.ndarray:
    """``y`` as an array, refused when it cannot be split into labelled test folds."""
    if y is None:
        raise ValueError(
            "y is required to split: test folds are drawn from the labelled rows (y != -1)."
        )
    check_no_missing_labels(y)
    y = np.asarray(y)
    if not _labelled_part(y)[0].any():
        raise ValueError(
            "No row of y is labelled (every label is -1): test folds need labelled rows."
        )
    return y


def _checked_groups(groups, n_rows: int) -> np.ndarray | None:
    """``groups`` as an array with one entry per row and no missing id, or None."""
    if groups is None:
        return None
    groups = np.asarray(groups)
    if groups.ndim != 1 or len(groups) != n_rows:
        raise ValueError(
            f"groups must be 1-D with one entry per row of X ({n_rows} rows); got shape "
            f"{groups.shape}."
        )
    missing = pd.isna(groups)
    if missing.any():
        # scikit-learn's splitters would pool every NaN id into one group that
        # the leak guard here cannot match (NaN != NaN).
        raise ValueError(
            f"groups has {int(missing.sum())} missing ids (NaN/None); give every row its "
            "speaker or subject, or a unique id of its own."
        )
    return groups


def _is_index_pair(pair) -> bool:
    if isinstance(pair, (str, Mapping)) or not isinstance(pair, (Sequence, np.ndarray)) or len(pair) != 2:
        return False
    return all(np.ndim(side) == 1 for side in pair)


class FixedSplit:
    """A predefined split (or several), usable wherever scikit-learn takes ``cv``.

    Parameters
    ----------
    split : dict or sequence of (train, test) pairs
        A dict with ``"train"`` and ``"test"`` row indices (or boolean masks),
        as shipped with CMU-MOSI; a ``"valid"`` entry, if any, is ignored
        (add it to ``"train"`` yourself if it should be trained on). Or a list
        of ``(train, test)`` pairs, one per fold.

    Examples
    --------
    >>> import numpy as np
    >>> from skmmer.model_selection import FixedSplit
    >>> cv = FixedSplit({"train": [0, 1, 2], "test": [3, 4]})
    >>> [(train.tolist(), test.tolist()) for train, test in cv.split(np.zeros((5, 1)))]
    [([0, 1, 2], [3, 4])]
    """

    def __init__(self, split):
        self.folds, self._mask_lengths = self._parse(split)

    @staticmethod
    def _parse(split) -> tuple[list[tuple[np.ndarray, np.ndarray]], list[dict[str, int | None]]]:
        if isinstance(split, Mapping):
            if "train" not in split or "test" not in split:
                raise ValueError("FixedSplit: a dict split needs 'train' and 'test' entries.")
            pairs = [(split["train"], split["test"])]
        elif isinstance(split, Sequence) and not isinstance(split, str):
            pairs = list(split)
        else:
            raise TypeError("FixedSplit: give a dict with 'train'/'test' or a list of pairs.")
        folds, mask_lengths = [], []
        for k, pair in enumerate(pairs):
            if not _is_index_pair(pair):
                raise ValueError(
                    f"FixedSplit: fold {k} is not a (train, test) pair of index arrays. Give a "
                    "list of such pairs, one per fold, or one dict {'train': ..., 'test': ...}; "
                    "a single (train, test) tuple is read as a list of folds, so wrap it in a list."
                )
            train, test = pair
            train, train_length = _as_index_array(train, "train")
            test, test_length = _as_index_array(test, "test")
            if np.intersect1d(train, test).size:
                raise ValueError("FixedSplit: a row is in both the train and the test indices.")
            folds.append((train, test))
            mask_lengths.append({"train": train_length, "test": test_length})
        if not folds:
            raise ValueError("FixedSplit: no fold given.")
        return folds, mask_lengths

    def split(self, X=None, y=None, groups=None) -> Iterator[tuple[np.ndarray, np.ndarray]]:
        """Yield the given ``(train, test)`` index pairs."""
        n_samples = None if X is None else len(X)
        for (train, test), lengths in zip(self.folds, self._mask_lengths):
            if n_samples is not None and max(train.max(initial=-1), test.max(initial=-1)) >= n_samples:
                raise ValueError(f"FixedSplit: an index is out of range for {n_samples} rows.")
            for side, length in lengths.items():
                if n_samples is not None and length is not None and length != n_samples:
                    raise ValueError(
                        f"FixedSplit: the {side} boolean mask has {length} entries for "
                        f"{n_samples} rows; give one entry per row."
                    )
            yield train.copy(), test.copy()

    def get_n_splits(self, X=None, y=None, groups=None) -> int:
        """Number of folds."""
        return len(self.folds)

    def __repr__(self) -> str:
        return f"FixedSplit(<{len(self.folds)} fold(s)>)"


def _as_fixed_split(cv) -> FixedSplit | None:
    """``cv`` as a :class:`FixedSplit` when it gives folds over all rows, else None."""
    if isinstance(cv, FixedSplit):
        return cv
    if isinstance(cv, (Mapping, list, tuple)):
        return FixedSplit(cv)
    return None


def _is_classification_target(y) -> bool:
    if y is None:
        return False
    _, y_labelled = _labelled_part(y)
    return y_labelled.size > 0 and type_of_target(y_labelled) in ("binary", "multiclass")


def make_splitter(cv=5, *, y=None, groups=None, shuffle: bool = True, random_state=0):
    """Pick a cross-validation splitter that respects groups and classes.

    Parameters
    ----------
    cv : int, "logo", dict, list of pairs or splitter, default=5
        An int: that many folds, ``StratifiedGroupKFold`` when ``groups`` are
        given and ``y`` holds classes, ``GroupKFold`` for groups and a
        continuous ``y``, ``StratifiedKFold`` without groups, ``KFold`` for a
        continuous ``y`` without groups. ``"logo"``: ``LeaveOneGroupOut``
        (leave-one-session-out on IEMOCAP, say). A dict with
        ``"train"``/``"test"`` indices or a list of ``(train, test)`` pairs:
        :class:`FixedSplit`. Anything with a ``split`` method is returned as is.
    y : array-like of shape (n_samples,), default=None
        Targets; ``-1`` rows are left out when deciding whether ``y`` holds
        classes.
    groups : array-like of shape (n_samples,), default=None
        Group of each row (speaker, session).
    shuffle : bool, default=True
        Shuffle before splitting (``GroupKFold`` and ``"logo"`` are never
        shuffled).
    random_state : int, RandomState instance or None, default=0
        Seed of the shuffling.

    Returns
    -------
    splitter
        An object with ``split(X, y, groups)`` and ``get_n_splits``.

    Examples
    --------
    >>> import numpy as np
    >>> from skmmer.model_selection import make_splitter
    >>> y, groups = [0, 1] * 10, list(range(10)) * 2
    >>> splitter = make_splitter(5, y=y, groups=groups)
    >>> splitter
    StratifiedGroupKFold(n_splits=5, random_state=0, shuffle=True)
    >>> len(list(splitter.split(np.zeros((20, 1)), y, groups)))
    5
    >>> make_splitter(3, y=[0, 1] * 10)
    StratifiedKFold(n_splits=3, random_state=0, shuffle=True)
    """
    if cv is None:
        cv = 5
    if isinstance(cv, str):  # before the `split` test: str has a split method too
        if cv.lower() not in _LEAVE_ONE_GROUP_OUT:
            raise ValueError(f"cv={cv!r}: the only string accepted is 'logo' (LeaveOneGroupOut).")
        if groups is None:
            raise ValueError("cv='logo' (LeaveOneGroupOut) needs groups.")
        return LeaveOneGroupOut()
    if hasattr(cv, "split"):
        return cv
    if isinstance(cv, (Mapping, Sequence)):
        return FixedSplit(cv)
    if not isinstance(cv, (int, np.integer)) or isinstance(cv, bool) or cv < 2:
        raise ValueError(f"cv must be an int >= 2, 'logo', a split or a splitter; got {cv!r}.")
    seed = seed_from_random_state(random_state) if shuffle else None
    stratify = _is_classification_target(y)
    if groups is not None:
        if stratify:
            return StratifiedGroupKFold(n_splits=int(cv), shuffle=shuffle, random_state=seed)
        return GroupKFold(n_splits=int(cv))
    if stratify:
        return StratifiedKFold(n_splits=int(cv), shuffle=shuffle, random_state=seed)
    return KFold(n_splits=int(cv), shuffle=shuffle, random_state=seed)


class LabelledSplit(GroupsConsumerMixin):
    """Split the labelled rows only and give the unlabelled ones to training.

    Stratifying splitters would otherwise count ``-1`` as a class and put
    unlabelled rows into test folds, where they cannot be scored. Here test
    folds hold labelled rows only (so a splitter stratifies on the real
    classes), and unlabelled rows are trained on, except those whose group
    is in that fold's test side, which are left out of the fold (a speaker
    must not leak from test into training).

    Parameters
    ----------
    cv : int, "logo", dict, list of pairs, FixedSplit or splitter, default=5
        An int, ``"logo"`` or a splitter object: the splitter of
        :func:`make_splitter` (picked once ``y`` and ``groups`` are known),
        run on the labelled rows only; every unlabelled row joins the
        training side of each fold. A splitter object sees the labelled rows
        only, so its indices are positions among them; one whose indices
        fall outside them (a ``PredefinedSplit`` over all rows, say) raises
        ``ValueError``. A dict with ``"train"``/``"test"`` indices, a list of
        ``(train, test)`` pairs or a :class:`FixedSplit`: folds fixed in
        advance over all rows; each test fold keeps its labelled rows and
        each training fold its given rows, labelled or not.
    shuffle : bool, default=True
        Passed to :func:`make_splitter`.
    random_state : int, RandomState instance or None, default=0
        Passed to :func:`make_splitter`.

    Notes
    -----
    With ``sklearn.set_config(enable_metadata_routing=True)`` it requests
    ``groups``, as scikit-learn's group splitters do: pass
    ``params={"groups": groups}`` to ``cross_validate`` or ``fit``.

    Examples
    --------
    >>> import numpy as np
    >>> from skmmer.model_selection import LabelledSplit
    >>> y = np.array([0, 1, 0, 1, -1, -1, 0, 1])
    >>> for train, test in LabelledSplit(2).split(np.zeros((8, 1)), y):
    ...     assert (y[test] != -1).all() and {4, 5} <= set(train.tolist())
    >>> fixed = LabelledSplit({"train": [0, 1, 2, 4], "test": [3, 5, 6, 7]})
    >>> [(train.tolist(), test.tolist()) for train, test in fixed.split(np.zeros((8, 1)), y)]
    [([0, 1, 2, 4], [3, 6, 7])]
    """

    def __init__(self, cv=5, *, shuffle: bool = True, random_state=0):
        self.cv = cv
        self.shuffle = shuffle
        self.random_state = random_state

    def _labelled_splitter(self, y, groups):
        return make_splitter(
            self.cv, y=y, groups=groups, shuffle=self.shuffle, random_state=self.random_state
        )

    def split(self, X, y, groups=None) -> Iterator[tuple[np.ndarray, np.ndarray]]:
        """Yield ``(train, test)`` row indices; test rows are all labelled."""
        y = _checked_labels(y)
        groups = _checked_groups(groups, len(y))
        labelled, y_labelled = _labelled_part(y)
        fixed = _as_fixed_split(self.cv)
        if fixed is None:
            folds = self._folds_of_labelled_rows(X, labelled, y_labelled, groups)
        else:
            folds = _labelled_test_folds(fixed, labelled, groups)
        for train, test in folds:
            yield _without_unlabelled_of_test_groups(train, test, labelled, groups), test

    def _folds_of_labelled_rows(
        self, X, labelled: np.ndarray, y_labelled: np.ndarray, groups
    ) -> Iterator[tuple[np.ndarray, np.ndarray]]:
        """The splitter's folds of the labelled rows, every unlabelled row added to training."""
        labelled_rows = np.flatnonzero(labelled)
        groups_labelled = None if groups is None else groups[labelled_rows]
        X_labelled = None if X is None else _take_rows(X, labelled_rows)
        splitter = self._labelled_splitter(y_labelled, groups_labelled)
        for train, test in splitter.split(X_labelled, y_labelled, groups_labelled):
            _check_positions_among_labelled_rows(splitter, train, test, labelled_rows.size)
            train = np.concatenate([labelled_rows[train], np.flatnonzero(~labelled)])
            yield np.sort(train), labelled_rows[test]

    def get_n_splits(self, X=None, y=None, groups=None) -> int:
        """Number of folds (``"logo"`` needs ``y`` and ``groups``)."""
        if y is None:
            return self._labelled_splitter(None, groups).get_n_splits(X, y, groups)
        labelled, y_labelled = _labelled_part(y)
        groups_labelled = None if groups is None else np.asarray(groups)[labelled]
        splitter = self._labelled_splitter(y_labelled, groups_labelled)
        return splitter.get_n_splits(None, None, groups_labelled)

    def __repr__(self) -> str:
        return f"LabelledSplit(cv={self.cv!r}, shuffle={self.shuffle}, random_state={self.random_state!r})"


def _check_positions_among_labelled_rows(splitter, train, test, n_labelled: int) -> None:
    """Refuse a splitter whose indices are not positions among the labelled rows."""
    largest = max(np.max(train, initial=-1), np.max(test, initial=-1))
    if largest >= n_labelled:
        raise ValueError(
            f"LabelledSplit: {splitter!r} gave row {int(largest)}, but splitter objects see only "
            f"the labelled rows ({n_labelled} here) and index positions among them. For folds "
            "fixed in advance over all rows (a PredefinedSplit, say) pass a FixedSplit or a "
            "list of (train, test) pairs as cv."
        )


def _labelled_test_folds(
    fixed: FixedSplit, labelled: np.ndarray, groups
) -> Iterator[tuple[np.ndarray, np.ndarray]]:
    """The fixed folds over all rows, each test side cut to its labelled rows."""
    # `labelled` has one entry per row, like X: FixedSplit checks the indices against its length.
    for k, (train, test) in enumerate(fixed.split(labelled, None, groups)):
        test = test[labelled[test]]
        if not test.size:
            raise ValueError(f"LabelledSplit: fold {k} of the fixed split has no labelled test row.")
        yield train, test


def _without_unlabelled_of_test_groups(train, test, labelled, groups) -> np.ndarray:
    """``train`` less its unlabelled rows whose group is on the test side."""
    if groups is None:
        return train
    leaking = ~labelled[train] & np.isin(groups[train], groups[test])
    return train[~leaking]


def _warn_on_shared_groups(folds, groups) -> None:
    if groups is None:
        return
    groups = np.asarray(groups)
    for k, (train, test) in enumerate(folds):
        shared = np.intersect1d(groups[train], groups[test])
        if shared.size:
            warnings.warn(
                f"Fold {k}: groups {shared[:5].tolist()} are in both train and test; results "
                "will be optimistic for unseen speakers/sessions.",
                UserWarning,
                stacklevel=3,
            )


def make_folds(cv, X, y, groups=None, *, random_state=0) -> list[tuple[np.ndarray, np.ndarray]]:
    """The list of ``(train, test)`` index pairs a study runs on.

    A dict, a list of pairs or a :class:`FixedSplit` are used as given.
    Otherwise the splitter of :func:`make_splitter` runs inside
    :class:`LabelledSplit`, so that test folds hold labelled rows only and
    stratification ignores ``-1``. Either way a warning says when a group is
    on both sides of a fold (a fixed split, or a splitter that ignores
    groups, such as ``KFold``).

    Parameters
    ----------
    cv : int, "logo", dict, list of pairs or splitter
        See :func:`make_splitter`.
    X : array-like of shape (n_samples, n_features)
    y : array-like of shape (n_samples,)
        Labels; ``-1`` marks an unlabelled row (never in a generated test
        fold). Missing values (NaN) are refused.
    groups : array-like of shape (n_samples,), default=None
    random_state : int, RandomState instance or None, default=0

    Returns
    -------
    list of (ndarray, ndarray)

    Examples
    --------
    >>> import numpy as np
    >>> from skmmer.model_selection import make_folds
    >>> y = np.array([0, 1] * 6)
    >>> groups = np.repeat([0, 1, 2, 3], 3)
    >>> folds = make_folds(2, np.zeros((12, 2)), y, groups)
    >>> all(not set(groups[tr]) & set(groups[te]) for tr, te in folds)
    True
    """
    y = _checked_labels(y)
    groups = _checked_groups(groups, len(y))
    fixed = _as_fixed_split(cv)
    splitter = fixed if fixed is not None else LabelledSplit(cv, random_state=random_state)
    folds = list(splitter.split(X, y, groups))
    _warn_on_shared_groups(folds, groups)
    return folds
