"""Study protocols: how a (train, test) fold is turned into study settings.

A protocol lists *training settings* (which labels the model sees, and
whether the training rows lose modalities) and, for each, the *test settings*
it is evaluated on (fixed kept-modality conditions, random missing rates, or
the test rows as observed). :func:`~skmmer.model_selection.run_study` fits a
model once per training setting and predicts every test setting with it.

Every random draw is seeded from ``(random_state, fold, what is drawn)`` and
never from the estimator, so every method sees exactly the same rows, masks
and labels. Masking itself is :mod:`skmmer.masking`'s.
"""

from __future__ import annotations

import zlib
from collections.abc import Sequence
from dataclasses import dataclass
from numbers import Real
from typing import NamedTuple

import numpy as np

from skmmer._layout import ModalityLayout, resolve_modalities
from skmmer._random import seed_from_random_state
from skmmer.masking import (
    _float_array_and_names,
    apply_condition,
    max_missing_rate,
    missing_conditions,
    simulate_missing,
)
from skmmer.metrics import UNLABELLED, _labelled_part

__all__ = [
    "FixedConditions",
    "FoldSetting",
    "LabelFractions",
    "MissingRates",
    "StudyProtocol",
    "default_rates",
    "keep_label_fraction",
]

_SEED_LIMIT = 2**31 - 1
#: The rate spelled "max": (M - 1) / M, IMDer's nominal 0.7 (see MissingRates).
MAX_RATE = "max"


# --------------------------------------------------------------------------- #
# Seeds
# --------------------------------------------------------------------------- #
def derive_seed(random_state: int, fold: int, *keys: str) -> int:
    """A seed that depends only on the study seed, the fold and what is drawn.

    ``zlib.crc32`` rather than ``hash`` because Python salts ``hash(str)`` per
    process, and workers must draw the same masks as the parent would.
    """
    words = [int(random_state), int(fold), *(zlib.crc32(k.encode()) for k in keys)]
    return int(np.random.SeedSequence(words).generate_state(1)[0] % _SEED_LIMIT)


def _format_number(value: float) -> str:
    return repr(round(float(value), 10))


# --------------------------------------------------------------------------- #
# What a setting does (hashable, so equal settings are fitted once)
# --------------------------------------------------------------------------- #
@dataclass(frozen=True)
class TrainSpec:
    """How training rows are changed: kept label fraction and simulated missingness."""

    label_fraction: float = 1.0
    missing: tuple = ()  # (), ("rate", r) or ("subsets",)

    def make(self, X, y, layout: ModalityLayout, *, random_state: int, fold: int):
        """The training ``(X, y)`` of this setting (X as a float array)."""
        if self.label_fraction < 1.0:
            # The label draw ignores `missing`, so every missing setting shares the labels.
            y = keep_label_fraction(
                y, self.label_fraction, random_state=derive_seed(random_state, fold, "labels")
            )
        if not self.missing:
            return np.asarray(X, dtype=np.float64), y
        subsets = self.missing[0] == "subsets"
        scheme, rate = ("subsets", 0.0) if subsets else ("rate", self.missing[1])
        seed = derive_seed(random_state, fold, "train-missing", *map(str, self.missing))
        return simulate_missing(X, layout, scheme=scheme, rate=rate, random_state=seed), y


@dataclass(frozen=True)
class EvalSpec:
    """How test rows are changed: as observed, a fixed condition, or a random rate."""

    kind: str  # "observed", "condition" or "rate"
    value: object = None  # kept names for "condition", the rate for "rate"

    def make(self, X, layout: ModalityLayout, *, random_state: int, fold: int) -> np.ndarray:
        """The test ``X`` of this setting, as a float array."""
        if self.kind == "condition":
            return apply_condition(X, layout, self.value)
        if self.kind == "rate":
            seed = derive_seed(random_state, fold, "test-rate", _format_number(self.value))
            return simulate_missing(X, layout, scheme="rate", rate=self.value, random_state=seed)
        return np.asarray(X, dtype=np.float64)


class SettingPlan(NamedTuple):
    """One training setting and the labelled test settings it is scored on."""

    train_label: str
    train: TrainSpec
    tests: list[tuple[str, EvalSpec]]


