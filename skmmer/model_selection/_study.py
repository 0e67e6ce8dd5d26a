"""run_study: every method, fold and missing-modality setting, in one tidy table."""

from __future__ import annotations

import time
import warnings
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

import numpy as np
import pandas as pd
from joblib import Parallel, delayed
from sklearn.base import clone
from sklearn.model_selection._search import BaseSearchCV
from sklearn.pipeline import Pipeline
from sklearn.utils import get_tags

from skmmer._labels import FIT_MINUS_ONE_WARNING
from skmmer._layout import ModalityLayout, resolve_modalities
from skmmer._random import seed_from_random_state
from skmmer.masking import _float_array_and_names
from skmmer.metrics import (
    _labelled_part,
    _minus_one_looks_like_a_label,
    is_labelled,
    resolve_metrics,
)
from skmmer.model_selection._parallel import study_backend
from skmmer.model_selection._protocols import EvalSpec, FixedConditions, StudyProtocol, TrainSpec
from skmmer.model_selection._split import make_folds

__all__ = ["RESULT_COLUMNS", "run_study"]

#: Columns of the frame run_study returns, in order.
RESULT_COLUMNS = [
    "method",
    "dataset",
    "protocol",
    "train_setting",
    "setting",
    "fold",
    "metric",
    "value",
    "fit_time",
    "predict_time",
    "n_train",
    "n_labelled",
    "n_test",
]

_SEMI_SUPERVISED_MODULES = ("sklearn.semi_supervised", "skmmer.")


@dataclass
class _Task:
    """One fit: a method on a fold's training setting, then all its test settings."""

    method: str
    estimator: object
    fold: int
    train: np.ndarray
    test: np.ndarray
    train_spec: TrainSpec
    # Each test setting once, with every (protocol, train label, setting label) reporting it.
    evaluations: list[tuple[EvalSpec, list[tuple[str, str, str]]]]
    # "keep", "drop" or "transformers" (see run_study's ``unlabelled``).
    unlabelled: str


# --------------------------------------------------------------------------- #
# Argument checks
# --------------------------------------------------------------------------- #
def _check_estimators(estimators) -> dict[str, object]:
    if not isinstance(estimators, Mapping) or not estimators:
        raise TypeError("estimators must be a non-empty dict {method name: estimator}.")
    for name, estimator in estimators.items():
        if not hasattr(estimator, "fit") or not hasattr(estimator, "predict"):
            raise TypeError(f"estimators[{name!r}] has no fit/predict; got {estimator!r}.")
    return {str(name): estimator for name, estimator in estimators.items()}


def _check_protocols(protocols) -> list[tuple[str, StudyProtocol]]:
    if protocols is None:
        protocols = [FixedConditions()]
    if isinstance(protocols, StudyProtocol):
        protocols = [protocols]
    if isinstance(protocols, Mapping):
        named = [(str(name), protocol) for name, protocol in protocols.items()]
    elif isinstance(protocols, Iterable):
        named = [(getattr(p, "name", type(p).__name__), p) for p in protocols]
    else:
        raise TypeError("protocols must be a protocol, a list of protocols or a dict name -> protocol.")
    for name, protocol in named:
        if not hasattr(protocol, "plan"):
            raise TypeError(f"Protocol {name!r} has no plan(layout) method: {protocol!r}.")
    names = [name for name, _ in named]
    if len(set(names)) != len(names) or not names:
        raise ValueError(
            f"Protocol names {names} must be unique and non-empty: give each a name= or pass a dict."
        )
    return named


def _keeps_unlabelled_rows(estimator) -> bool:
    """Whether an estimator learns from ``y == -1`` rows (rather than taking -1 for a class).

    A class from skmmer or :mod:`sklearn.semi_supervised` does, and so does a
    subclass of one (a user's variant of a skmmer estimator). A pipeline is
    judged by its last step, a hyper-parameter search by the estimator it tunes.
    """
    if any(cls.__module__.startswith(_SEMI_SUPERVISED_MODULES) for cls in type(estimator).__mro__):
        return True
    if hasattr(estimator, "steps"):
        return _keeps_unlabelled_rows(estimator.steps[-1][1])
    if isinstance(estimator, BaseSearchCV):
        return _keeps_unlabelled_rows(estimator.estimator)
    return False


