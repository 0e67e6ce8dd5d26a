"""Base classes of skmmer's estimators: the scikit-learn face over one torch engine.

:class:`TorchEstimatorBase` owns everything that is not method-specific:
device resolution, seeding, input validation against ``modalities``,
standardization, the validation split for early stopping, calls into the
training loop (:func:`skmmer._engine.train_module`), chunked inference and
CPU-loadable pickling. A method subclasses :class:`MultimodalClassifierBase`
(or the transformer base) and writes only its hooks:

``_build_module()``
    the ``torch.nn.Module``, from parameters and fitted attributes only (it
    is called again when a pickle is loaded);
``_losses(module, batch, generator)``
    named scalar losses of a batch (``batch`` holds ``"x"``, ``"observed"``
    and, for classifiers, ``"y"``);
``_fit_module(data, generator)`` (optional)
    the default builds the module and trains it once; stage-wise methods call
    :meth:`TorchEstimatorBase._train` once per stage;
``_predict_logits(module, batch)`` / ``_embed(module, batch)``
    inference on a chunk of rows.
"""

from __future__ import annotations

import contextlib
import copy
import io
import warnings
from collections.abc import Iterator
from numbers import Integral, Real
from typing import Any

import numpy as np
import torch
from sklearn.base import BaseEstimator, ClassifierMixin, TransformerMixin
from sklearn.metrics import accuracy_score
from sklearn.model_selection import StratifiedShuffleSplit
from sklearn.utils import check_consistent_length, column_or_1d
from sklearn.utils._param_validation import Interval, StrOptions, validate_parameter_constraints
from sklearn.utils.validation import check_is_fitted, validate_data

from skmmer._engine import (
    EVAL_CHUNK,
    TrainingConfig,
    TrainingResult,
    split_rows,
    train_module,
)
from skmmer._labels import (
    check_no_missing_labels,
    encode_semi_supervised_labels,
    resolve_class_weight,
    warn_if_minus_one_looks_like_a_label,
)
from skmmer._layout import ModalityLayout, check_no_inf, resolve_modalities
from skmmer._preprocessing import ModalityScaler
from skmmer._random import make_generator, seed_from_random_state, seeded
from skmmer.masking import ModalityDropout, _check_rate
from skmmer.metrics import _labelled_part

__all__ = ["TorchEstimatorBase", "MultimodalClassifierBase", "resolve_device"]

#: ``early_stopping="auto"`` turns early stopping on from this many rows to draw the
#: validation split from: labelled rows for a classifier, all rows for an imputer.
AUTO_EARLY_STOPPING_MIN_ROWS = 1000
#: Below this many validation rows, an explicit ``early_stopping=True`` warns: the
#: stopping epoch would be chosen by noise.
MIN_VALIDATION_ROWS = 20


def resolve_device(device: str | torch.device) -> torch.device:
    """``"auto"`` -> CUDA when available, else CPU; check an explicit CUDA request."""
    if str(device) == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    try:
        resolved = torch.device(device)
    except RuntimeError:
        raise ValueError(
            f"device={str(device)!r} is not a torch device; use 'auto' (GPU when there is "
            "one), 'cpu', 'cuda' or 'cuda:N' for the N-th GPU."
        ) from None
    if resolved.type == "cuda" and not torch.cuda.is_available():
        raise ValueError(
            f"device={str(device)!r} but CUDA is not available on this machine; use "
            "device='auto' (GPU when there is one) or device='cpu'."
        )
    if resolved.type == "cuda" and resolved.index is not None and resolved.index >= torch.cuda.device_count():
        raise ValueError(
            f"device={str(device)!r} but this machine has {torch.cuda.device_count()} CUDA "
            f"device(s), numbered from 0; use 'cuda:0' to 'cuda:{torch.cuda.device_count() - 1}'."
        )
    return resolved