class FoldSetting(NamedTuple):
    """A training setting of a fold, with its data and the test data to score.

    Attributes
    ----------
    train_setting : str
        Label of the training setting.
    X_train, y_train : ndarray
        Training data of this setting (unlabelled rows have ``y == -1``).
    tests : dict of str to ndarray
        Test setting label -> test ``X``.
    """

    train_setting: str
    X_train: np.ndarray
    y_train: np.ndarray
    tests: dict[str, np.ndarray]


# --------------------------------------------------------------------------- #
# Helpers shared by the protocols
# --------------------------------------------------------------------------- #
def default_rates(n_modalities: int) -> list[float | str]:
    """IMDer's missing-rate grid for M modalities: 0.0, 0.1, ... below (M-1)/M, then ``"max"``.

    For three modalities: 0.0, 0.1, ..., 0.6 and ``"max"`` (2/3), which stands
    for IMDer's nominal 0.7 (see :class:`MissingRates`).

    Examples
    --------
    >>> from skmmer.model_selection import default_rates
    >>> default_rates(3)
    [0.0, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 'max']
    >>> default_rates(2)
    [0.0, 0.1, 0.2, 0.3, 0.4, 'max']
    """
    top = max_missing_rate(n_modalities)
    grid = [round(0.1 * k, 1) for k in range(10) if round(0.1 * k, 1) < top - 1e-9]
    return [*grid, MAX_RATE]


def _resolve_rate(rate, n_modalities: int) -> float:
    top = max_missing_rate(n_modalities)
    if isinstance(rate, str):
        if rate != MAX_RATE:
            raise ValueError(f"A rate is a number or 'max'; got {rate!r}.")
        return top
    rate = float(rate)
    if not 0.0 <= rate <= top + 1e-12:
        raise ValueError(
            f"Missing rate {rate} is out of reach with {n_modalities} modalities when every row "
            f"keeps one: rates lie in [0, {top:.4g}] ((M - 1) / M). Write 'max' for the largest "
            "(IMDer's nominal 0.7 with three modalities)."
        )
    return rate


def _rate_label(rate) -> str:
    return MAX_RATE if isinstance(rate, str) else _format_number(rate)


def _train_missing_spec(train_missing, n_modalities: int) -> tuple:
    """``train_missing`` (None, a rate, "max" or "subsets") as a TrainSpec.missing tuple."""
    if train_missing is None:
        return ()
    if isinstance(train_missing, str) and train_missing == "subsets":
        return ("subsets",)
    rate = _resolve_rate(train_missing, n_modalities)
    return () if rate == 0.0 else ("rate", rate)


def _train_label(label_fraction: float | None, missing: tuple, missing_label: str) -> str:
    parts = []
    if label_fraction is not None:
        parts.append(f"labels={_format_number(label_fraction)}")
    if missing:
        parts.append(f"missing={missing_label}")
    return ",".join(parts) or "observed"


def _as_list(values) -> list:
    """A single value (a number or a string) as a one-element list; any iterable as a list."""
    if isinstance(values, (str, Real)) or (isinstance(values, np.ndarray) and values.ndim == 0):
        return [values]
    return list(values)


def _rate_list(rates) -> list | None:
    """``rates`` as a list (a single rate as one), or None for the default grid."""
    if rates is None:
        return None
    rates = _as_list(rates)
    if not rates:
        # Checked here: an empty grid would fit every fold and score nothing.
        raise ValueError("MissingRates: rates is empty; give at least one rate, or None for default_rates.")
    return rates


def _condition_list(conditions, parameter: str):
    """Conditions as a list of tuples of kept names; None and ``"all"`` as given.

    A single string is one condition keeping that modality, as a string item
    of the list is.
    """
    if conditions is None or (isinstance(conditions, str) and conditions == "all"):
        return conditions
    if isinstance(conditions, str):
        conditions = [conditions]
    try:
        conditions = list(conditions)
    except TypeError:
        raise TypeError(
            f"{parameter} must be None, 'all', a modality name or a list of conditions; got "
            f"{conditions!r}."
        ) from None
    kept = [_kept_names(condition, parameter) for condition in conditions]
    if not kept:
        raise ValueError(
            f"{parameter} is empty; give at least one condition (a modality name or a tuple of "
            "names)."
        )
    if not all(kept):
        raise ValueError(
            f"{parameter} holds a condition that keeps no modality; every condition keeps at "
            "least one."
        )
    return kept