def _transformers_learn_without_labels(estimator) -> bool:
    """Whether ``estimator`` is a pipeline whose steps before the last never need ``y``.

    Such steps (imputers, scalers, :class:`~skmmer.DiffusionImputer`) can learn
    from the unlabelled rows even when the final estimator cannot; a step whose
    tags say it requires ``y`` (a supervised feature selector, a target
    encoder) cannot, and the whole pipeline then sees the labelled rows only.
    """
    if not isinstance(estimator, Pipeline) or len(estimator.steps) < 2:
        return False
    steps = [step for _, step in estimator.steps[:-1] if step not in (None, "passthrough")]
    return all(not get_tags(step).target_tags.required for step in steps)


def _auto_policy(estimator) -> str:
    if _keeps_unlabelled_rows(estimator):
        return "keep"
    return "transformers" if _transformers_learn_without_labels(estimator) else "drop"


def _unlabelled_policy(unlabelled, estimators: dict[str, object]) -> dict[str, str]:
    """Per method: "keep", "drop" or "transformers" (see run_study's ``unlabelled``)."""
    choices = unlabelled if isinstance(unlabelled, Mapping) else dict.fromkeys(estimators, unlabelled)
    unknown = sorted(set(map(str, choices)) - set(estimators))
    if unknown:
        raise ValueError(
            f"unlabelled names {unknown}, which are not methods of this study; the methods "
            f"are {list(estimators)}."
        )
    policy = {}
    for name, estimator in estimators.items():
        choice = choices.get(name, "auto")
        if choice not in ("auto", "keep", "drop", "transformers"):
            raise ValueError(
                f"unlabelled must be 'auto', 'keep', 'drop' or 'transformers'; got {choice!r}."
            )
        if choice == "transformers" and not _transformers_learn_without_labels(estimator):
            raise ValueError(
                f"unlabelled='transformers' for {name!r} needs a Pipeline of at least two steps "
                f"whose steps before the last do not require y; got {estimator!r}."
            )
        policy[name] = _auto_policy(estimator) if choice == "auto" else choice
    return policy


def _as_float_array(X) -> tuple[np.ndarray, pd.Index | None]:
    columns = X.columns if hasattr(X, "columns") and hasattr(X, "iloc") else None
    return _float_array_and_names(X)[0], columns


def _evaluations_by_training(
    protocols: list[tuple[str, StudyProtocol]], layout: ModalityLayout
) -> dict[TrainSpec, dict[EvalSpec, list[tuple[str, str, str]]]]:
    """Group every protocol's settings by training data, so each is fitted once."""
    by_training: dict[TrainSpec, dict[EvalSpec, list[tuple[str, str, str]]]] = {}
    seen: set[tuple[str, str, str]] = set()
    for protocol_name, protocol in protocols:
        plans = protocol.plan(layout)
        train_labels = [plan.train_label for plan in plans]
        repeated = sorted({label for label in train_labels if train_labels.count(label) > 1})
        if repeated:
            raise ValueError(
                f"Protocol {protocol_name!r} lists the training settings {repeated} more than "
                "once; remove the repeats."
            )
        for plan in plans:
            evaluations = by_training.setdefault(plan.train, {})
            for setting, spec in plan.tests:
                cell = (protocol_name, plan.train_label, setting)
                if cell in seen:
                    # Scored twice, it would count every fold twice in summarize's n_folds and std.
                    raise ValueError(
                        f"Protocol {protocol_name!r} lists the test setting {setting!r} of training "
                        f"setting {plan.train_label!r} twice; remove the repeat."
                    )
                seen.add(cell)
                evaluations.setdefault(spec, []).append(cell)
    return by_training


# --------------------------------------------------------------------------- #
# The work of one task (runs in a worker)
# --------------------------------------------------------------------------- #
def _as_estimator_input(array: np.ndarray, columns):
    """Give the estimator a DataFrame when the user gave one (column names may matter)."""
    return array if columns is None else pd.DataFrame(array, columns=columns)


def _training_labels(task: _Task) -> str:
    """The task's training setting as the results table names it, per protocol that uses it."""
    named = dict.fromkeys(
        f"{train_setting!r} ({protocol})"
        for _, reports in task.evaluations
        for protocol, train_setting, _ in reports
    )
    return " = ".join(named)