class TorchEstimatorBase(BaseEstimator):
    """Shared plumbing of skmmer's torch estimators (see the module docstring).

    Subclasses declare their parameters explicitly in ``__init__`` (scikit-learn
    reads them from its signature) and include :attr:`_engine_constraints` in
    their ``_parameter_constraints``.
    """

    _engine_constraints: dict = {
        "modalities": [None, list, tuple, dict, np.ndarray],
        "max_epochs": [Interval(Integral, 1, None, closed="left")],
        "batch_size": [Interval(Integral, 1, None, closed="left")],
        "learning_rate": [Interval(Real, 0, None, closed="neither")],
        "weight_decay": [Interval(Real, 0, None, closed="left")],
        "early_stopping": [StrOptions({"auto"}), "boolean"],
        "validation_fraction": [Interval(Real, 0, 1, closed="neither")],
        "n_iter_no_change": [Interval(Integral, 1, None, closed="left")],
        "tol": [Interval(Real, 0, None, closed="left")],
        "device": [str, torch.device],
        "random_state": ["random_state"],
        "verbose": ["verbose"],
    }

    #: Gradient-norm clipping applied by the engine (None: off).
    _grad_clip: float | None = None
    #: Whether unlabelled rows (y == -1) reach the training loop.
    _uses_unlabelled_rows: bool = True

    # ------------------------------------------------------------------ #
    # Input handling
    # ------------------------------------------------------------------ #
    def _validate_X(self, X, y="no_validation", *, reset: bool):
        """Validated float64 X (and y) and, at fit, the fitted layout attributes."""
        if reset:
            if isinstance(y, str) and y == "no_validation":
                X = validate_data(self, X, dtype=np.float64, ensure_all_finite=False)
            else:
                X, y = validate_data(
                    self, X, y, dtype=np.float64, ensure_all_finite=False, y_numeric=False
                )
            feature_names = getattr(self, "feature_names_in_", None)
            self._layout = resolve_modalities(self.modalities, X.shape[1], feature_names)
            self.modalities_ = self._layout.as_dict()
            self.n_modalities_ = self._layout.n_modalities
        else:
            X = validate_data(self, X, dtype=np.float64, ensure_all_finite=False, reset=False)
        check_no_inf(X, self._layout, getattr(self, "feature_names_in_", None))
        return X if isinstance(y, str) and y == "no_validation" else (X, y)

    @property
    def layout_(self) -> ModalityLayout:
        """The fitted :class:`~skmmer._layout.ModalityLayout`."""
        check_is_fitted(self, "modalities_")
        return self._layout

    def _tensors(self, values: np.ndarray, observed: np.ndarray, **extra) -> dict[str, torch.Tensor]:
        data = {
            "x": torch.from_numpy(values).to(self.device_),
            "observed": torch.from_numpy(observed).to(self.device_),
        }
        for key, array in extra.items():
            data[key] = torch.from_numpy(np.ascontiguousarray(array)).to(self.device_)
        return data

    #: Parameters read at prediction rather than at fit, checked by every prediction.
    _prediction_params: tuple[str, ...] = ()

    def _prepare_predict(self, X) -> dict[str, torch.Tensor]:
        check_is_fitted(self, "module_")
        self._validate_prediction_params(*self._prediction_params)
        X = self._validate_X(X, reset=False)
        values, observed = self.scaler_.transform(X)
        return self._tensors(values, observed)

    # ------------------------------------------------------------------ #
    # Training
    # ------------------------------------------------------------------ #
    def _engine_config(self, **overrides) -> TrainingConfig:
        settings = dict(
            max_epochs=self.max_epochs,
            batch_size=self.batch_size,
            learning_rate=self.learning_rate,
            weight_decay=self.weight_decay,
            n_iter_no_change=self.n_iter_no_change,
            tol=self.tol,
            grad_clip=self._grad_clip,
            verbose=int(self.verbose),
            description=type(self).__name__,
        )
        settings.update(overrides)
        return TrainingConfig(**settings)

    def _use_early_stopping(self, n_rows: int, y_encoded: np.ndarray | None) -> bool:
        """Resolve ``early_stopping``; "auto" counts the rows validation draws from.

        A classifier validates on labelled rows only, so with few labels and
        many unlabelled rows "auto" leaves early stopping off rather than
        judging epochs on a handful of rows.
        """
        if self.early_stopping == "auto":
            n_candidates = n_rows if y_encoded is None else int(np.count_nonzero(y_encoded >= 0))
            return n_candidates >= AUTO_EARLY_STOPPING_MIN_ROWS
        return bool(self.early_stopping)

    def _validation_rows(self, y_encoded: np.ndarray | None, n_rows: int, rng) -> np.ndarray:
        """Rows held out for early stopping: stratified among the labelled rows.

        Unlabelled rows always stay in training. Without labels (imputers) a
        random fraction of all rows is held out.
        """
        if y_encoded is None or not (y_encoded >= 0).any():
            n_val = self._n_validation_rows(n_rows, "")
            return np.sort(rng.permutation(n_rows)[:n_val])
        labelled = np.flatnonzero(y_encoded >= 0)
        labels = y_encoded[labelled]
        n_classes = len(np.unique(labels))
        n_val = self._n_validation_rows(len(labelled), "labelled ")
        counts = np.bincount(labels)
        if counts[counts > 0].min() >= 2 and n_classes <= n_val <= len(labelled) - n_classes:
            splitter = StratifiedShuffleSplit(n_splits=1, test_size=n_val, random_state=rng)
            _, val = next(splitter.split(labelled, labels))
        else:
            val = rng.permutation(len(labelled))[:n_val]
            self._warn_classes_left_out_of_training(np.delete(labels, val), labels)
        return np.sort(labelled[val])

    def _n_validation_rows(self, n_candidates: int, kind: str) -> int:
        n_val = max(1, round(self.validation_fraction * n_candidates))
        if n_val >= n_candidates:
            raise ValueError(
                f"{type(self).__name__}: early stopping would hold out {n_val} of the "
                f"{n_candidates} {kind}rows (validation_fraction={self.validation_fraction}), "
                "leaving none to train on. Lower validation_fraction or pass early_stopping=False."
            )
        return n_val

    def _warn_classes_left_out_of_training(self, trained: np.ndarray, labels: np.ndarray) -> None:
        lost = np.setdiff1d(labels, trained)
        if lost.size:
            warnings.warn(
                f"{type(self).__name__}: early stopping holds out every labelled row of the "
                f"classes {self.classes_[lost].tolist()}, so the network never trains on them. "
                "Pass early_stopping=False (or 'auto') or label more rows of those classes.",
                UserWarning,
                stacklevel=4,
            )

    def _start_fit(self, n_rows: int, y_encoded: np.ndarray | None) -> None:
        """Resolve device and seed, and choose the validation rows, for this fit."""
        self.device_ = resolve_device(self.device)
        self._seed = seed_from_random_state(self.random_state)
        # set_params after fit changes the next fit, not the fitted model: what it was
        # built from is kept to rebuild it from a pickle and to read at inference.
        self._params_at_fit = copy.deepcopy(self.get_params(deep=False))
        self.history_ = []
        self.early_stopping_ = self._use_early_stopping(n_rows, y_encoded)
        if self.early_stopping_:
            rng = np.random.RandomState(self._seed)
            self._valid_rows = self._validation_rows(y_encoded, n_rows, rng)
            if len(self._valid_rows) < MIN_VALIDATION_ROWS:
                warnings.warn(
                    f"{type(self).__name__}: early stopping holds out only "
                    f"{len(self._valid_rows)} rows for validation, too few to choose the "
                    "stopping epoch by; training may stop far too early. Pass "
                    "early_stopping=False or 'auto' (off below "
                    f"{AUTO_EARLY_STOPPING_MIN_ROWS} labelled rows), or raise "
                    "validation_fraction.",
                    UserWarning,
                    stacklevel=3,
                )
        else:
            self._valid_rows = None

    #: Private attributes that a fit sets next to its public fitted ones (names ending in "_").
    _private_fit_state: tuple[str, ...] = ("_layout", "_seed", "_params_at_fit", "_valid_rows")

    @contextlib.contextmanager
    def _unfitted_if_fit_fails(self) -> Iterator[None]:
        """Inside the block, an exception leaves the estimator unfitted before it propagates.

        A fit that fails part-way (a diverging loss, an error in a later stage)
        would otherwise leave a half-trained ``module_`` among the attributes of
        this fit and of the previous one, and ``predict`` would answer with it.
        Any exception counts, KeyboardInterrupt included: an interrupted epoch
        leaves weights that no epoch chose.
        """
        try:
            yield
        except BaseException:
            self._forget_fit()
            raise

    def _forget_fit(self) -> None:
        """Delete every fitted attribute, so that ``check_is_fitted`` fails as before any fit."""
        fitted = [name for name in vars(self) if name.endswith("_") and not name.startswith("__")]
        for name in [*fitted, *self._private_fit_state]:
            self.__dict__.pop(name, None)

    def _validate_prediction_params(self, *names: str, **arguments) -> None:
        """Check the parameters that prediction reads now, as ``fit`` checks them all.

        ``set_params`` after fit changes such a parameter (``n_draws``, say)
        without a new fit, so without ``_validate_params``: a bad value would
        give NaN, a silently wrong output or a cryptic error deep in torch
        instead of scikit-learn's message. ``arguments`` checks a method
        argument against the parameter of the same name.
        """
        values = {name: getattr(self, name) for name in names}
        values.update(arguments)
        validate_parameter_constraints(
            {name: self._parameter_constraints[name] for name in values},
            values,
            caller_name=type(self).__name__,
        )

    def _fitted_param(self, name: str):
        """The value parameter ``name`` had at fit (its current value before any fit)."""
        return self.__dict__.get("_params_at_fit", {}).get(name, getattr(self, name))

    @contextlib.contextmanager
    def _parameters_of_the_fit(self) -> Iterator[None]:
        """Inside the block the parameters are those of the fit (e.g. to rebuild its module)."""
        fitted = self.__dict__.get("_params_at_fit")
        if not fitted:
            yield
            return
        current = {name: self.__dict__[name] for name in fitted if name in self.__dict__}
        self.__dict__.update(fitted)
        try:
            yield
        finally:
            self.__dict__.update(current)

    def _train(
        self,
        module: torch.nn.Module,
        data: dict[str, torch.Tensor],
        generator: torch.Generator,
        *,
        loss_fn=None,
        loss_weights=None,
        monitor_fn=None,
        parameters=None,
        stage: str | None = None,
        **config_overrides,
    ) -> TrainingResult:
        """Run the engine on ``data`` with this fit's validation split; record history."""
        loss_fn = loss_fn or self._losses
        validation = None
        train = data
        if self._valid_rows is not None:
            n = next(iter(data.values())).shape[0]
            is_valid = torch.zeros(n, dtype=torch.bool)
            is_valid[torch.from_numpy(self._valid_rows)] = True
            is_valid = is_valid.to(self.device_)
            train = split_rows(data, torch.nonzero(~is_valid).squeeze(1))
            validation = split_rows(data, torch.nonzero(is_valid).squeeze(1))
        result = train_module(
            module,
            train,
            loss_fn,
            self._engine_config(**config_overrides),
            generator,
            validation_data=validation,
            loss_weights=loss_weights if loss_weights is not None else self._loss_weights(),
            monitor_fn=monitor_fn,
            parameters=parameters,
            stage=stage,
        )
        self.history_.extend(result.history)
        self.n_epochs_ = result.n_epochs
        self.best_epoch_ = result.best_epoch
        self.stop_reason_ = result.stop_reason
        return result

    def _fit_module(self, data: dict[str, torch.Tensor], generator: torch.Generator) -> None:
        """Default: build the module and train it once. Override for stages."""
        self.module_ = self._build_module().to(self.device_)
        self._train(self.module_, data, generator)

    def _loss_weights(self) -> dict[str, float]:
        """Weights of the named losses (a name absent here has weight 1)."""
        return {}

    # Hooks -------------------------------------------------------------- #
    def _build_module(self) -> torch.nn.Module:  # pragma: no cover - abstract
        raise NotImplementedError

    def _losses(self, module, batch, generator) -> dict[str, torch.Tensor]:  # pragma: no cover
        raise NotImplementedError

    # ------------------------------------------------------------------ #
    # Inference
    # ------------------------------------------------------------------ #
    def _predict_generator(self) -> torch.Generator:
        """A fresh generator for stochastic inference, the same at every call."""
        return make_generator(self._seed + 1, self.device_)

    def _run_in_chunks(self, fn, data: dict[str, torch.Tensor]) -> np.ndarray:
        """``fn(module, chunk)`` over row chunks without gradients -> float32 numpy."""
        self.module_.eval()
        n = data["x"].shape[0]
        outputs = []
        with torch.inference_mode(), seeded(self._seed + 2, self.device_):
            for start in range(0, n, EVAL_CHUNK):
                chunk = {k: v[start : start + EVAL_CHUNK] for k, v in data.items()}
                outputs.append(fn(self.module_, chunk))
        return torch.cat(outputs).float().cpu().numpy()

    # ------------------------------------------------------------------ #
    # Pickling: a CPU state dict, reloaded with weights_only=True
    # ------------------------------------------------------------------ #
    def __getstate__(self) -> dict[str, Any]:
        state = super().__getstate__()
        module = state.get("module_")
        if isinstance(module, torch.nn.Module):
            buffer = io.BytesIO()
            torch.save({k: v.detach().cpu() for k, v in module.state_dict().items()}, buffer)
            state = dict(state)
            state["module_"] = _SerializedStateDict(buffer.getvalue())
            state["device_"] = str(state.get("device_", "cpu"))
        return state

    def __setstate__(self, state: dict[str, Any]) -> None:
        serialized = state.get("module_")
        super().__setstate__(state)
        if isinstance(serialized, _SerializedStateDict):
            device = _loadable_device(torch.device(self.device_))
            self.device_ = device
            with self._parameters_of_the_fit():
                module = self._build_module()
            weights = torch.load(io.BytesIO(serialized.payload), map_location="cpu", weights_only=True)
            module.load_state_dict(weights)
            self.module_ = module.to(device).eval()

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.allow_nan = True
        tags.non_deterministic = False
        return tags