def _kept_names(condition, parameter: str) -> tuple[str, ...]:
    if isinstance(condition, str):
        return (condition,)
    try:
        return tuple(map(str, condition))
    except TypeError:
        raise TypeError(
            f"{parameter}: a condition is a modality name or a tuple of names; got {condition!r}."
        ) from None


def _condition_tests(conditions, layout: ModalityLayout) -> list[tuple[str, EvalSpec]]:
    """The test settings of conditions from :func:`_condition_list`."""
    if conditions is None or isinstance(conditions, str):  # "all", the only string kept
        conditions = missing_conditions(layout, include_full=True)
    tests = []
    for kept in conditions:
        for name in kept:
            layout.index(name)  # raises a clear error for an unknown modality
        ordered = tuple(n for n in layout.names if n in kept)  # label in modality order
        tests.append(("+".join(ordered), EvalSpec("condition", ordered)))
    return tests


def _check_train_missing(train_missing, allowed_strings: tuple[str, ...]) -> None:
    if isinstance(train_missing, str) and train_missing not in allowed_strings:
        raise ValueError(
            f"train_missing={train_missing!r}: give None, a rate, or one of {allowed_strings}."
        )


# --------------------------------------------------------------------------- #
# Protocols
# --------------------------------------------------------------------------- #
class StudyProtocol:
    """Base class of the study protocols.

    Subclasses implement :meth:`plan`; :meth:`transform_fold` applies it to a
    fold, for inspection or for use outside :func:`run_study`.
    """

    name = "protocol"

    def plan(self, layout: ModalityLayout) -> list[SettingPlan]:  # pragma: no cover - abstract
        raise NotImplementedError

    def transform_fold(
        self, X_train, y_train, X_test, modalities, *, fold: int = 0, random_state=0
    ) -> list[FoldSetting]:
        """Build the training and test data of every setting of one fold.

        These are exactly the arrays :func:`run_study` fits and predicts on for
        the same ``fold`` and ``random_state``.

        Parameters
        ----------
        X_train, y_train : array-like
            Training rows of the fold.
        X_test : array-like
            Test rows of the fold. A DataFrame's columns are put in the order
            of ``X_train``'s (the outputs are arrays in that order).
        modalities : None, list of int or dict
            Column blocks.
        fold : int, default=0
            Fold number (part of every seed).
        random_state : int, RandomState instance or None, default=0
            Study seed.

        Returns
        -------
        list of FoldSetting
            One per training setting.

        Examples
        --------
        >>> import numpy as np
        >>> from skmmer.model_selection import FixedConditions
        >>> X = np.ones((4, 3))
        >>> settings = FixedConditions().transform_fold(X, [0, 1, 0, 1], X, [1, 1, 1])
        >>> list(settings[0].tests)[:3]
        ['m0+m1+m2', 'm0', 'm1']
        >>> np.isnan(settings[0].tests["m1"]).tolist()[0]
        [True, False, True]
        """
        X_train_array, names = _float_array_and_names(X_train)
        X_test = _in_training_column_order(X_test, names)
        layout = (
            modalities
            if isinstance(modalities, ModalityLayout)
            else resolve_modalities(modalities, X_train_array.shape[1], names)
        )
        seed = seed_from_random_state(random_state)
        y_train = np.asarray(y_train)
        settings = []
        for plan in self.plan(layout):
            X_fit, y_fit = plan.train.make(
                X_train_array, y_train, layout, random_state=seed, fold=fold
            )
            tests = {
                label: spec.make(X_test, layout, random_state=seed, fold=fold)
                for label, spec in plan.tests
            }
            settings.append(FoldSetting(plan.train_label, X_fit, y_fit, tests))
        return settings

    def __repr__(self) -> str:
        params = ", ".join(f"{k}={v!r}" for k, v in vars(self).items())
        return f"{type(self).__name__}({params})"