def _failure(error_score, what: str, task: _Task, error: Exception) -> float:
    if isinstance(error_score, str) and error_score == "raise":
        raise error
    warnings.warn(
        f"{what} failed for method {task.method!r}, fold {task.fold}, training setting "
        f"{_training_labels(task)}; scored {error_score}. {type(error).__name__}: {error}",
        UserWarning,
        stacklevel=2,
    )
    return float(error_score)


def _fit_transformers_on_every_row(pipeline, X_fit, y_fit):
    """Fit a pipeline's transformers on every row (without ``y``), its last step on the labelled rows."""
    transformed = pipeline[:-1].fit_transform(X_fit)
    rows, y_labelled = _labelled_part(y_fit)  # object arrays of ints become ints
    labelled = np.flatnonzero(rows)
    kept = transformed.iloc[labelled] if hasattr(transformed, "iloc") else transformed[labelled]
    pipeline.steps[-1][1].fit(kept, y_labelled)
    return pipeline


def _fit(task: _Task, X_fit, y_fit, columns, error_score):
    start = time.perf_counter()
    X_input = _as_estimator_input(X_fit, columns)
    try:
        with warnings.catch_warnings():
            # run_study has said it once already; every fold's fit would repeat it.
            warnings.filterwarnings("ignore", message=FIT_MINUS_ONE_WARNING, category=UserWarning)
            if task.unlabelled == "transformers":
                estimator = _fit_transformers_on_every_row(task.estimator, X_input, y_fit)
            else:
                estimator = task.estimator.fit(X_input, y_fit)
    except Exception as error:  # any failure: error_score decides
        _failure(error_score, "fit", task, error)
        return None, float("nan")
    return estimator, time.perf_counter() - start


def _predict_and_score(estimator, X_test, y_test, metrics, columns, error_score, task):
    """``({metric: value}, predict_time)`` of one test setting."""
    if estimator is None:
        return dict.fromkeys(metrics, float(error_score)), float("nan")
    start = time.perf_counter()
    try:
        y_pred = estimator.predict(_as_estimator_input(X_test, columns))
    except Exception as error:  # any failure: error_score decides
        value = _failure(error_score, "predict", task, error)
        return dict.fromkeys(metrics, value), float("nan")
    predict_time = time.perf_counter() - start
    return {name: float(metric(y_test, y_pred)) for name, metric in metrics.items()}, predict_time


def _run_task(X, y, task: _Task, layout, metrics, columns, dataset, random_state, error_score):
    """Fit one method on one training setting and score it on each test setting."""
    X_fit, y_fit = task.train_spec.make(
        X[task.train], y[task.train], layout, random_state=random_state, fold=task.fold
    )
    if task.unlabelled == "drop":
        rows, y_fit = _labelled_part(y_fit)
        X_fit = X_fit[rows]
    estimator, fit_time = _fit(task, X_fit, y_fit, columns, error_score)
    sizes = {
        "n_train": len(y_fit),
        "n_labelled": int(is_labelled(y_fit).sum()),
        "n_test": len(task.test),
    }
    X_test_observed, y_test = X[task.test], y[task.test]
    rows = []
    for spec, reports in task.evaluations:
        X_test = spec.make(X_test_observed, layout, random_state=random_state, fold=task.fold)
        scores, predict_time = _predict_and_score(
            estimator, X_test, y_test, metrics, columns, error_score, task
        )
        for protocol, train_setting, setting in reports:
            for metric, value in scores.items():
                rows.append(
                    {
                        "method": task.method,
                        "dataset": dataset,
                        "protocol": protocol,
                        "train_setting": train_setting,
                        "setting": setting,
                        "fold": task.fold,
                        "metric": metric,
                        "value": value,
                        "fit_time": fit_time,
                        "predict_time": predict_time,
                        **sizes,
                    }
                )
    return rows


def _run_task_keeping_warnings(*args) -> tuple[list[dict], list[tuple[str, type]]]:
    """``_run_task`` with the warnings it raised returned, for the caller to re-raise.

    A worker process prints its warnings to its own stderr, out of reach of
    the caller's warning filters and of ``pytest.warns``; returned, they are
    raised again in the calling process whatever the backend.
    """
    with warnings.catch_warnings(record=True) as caught:
        rows = _run_task(*args)
    return rows, [(str(w.message), w.category) for w in caught]