def _loadable_device(device: torch.device) -> torch.device:
    """The device a pickled model goes back to: its own GPU if this machine has it, else the CPU.

    A model fitted on ``cuda:1`` of a two-GPU machine has no ``cuda:1`` on a
    one-GPU machine; like a GPU model on a CPU-only machine, it loads on the CPU.
    """
    if device.type != "cuda":
        return device
    if not torch.cuda.is_available():
        return torch.device("cpu")
    if device.index is not None and device.index >= torch.cuda.device_count():
        return torch.device("cpu")
    return device


class _SerializedStateDict:
    """Bytes of ``torch.save(state_dict)`` inside a pickled estimator."""

    def __init__(self, payload: bytes):
        self.payload = payload


class MultimodalClassifierBase(ClassifierMixin, TransformerMixin, TorchEstimatorBase):
    """fit / predict / predict_proba / transform / score for multimodal classifiers.

    ``y == -1`` marks unlabelled rows: ``classes_`` comes from the labelled
    rows, and ``score`` ignores the unlabelled ones. A row with every
    modality missing is predicted with the class prior of the labelled
    training rows, reweighted by the class weights (``class_prior_``).

    Subclasses take a ``class_weight`` parameter, which this class resolves
    into ``class_weight_`` and into ``_loss_class_weight``: the tensor their
    cross-entropy terms pass to
    :func:`skmmer.nn.masked_cross_entropy` (None when the weights are uniform).
    """

    #: Parameters this class handles for every classifier.
    _engine_constraints: dict = {
        **TorchEstimatorBase._engine_constraints,
        "class_weight": [StrOptions({"balanced"}), dict, None],
    }

    def fit(self, X, y):
        """Fit the model.

        A fit that raises leaves the estimator unfitted, whatever it held
        before: no half-trained network is left to predict with.

        Parameters
        ----------
        X : array-like or DataFrame of shape (n_samples, n_features)
            Features; a modality block that is all NaN in a row is missing.
        y : array-like of shape (n_samples,)
            Labels; ``-1`` marks an unlabelled row. A labelled row with no
            modality observed teaches the network nothing (a warning says
            how many there are).

        Returns
        -------
        self : object
            The fitted estimator.

        Raises
        ------
        ValueError
            Besides invalid parameters and inputs: if no labelled row has a
            modality observed, or if ``modality_dropout`` is a rate that
            cannot be reached with the number of modalities.
        """
        # Fitted attributes are written as fit goes: on an error none of them may stay.
        with self._unfitted_if_fit_fails():
            self._validate_params()
            check_no_missing_labels(y)
            X, y = self._validate_X(X, y, reset=True)
            self._check_modality_dropout()
            self.classes_, y_encoded = encode_semi_supervised_labels(y)
            labelled = y_encoded >= 0
            self.class_weight_ = resolve_class_weight(self.class_weight, self.classes_, y_encoded)
            # What the weighted cross-entropy learns for an input that says nothing:
            # argmin_q sum_k w_k pi_k (-log q_k) is q proportional to w * pi.
            prior = np.bincount(y_encoded[labelled], minlength=len(self.classes_)) * self.class_weight_
            self.class_prior_ = prior / prior.sum()
            self.scaler_ = ModalityScaler(self._layout).fit(
                X, getattr(self, "feature_names_in_", None),
                trained_rows=None if self._uses_unlabelled_rows or labelled.all() else labelled,
            )
            values, observed = self.scaler_.transform(X)
            self._check_labelled_rows_have_input(observed, y_encoded)
            if not self._uses_unlabelled_rows:
                values, observed, y_encoded = values[labelled], observed[labelled], y_encoded[labelled]
            self._start_fit(len(y_encoded), y_encoded)
            with seeded(self._seed, self.device_):
                generator = make_generator(self._seed, self.device_)
                data = self._tensors(values, observed, y=y_encoded)
                self._fit_class_weight = self._class_weight_tensor()
                try:
                    self._fit_module(data, generator)
                finally:
                    del self._fit_class_weight  # a device tensor has no place in a pickle
        return self

    def _check_labelled_rows_have_input(self, observed: np.ndarray, y_encoded: np.ndarray) -> None:
        """Say when labelled rows have no modality observed: the network cannot learn their label.

        The cross-entropy ignores a row given no input (its logits are those
        of an empty input, whatever its class; see
        :func:`skmmer.nn.masked_cross_entropy`), so such a label counts only
        in ``class_prior_``. Without this, a class whose labelled rows are
        all empty would silently never be learnt.
        """
        labelled = y_encoded >= 0
        empty = labelled & ~observed.any(axis=1)
        n_empty, n_labelled = int(np.count_nonzero(empty)), int(np.count_nonzero(labelled))
        if n_empty == 0:
            return
        if n_empty == n_labelled:
            raise ValueError(
                f"None of the {n_labelled} labelled rows of X has a modality observed (each "
                "has every block all NaN), so the network has no input to learn the classes "
                "from. Label rows that have at least one modality observed, and check that "
                "modalities matches the columns of X."
            )
        learnt = np.unique(y_encoded[labelled & ~empty])
        lost = np.setdiff1d(np.arange(len(self.classes_)), learnt)
        message = (
            f"{type(self).__name__}: {n_empty} of the {n_labelled} labelled rows have no "
            "modality observed (every block all NaN), so the network cannot learn from their "
            "labels; they count only in class_prior_, the prediction for rows with nothing "
            "observed."
        )
        if lost.size:
            message += (
                f" No labelled row of the classes {self.classes_[lost].tolist()} has a modality "
                "observed: the network never learns them, and predicts them for no row that "
                "has input. Label rows of those classes that have a modality observed."
            )
        warnings.warn(message, UserWarning, stacklevel=3)

    def _check_modality_dropout(self) -> None:
        """Reject an unreachable ``modality_dropout`` rate before anything trains.

        A stage-wise method draws its masks only in its last stage, so the
        sampler's own check would come after the first stages had trained,
        and its message would not name the parameter.
        """
        if "modality_dropout" not in self._parameter_constraints:
            return
        setting, n_modalities = self.modality_dropout, self.n_modalities_
        if isinstance(setting, str) or n_modalities < 2:
            return  # a subset scheme always has a pattern to draw; one modality: nothing to drop
        _check_rate(
            float(setting), n_modalities, name="modality_dropout",
            hint=" Lower modality_dropout, or pass 'subsets' to give every complete row a "
            "random subset of its modalities.",
        )

    def _modality_dropout_sampler(self, *, complete_rows_only: bool = False) -> ModalityDropout | None:
        """The training-mask sampler of ``modality_dropout``; None when it draws nothing.

        With a single modality there is nothing to drop (a row always keeps
        one), so every setting, a rate or a subset scheme alike, trains on
        the rows as observed.
        """
        if self.n_modalities_ < 2:
            return None
        return ModalityDropout.from_setting(
            self.modality_dropout, self.n_modalities_, self.device_,
            complete_rows_only=complete_rows_only,
        )

    def _class_weight_tensor(self) -> torch.Tensor | None:
        """``class_weight_`` on the device, or None when it is uniform (no weighting at all)."""
        weights = self.class_weight_
        if np.all(weights == weights[0]):
            return None
        return torch.as_tensor(weights, dtype=torch.float32, device=self.device_)

    @property
    def _loss_class_weight(self) -> torch.Tensor | None:
        """The class weights the cross-entropy terms pass on: made once per fit, so
        the batch loop copies nothing to the device; outside fit, made on demand."""
        during_fit = self.__dict__.get("_fit_class_weight")
        return during_fit if during_fit is not None else self._class_weight_tensor()

    def predict_proba(self, X) -> np.ndarray:
        """Class probabilities (float32), rows with no modality get ``class_prior_``.

        Parameters
        ----------
        X : array-like or DataFrame of shape (n_samples, n_features)

        Returns
        -------
        proba : ndarray of shape (n_samples, n_classes)
        """
        data = self._prepare_predict(X)
        logits = self._run_in_chunks(self._predict_logits, data)
        proba = torch.softmax(torch.from_numpy(logits), dim=1).numpy()
        nothing_observed = ~data["observed"].any(dim=1).cpu().numpy()
        proba[nothing_observed] = self.class_prior_.astype(np.float32)
        return proba

    def predict(self, X) -> np.ndarray:
        """Most probable class of each row."""
        proba = self.predict_proba(X)
        return self.classes_[proba.argmax(axis=1)]

    def transform(self, X) -> np.ndarray:
        """The method's joint representation of each row (float32)."""
        data = self._prepare_predict(X)
        return self._run_in_chunks(self._embed, data)

    def score(self, X, y, sample_weight=None) -> float:
        """Accuracy on the labelled rows (``y != -1``); unlabelled rows are ignored."""
        check_is_fitted(self, "module_")
        y = column_or_1d(y, warn=True)
        check_consistent_length(X, y, sample_weight)
        labelled, y_labelled = _labelled_part(y)
        warn_if_minus_one_looks_like_a_label(y, "score skips them", stacklevel=2)
        if not labelled.any():
            raise ValueError("score needs labelled rows; every label in y is -1.")
        X_rows = X.iloc[labelled] if hasattr(X, "iloc") else np.asarray(X)[labelled]
        weights = None if sample_weight is None else np.asarray(sample_weight)[labelled]
        # Labels compared as given: a cast to classes_' dtype would cut "cats" to "cat" and 0.5 to 0.
        return float(accuracy_score(y_labelled, self.predict(X_rows), sample_weight=weights))

    def get_feature_names_out(self, input_features=None) -> np.ndarray:
        """Names of the ``transform`` output columns."""
        check_is_fitted(self, "n_embedding_features_")
        prefix = type(self).__name__.lower()
        return np.asarray([f"{prefix}{i}" for i in range(self.n_embedding_features_)], dtype=object)

    def _predict_logits(self, module, batch) -> torch.Tensor:  # pragma: no cover - abstract
        raise NotImplementedError

    def _embed(self, module, batch) -> torch.Tensor:  # pragma: no cover - abstract
        raise NotImplementedError

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.transformer_tags.preserves_dtype = []
        return tags