def _in_training_column_order(X_test, train_names: np.ndarray | None) -> np.ndarray:
    """X_test as a float array whose columns follow the training columns, matched by name."""
    array, test_names = _float_array_and_names(X_test)
    if train_names is None or test_names is None or list(test_names) == list(train_names):
        return array
    if sorted(test_names) != sorted(train_names):
        raise ValueError(
            "X_test's columns are not X_train's: "
            f"{sorted(str(n) for n in set(test_names) ^ set(train_names))[:10]} are in only one "
            "of them."
        )
    position = {name: i for i, name in enumerate(test_names)}
    return array[:, [position[name] for name in train_names]]


class FixedConditions(StudyProtocol):
    """MMIN's protocol: test with fixed sets of kept modalities.

    Each test setting keeps the same modalities in every test row and blanks
    the others (:func:`skmmer.masking.apply_condition`). A row that already
    misses a kept modality keeps missing it.

    Parameters
    ----------
    conditions : None, "all", str or list of (str or tuple of str), default=None
        Kept modality names per condition: a tuple of names, or one name for
        a condition keeping that modality alone (a single name, outside a
        list, is one such condition). ``None`` or ``"all"``: every condition
        of :func:`skmmer.masking.missing_conditions` with the full one first;
        for three modalities the six MMIN conditions and full.
    train_missing : None, float, "max" or "subsets", default=None
        Simulated missingness of the training rows: ``None`` trains on them
        as observed; a rate (or ``"max"``) drops modalities per row at that
        rate; ``"subsets"`` gives every complete row a random non-empty
        proper subset of its modalities (MMIN's training protocol).
    name : str, default="fixed_conditions"
        The ``protocol`` column of the results.

    Examples
    --------
    >>> from skmmer._layout import resolve_modalities
    >>> from skmmer.model_selection import FixedConditions
    >>> layout = resolve_modalities({"a": 2, "v": 2, "l": 2}, 6)
    >>> [label for label, _ in FixedConditions().plan(layout)[0].tests]
    ['a+v+l', 'a', 'v', 'l', 'a+v', 'a+l', 'v+l']
    """

    def __init__(self, conditions=None, *, train_missing=None, name: str = "fixed_conditions"):
        _check_train_missing(train_missing, (MAX_RATE, "subsets"))
        self.conditions = _condition_list(conditions, "FixedConditions: conditions")
        self.train_missing = train_missing
        self.name = name

    def plan(self, layout: ModalityLayout) -> list[SettingPlan]:
        """One training setting, scored on every condition."""
        missing = _train_missing_spec(self.train_missing, layout.n_modalities)
        label = _train_label(None, missing, _missing_label(self.train_missing))
        tests = _condition_tests(self.conditions, layout)
        return [SettingPlan(label, TrainSpec(1.0, missing), tests)]


def _missing_label(train_missing) -> str:
    if train_missing is None:
        return ""
    return train_missing if isinstance(train_missing, str) else _format_number(train_missing)