def _rows_reraising_warnings(outputs) -> list[dict]:
    rows = []
    for task_rows, caught in outputs:
        for message, category in caught:
            warnings.warn(message, category, stacklevel=3)
        rows += task_rows
    return rows


def _with_progress(outputs, total: int, verbose: int):
    if not verbose:
        return outputs
    try:
        from tqdm.auto import tqdm
    except ImportError:  # progress is a nicety, not a requirement
        return outputs
    return tqdm(outputs, total=total, desc="run_study", unit="fit")


# --------------------------------------------------------------------------- #
# Public entry point
# --------------------------------------------------------------------------- #
def run_study(
    estimators: Mapping[str, object],
    X,
    y,
    modalities,
    *,
    protocols=None,
    cv=5,
    groups=None,
    dataset: str = "dataset",
    metrics=None,
    unlabelled="auto",
    n_jobs: int | None = None,
    backend: str | None = None,
    scheduler=None,
    dask_options: dict | None = None,
    random_state=0,
    error_score="raise",
    verbose: int = 0,
) -> pd.DataFrame:
    """Evaluate estimators under missing-modality and scarce-label protocols.

    Every method sees the same folds, the same simulated masks and the same
    kept labels: all random draws are seeded from ``(random_state, fold,
    setting)``, never from the method. Each estimator is cloned and fitted
    once per (method, fold, training setting) and then predicts every test
    setting of every protocol that shares that training data. The fits run
    as independent joblib tasks, so sequential, multi-process and dask runs
    give the same numbers (given estimators with a fixed ``random_state``).

    Parameters
    ----------
    estimators : dict of str to estimator
        ``{method name: unfitted estimator}``; any scikit-learn classifier or
        regressor (pipelines included) that handles NaN, alone or through an
        imputer step.
    X : array-like or DataFrame of shape (n_samples, n_features)
        Features; a block all NaN in a row is a missing modality.
    y : array-like of shape (n_samples,)
        Targets; ``-1`` marks an unlabelled row, never scored.
    modalities : list of int or dict
        Column blocks (see :func:`skmmer._layout.resolve_modalities`).
    protocols : protocol, list of protocols or dict, default=None
        :class:`FixedConditions`, :class:`MissingRates`,
        :class:`LabelFractions` (or any object with ``plan(layout)``). A dict
        names them; otherwise each protocol's ``name``. ``None``:
        ``FixedConditions()``.
    cv : int, "logo", dict, list of pairs or splitter, default=5
        See :func:`make_splitter`; a dict ``{"train": ..., "test": ...}`` is a
        fixed split (CMU-MOSI). Generated splits keep unlabelled rows out of
        test folds (:class:`LabelledSplit`).
    groups : array-like of shape (n_samples,), default=None
        Speaker or session of each row; no group is in both sides of a fold.
    dataset : str, default="dataset"
        The ``dataset`` column.
    metrics : None, str, list of str or dict, default=None
        See :func:`skmmer.metrics.resolve_metrics`; default WA, UA, macro-F1.
    unlabelled : {"auto", "keep", "drop", "transformers"} or dict, default="auto"
        What the estimator gets of the unlabelled training rows: ``"keep"``
        passes them with ``y == -1`` (semi-supervised learners), ``"drop"``
        fits on the labelled rows only (supervised baselines, which would
        otherwise learn -1 as a class), and ``"transformers"`` fits a
        pipeline's steps before the last on every training row, without
        ``y``, and its final estimator on the labelled rows (an imputer or
        scaler learns from the unlabelled rows; the classifier does not).
        ``"auto"`` keeps them for estimators from
        :mod:`sklearn.semi_supervised` or skmmer and their subclasses (also at
        the end of a pipeline or inside a hyper-parameter search), picks
        ``"transformers"`` for any other pipeline whose steps before the last
        do not require ``y`` (their ``target_tags.required``), and drops them
        otherwise. A dict sets it per method.
    n_jobs : int, default=None
        Parallel tasks (joblib semantics); ``None`` is 1, or every dask
        worker thread with ``backend="dask"``.
    backend : str, default=None
        ``None``: joblib's current backend (loky unless configured); ``"dask"``:
        a distributed cluster (see ``scheduler``); or any joblib backend name.
    scheduler : None, str or distributed.Client, default=None
        With ``backend="dask"`` (implied when this is not None): ``None``
        starts a ``LocalCluster`` (2 worker processes, 1 thread each; change
        with ``dask_options``) and closes it afterwards; a string is a
        scheduler address (``"tcp://host:8786"``); a ``Client`` is used as is.
        Remote workers need skmmer installed.
    dask_options : dict, default=None
        Keyword arguments of the ``LocalCluster`` started when ``scheduler``
        is None.
    random_state : int, RandomState instance or None, default=0
        Seed of the splits, masks and label draws (not of the estimators).
    error_score : "raise" or float, default="raise"
        Value recorded (with a warning) when a fit or predict fails.
    verbose : int, default=0
        Show a progress bar over the fits when > 0.

    Returns
    -------
    DataFrame
        One row per (method, protocol, training setting, test setting, fold,
        metric), with the columns of ``RESULT_COLUMNS``: ``method``,
        ``dataset``, ``protocol``, ``train_setting``, ``setting`` (the test
        setting), ``fold``, ``metric``, ``value``, ``fit_time`` and
        ``predict_time`` in seconds, and ``n_train``, ``n_labelled``,
        ``n_test`` (rows fitted on, of which labelled, and test rows).

    Raises
    ------
    ImportError
        With ``backend="dask"`` when dask/distributed are not installed.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn.impute import SimpleImputer
    >>> from sklearn.linear_model import LogisticRegression
    >>> from sklearn.pipeline import make_pipeline
    >>> from skmmer.model_selection import MissingRates, run_study
    >>> rng = np.random.default_rng(0)
    >>> y = np.repeat([0, 1], 30)
    >>> X = rng.normal(size=(60, 6)) + y[:, None]
    >>> model = make_pipeline(SimpleImputer(), LogisticRegression())
    >>> results = run_study({"logreg": model}, X, y, [2, 2, 2], cv=3,
    ...                     protocols=MissingRates([0.0, "max"]))
    >>> results.groupby("setting", sort=False)["value"].size().to_dict()
    {'0.0': 9, 'max': 9}
    """
    estimators = _check_estimators(estimators)
    X_array, columns = _as_float_array(X)
    y = np.asarray(y)
    if y.ndim != 1 or len(y) != len(X_array):
        raise ValueError(f"y must be 1-D with one label per row of X ({len(X_array)} rows).")
    if _minus_one_looks_like_a_label(y):
        warnings.warn(
            f"{int(np.sum(y == -1))} rows have y == -1 and are treated as unlabelled (never "
            "tested, trained on only by semi-supervised methods), but the other labels look like "
            "sentiment scores or classes of -3..3, where -1 is a real label. If it is one, "
            "recode the labels so that no real label is -1.",
            UserWarning,
            stacklevel=2,
        )
    groups = None if groups is None else np.asarray(groups)
    names = None if columns is None else np.asarray(columns).astype(str)
    layout = resolve_modalities(modalities, X_array.shape[1], names)
    metric_functions = resolve_metrics(metrics)
    by_training = _evaluations_by_training(_check_protocols(protocols), layout)
    policy = _unlabelled_policy(unlabelled, estimators)
    seed = seed_from_random_state(random_state)
    folds = make_folds(cv, X_array, y, groups, random_state=seed)
    tasks = [
        _Task(method, clone(estimator), k, train, test, spec, list(evals.items()), policy[method])
        for method, estimator in estimators.items()
        for k, (train, test) in enumerate(folds)
        for spec, evals in by_training.items()
    ]
    with study_backend(backend, n_jobs, scheduler, dask_options) as effective_n_jobs:
        outputs = Parallel(n_jobs=effective_n_jobs, return_as="generator")(
            delayed(_run_task_keeping_warnings)(
                X_array, y, task, layout, metric_functions, columns, dataset, seed, error_score
            )
            for task in tasks
        )
        rows = _rows_reraising_warnings(_with_progress(outputs, len(tasks), verbose))
    return pd.DataFrame(rows, columns=RESULT_COLUMNS)