class MissingRates(StudyProtocol):
    """IMDer's protocol: test rows lose modalities at random at given rates.

    At rate ``r`` every test row drops each of its modalities so that, on
    average, a fraction ``r`` of the modality entries of complete rows is
    missing, while every row keeps at least one modality
    (:func:`skmmer.masking.simulate_missing`, ``scheme="rate"``). The masks
    of a rate depend on ``(random_state, fold, rate)`` only.

    Parameters
    ----------
    rates : float, "max" or sequence of (float or "max"), default=None
        Test missing rates (a single one for one rate); ``None`` is
        :func:`default_rates`: 0.0, 0.1, ... up to below ``(M - 1) / M``,
        then ``"max"``.
    train_missing : None, float, "max", "subsets" or "same", default=None
        Simulated missingness of the training rows, as in
        :class:`FixedConditions`; ``"same"`` fits one model per rate, trained
        at that rate and tested at that rate only.
    name : str, default="missing_rates"
        The ``protocol`` column of the results.

    Notes
    -----
    *IMDer's nominal 0.7.* IMDer reports missing rates 0.0 to 0.7 with three
    modalities, but a rate above ``(M - 1) / M = 2/3`` cannot keep a
    modality in every row, so :func:`skmmer.masking.simulate_missing` refuses
    it. skmmer maps the nominal 0.7 to the largest reachable rate, written
    ``"max"`` (every row keeps exactly one modality); its setting label is
    ``"max"``. Numbers above the maximum raise ``ValueError``.

    Examples
    --------
    >>> from skmmer._layout import resolve_modalities
    >>> from skmmer.model_selection import MissingRates
    >>> layout = resolve_modalities([2, 2, 2], 6)
    >>> [label for label, _ in MissingRates([0.0, 0.3, "max"]).plan(layout)[0].tests]
    ['0.0', '0.3', 'max']
    >>> [p.train_label for p in MissingRates([0.0, 0.3], train_missing="same").plan(layout)]
    ['observed', 'missing=0.3']
    """

    def __init__(self, rates=None, *, train_missing=None, name: str = "missing_rates"):
        _check_train_missing(train_missing, (MAX_RATE, "subsets", "same"))
        self.rates = _rate_list(rates)
        self.train_missing = train_missing
        self.name = name

    def plan(self, layout: ModalityLayout) -> list[SettingPlan]:
        """One training setting scored on every rate, or one per rate for ``"same"``."""
        n_modalities = layout.n_modalities
        rates = default_rates(n_modalities) if self.rates is None else self.rates
        tests = [
            (_rate_label(rate), EvalSpec("rate", _resolve_rate(rate, n_modalities)))
            for rate in rates
        ]
        if self.train_missing != "same":
            missing = _train_missing_spec(self.train_missing, n_modalities)
            label = _train_label(None, missing, _missing_label(self.train_missing))
            return [SettingPlan(label, TrainSpec(1.0, missing), tests)]
        plans = []
        for rate, test in zip(rates, tests, strict=True):
            missing = _train_missing_spec(rate, n_modalities)
            label = _train_label(None, missing, _rate_label(rate))
            plans.append(SettingPlan(label, TrainSpec(1.0, missing), [test]))
        return plans


class LabelFractions(StudyProtocol):
    """Scarce labels: keep a stratified fraction of the training labels.

    For each fraction ``f`` and each class with ``n`` labelled training rows,
    ``max(1, round(f * n))`` labels are kept (at least one per class) and the
    others become ``-1``. The kept rows are drawn once per fold, so smaller
    fractions keep subsets of the labels of larger ones. Test rows keep
    their labels.

    Parameters
    ----------
    fractions : float or sequence of float, default=(0.01, 0.05, 0.2, 1.0)
        Fractions of training labels kept, in ``(0, 1]`` (a single one for
        one fraction).
    train_missing : None, float, "max" or "subsets", default=None
        Simulated missingness of the training rows, as in
        :class:`FixedConditions`.
    test_conditions : None, "all", str or list, default=None
        ``None`` scores the test rows as observed (setting ``"observed"``);
        otherwise the fixed conditions, as ``conditions`` of
        :class:`FixedConditions` (``"all"``: every one, full first).
    name : str, default="label_fractions"
        The ``protocol`` column of the results.

    Examples
    --------
    >>> from skmmer._layout import resolve_modalities
    >>> from skmmer.model_selection import LabelFractions
    >>> layout = resolve_modalities([2, 2], 4)
    >>> [p.train_label for p in LabelFractions([0.1, 1.0]).plan(layout)]
    ['labels=0.1', 'labels=1.0']
    """

    def __init__(
        self,
        fractions: float | Sequence[float] = (0.01, 0.05, 0.2, 1.0),
        *,
        train_missing=None,
        test_conditions=None,
        name: str = "label_fractions",
    ):
        _check_train_missing(train_missing, (MAX_RATE, "subsets"))
        fractions = _as_list(fractions)
        if not fractions:
            raise ValueError("LabelFractions: fractions is empty; give at least one fraction in (0, 1].")
        for fraction in fractions:
            if not 0.0 < float(fraction) <= 1.0:
                raise ValueError(f"Label fractions lie in (0, 1]; got {fraction!r}.")
        self.fractions = tuple(float(f) for f in fractions)
        self.train_missing = train_missing
        self.test_conditions = _condition_list(test_conditions, "LabelFractions: test_conditions")
        self.name = name

    def plan(self, layout: ModalityLayout) -> list[SettingPlan]:
        """One training setting per fraction, each scored on the same tests."""
        missing = _train_missing_spec(self.train_missing, layout.n_modalities)
        if self.test_conditions is None:
            tests = [("observed", EvalSpec("observed"))]
        else:
            tests = _condition_tests(self.test_conditions, layout)
        missing_label = _missing_label(self.train_missing)
        return [
            SettingPlan(_train_label(f, missing, missing_label), TrainSpec(f, missing), tests)
            for f in self.fractions
        ]


# --------------------------------------------------------------------------- #
# Label masking
# --------------------------------------------------------------------------- #
def _rank_within_class(codes: np.ndarray, scores: np.ndarray) -> np.ndarray:
    """Rank of each row's score among the rows of its class (0 = smallest)."""
    order = np.lexsort((scores, codes))
    sorted_codes = codes[order]
    class_start = np.searchsorted(sorted_codes, sorted_codes, side="left")
    ranks = np.empty_like(order)
    ranks[order] = np.arange(order.size) - class_start
    return ranks


def _with_room_for_marker(y: np.ndarray) -> np.ndarray:
    """A copy of ``y`` that can hold ``-1`` (string labels become objects)."""
    if y.dtype.kind in "iuf" or y.dtype == object:
        return y.copy()
    return y.astype(object)


def keep_label_fraction(y, fraction: float, *, random_state=None) -> np.ndarray:
    """Keep a stratified fraction of the labels and mark the rest ``-1``.

    Parameters
    ----------
    y : array-like of shape (n_samples,)
        Class labels; rows already ``-1`` stay unlabelled.
    fraction : float
        Fraction in ``(0, 1]`` of each class's labelled rows to keep; a class
        keeps ``max(1, round(fraction * n_class))`` rows (halves round up).
    random_state : int, RandomState instance or None, default=None
        Seed of the choice of rows. With a fixed seed the rows kept at a
        smaller fraction are a subset of those kept at a larger one.

    Returns
    -------
    y_scarce : ndarray of shape (n_samples,)
        ``y`` with the dropped labels set to ``-1`` (object dtype for string
        labels).

    Examples
    --------
    >>> import numpy as np
    >>> from skmmer.model_selection import keep_label_fraction
    >>> y = np.array([0] * 10 + [1] * 4)
    >>> y_scarce = keep_label_fraction(y, 0.2, random_state=0)
    >>> [(y_scarce == c).sum() for c in (0, 1, -1)]
    [np.int64(2), np.int64(1), np.int64(11)]
    """
    if not 0.0 < float(fraction) <= 1.0:
        raise ValueError(f"fraction must lie in (0, 1]; got {fraction!r}.")
    y = np.asarray(y)
    if y.ndim != 1:
        raise ValueError("y must be 1-D.")
    labelled, y_labelled = _labelled_part(y)
    if y_labelled.size and y_labelled.dtype.kind == "f" and np.any(y_labelled != np.round(y_labelled)):
        raise ValueError(
            "keep_label_fraction needs class labels: continuous targets cannot mark unlabelled "
            "rows with -1 unambiguously, and a stratified fraction needs classes."
        )
    rng = np.random.default_rng(seed_from_random_state(random_state))
    # One score per row drawn regardless of `fraction`: the fractions stay nested.
    scores = rng.random(y.shape[0])
    comparable = y_labelled.astype(str) if y_labelled.dtype == object else y_labelled
    _, codes = np.unique(comparable, return_inverse=True)
    counts = np.bincount(codes)
    # Halves round up; the 1e-9 undoes binary error (0.29 * 50 is 14.499999999999998).
    n_keep = np.maximum(1, np.floor(float(fraction) * counts + 0.5 + 1e-9)).astype(np.intp)
    keep_labelled = _rank_within_class(codes, scores[labelled]) < n_keep[codes]
    y_scarce = _with_room_for_marker(y)
    y_scarce[np.flatnonzero(labelled)[~keep_labelled]] = UNLABELLED
    return y_scarce
