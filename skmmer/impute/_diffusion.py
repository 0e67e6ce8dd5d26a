"""DiffusionImputer: conditional score-based imputation of missing modalities."""

from __future__ import annotations

from numbers import Integral

import numpy as np
import torch
from sklearn.base import OneToOneFeatureMixin, TransformerMixin
from sklearn.utils._param_validation import Interval, StrOptions
from sklearn.utils.validation import check_is_fitted

from skmmer._preprocessing import ModalityScaler
from skmmer._random import make_generator, seeded
from skmmer.base import TorchEstimatorBase
from skmmer.impute._score_network import (
    ConditionalDenoiser,
    conditional_mean,
    denoising_loss,
    row_keys,
    sample_missing,
    training_sigmas,
)
from skmmer.masking import ModalityDropout, max_missing_rate, observed_matrix_from_layout

__all__ = ["DiffusionImputer"]


def _chunks(n: int, size: int):
    """(start, stop) pairs covering range(n) in pieces of at most ``size``."""
    return [(start, min(start + size, n)) for start in range(0, n, size)]

#: Rows (times draws) per sampler chunk: bounds the memory of one batched call.
SAMPLE_CHUNK = 4096
#: Training masks: expected fraction of a row's modalities hidden, as a fraction
#: of the largest reachable rate (M - 1) / M.
_HIDE_RATE_FRACTION = 0.6
#: Probability that a training row hides all its observed entries (unconditional model).
_P_UNCONDITIONAL = 0.1
#: Rows that hide no whole block hide each known entry with a rate ~ U(low, high).
_ENTRY_RATE_RANGE = (0.05, 0.7)


class DiffusionImputer(OneToOneFeatureMixin, TransformerMixin, TorchEstimatorBase):
    """Impute missing modalities by conditional score-based diffusion, with draws.

    An utterance-level variant of IMDer (Wang et al., 2023). One
    mask-conditioned denoising network learns, for **any** missing pattern,
    the distribution of the hidden entries of a row given its visible
    entries: in every training batch a random subset of each row's observed
    modalities is hidden (or, in rows that keep all their blocks, a random
    subset of its entries, or, with probability 0.1, everything, which
    trains the unconditional model) and the network learns to denoise the
    hidden entries at random noise levels conditioned on the rest (denoising
    score matching). Training needs no labels and no complete rows: ``y`` is
    ignored and every observed block counts.

    ``transform`` fills every missing block, and every NaN feature inside an
    observed block, with the network's conditional mean given the row's
    visible values (one call at the top noise level; a row with nothing
    observed gets the unconditional mean), or, with
    ``sample_posterior=True``, with draws from the reverse process;
    observed entries are copied from the input bit for bit. ``sample``
    returns several draws (a row with nothing observed gets unconditional
    ones), from which per-entry uncertainty (intervals, variances) follows.

    Parameters
    ----------
    modalities : None, list of int or dict, default=None
        Column blocks of ``X``: a list of block sizes in column order, a dict
        ``name -> size`` (column order), a dict ``name -> column indices`` or,
        for a DataFrame, ``name -> column names``. ``None``: one block (only
        feature-level imputation is then possible).
    hidden_dim : int, default=128
        Width of the denoising network. Wider fits the rows it is fitted on
        more closely: better for rows of the same people, not for new ones
        (see Notes).
    n_layers : int, default=2
        Number of residual FiLM blocks of the network.
    schedule : {"edm", "ve"}, default="edm"
        Noise schedule and sampler. ``"edm"``: log-normal training noise
        levels, EDM preconditioning and Heun's deterministic probability-flow
        ODE solver on the Karras grid (``2 * n_steps - 1`` network calls per
        draw). ``"ve"``: IMDer's variance-exploding SDE (sigma = 25) with
        uniform training times and the Euler-Maruyama reverse-SDE sampler
        (``n_steps`` calls). See Notes.
    n_steps : int, default=12
        Solver steps per draw. ``n_steps``, ``sample_posterior`` and
        ``n_draws`` act at :meth:`transform` only: ``set_params`` changes them
        on a fitted imputer without refitting, and are checked at each call
        as ``fit`` checks every parameter. Every other parameter takes
        effect at the next ``fit``.
    sample_posterior : bool, default=False
        What :meth:`transform` returns for the missing entries. ``False``:
        the conditional mean E[missing | observed], read off the denoiser at
        the top noise level in one network call (deterministic; the lowest
        squared error). ``True``: draws from the conditional distribution
        by solving the reverse process, averaged over ``n_draws``. As in
        :class:`~sklearn.impute.IterativeImputer`, draws are for multiple
        imputation; :meth:`sample` returns them whatever this setting.
    n_draws : int, default=1
        Draws averaged by :meth:`transform` when ``sample_posterior=True``:
        1 returns one draw (a proper single imputation), more their mean
        (``n_draws`` times the cost).
    add_indicator : bool, default=False
        Append to :meth:`transform`'s output one column per modality,
        ``missingindicator_<name>``: 1.0 where the row's whole block was
        missing (and so was imputed from the other modalities), else 0.0.
        A downstream model can then tell imputed blocks from observed ones.
        Like scikit-learn imputers' ``add_indicator``, but per modality
        rather than per feature; acts at :meth:`transform` only. In front
        of a logistic regression it moved balanced accuracy by less than
        0.01 on MOSI, DEAP and mfeat and cost WESAD up to 0.037
        (``benchmarks/results/indicator/indicator.md``).
    max_epochs : int, default=200
        Maximum number of passes over the training rows.
    batch_size : int, default=128
        Rows per optimisation step.
    learning_rate : float, default=1e-3
        Adam step size.
    weight_decay : float, default=0.0
        Adam L2 penalty.
    early_stopping : "auto" or bool, default="auto"
        Hold out ``validation_fraction`` of the rows, stop when their
        denoising loss (fixed masks and noise) stops improving and restore
        the best weights. ``"auto"`` enables it from 1000 training rows.
    validation_fraction : float, default=0.1
        Fraction of rows held out for early stopping.
    n_iter_no_change : int, default=20
        Epochs without an improvement larger than ``tol`` before stopping.
    tol : float, default=1e-4
        Minimum decrease of the monitored loss below its best so far that
        resets the ``n_iter_no_change`` count. It does not choose the epoch
        kept: early stopping restores the weights of the lowest validation
        loss, even if that epoch improved by less than ``tol``.
    device : str, default="auto"
        ``"auto"`` (CUDA when available, else CPU), ``"cpu"``, ``"cuda"``...
    random_state : int, RandomState instance or None, default=None
        Seeds initialisation, batch order, training masks and the sampler;
        with an int, ``fit`` and ``transform`` are repeatable.
    verbose : int, default=0
        Progress bar over epochs with each epoch's losses: 1 shows it while fit runs
        and erases it at the end (quiet in a grid search), 2 or more leaves it.

    Attributes
    ----------
    modalities_ : dict of str to ndarray
        Column indices of each modality block, in modality order.
    n_modalities_ : int
        Number of modalities.
    n_features_in_ : int
        Number of columns of ``X``.
    feature_names_in_ : ndarray of str
        Column names, when ``X`` was a DataFrame with string column names.
    scaler_ : ModalityScaler
        Per-feature means and scales learned on the observed entries; the
        network works in these standardized units.
    module_ : torch.nn.Module
        The trained denoising network.
    device_ : torch.device
        The device it ran on.
    history_ : list of dict
        Per-epoch training loss (``loss``, ``denoising``) and, with early
        stopping, ``valid_loss``.
    n_epochs_ : int
        Epochs run.
    best_epoch_ : int
        Epoch whose weights were kept.
    stop_reason_ : str
        Why training stopped.

    See Also
    --------
    sklearn.impute.IterativeImputer : chained regression imputation.
    skmmer.masking.simulate_missing : remove modalities at random for evaluation.
    skmmer.metrics.imputation_scorer : choose an imputer, or its settings, by
        imputation error in ``GridSearchCV``.

    Notes
    -----
    **Randomness per row.** The sampler's random numbers for a row are a
    counter-based hash of ``(random_state, the row's exact values, draw,
    solver step, feature)`` (SplitMix64 mixing, Box-Muller), not draws from
    a sequential generator. A row's imputation is therefore the same
    whatever the other rows, their order or the chunk size, and two
    identical rows get identical draws. The default sampler is a
    deterministic ODE, so the initial noise is its only randomness.

    **Schedule and steps.** On MOSI (one block hidden in held-out rows,
    RMSE of one draw in standardized units, 10 draws for 90% coverage;
    ``benchmarks/bench_diffusion.py``, results in
    ``benchmarks/results/diffusion/``): EDM with Heun, 12 steps (23
    network calls): RMSE 1.277, coverage 0.85; 8 steps: 1.330; 20 steps:
    1.260 at twice the cost; 4 steps: 1.74. IMDer's VE SDE with
    Euler-Maruyama: 1.438 / 1.332 / 1.325 / 1.331 at 10 / 25 / 50 / 100
    steps, coverage 0.77-0.83, 100 steps taking 26 times as long as EDM
    with 12. Hence ``schedule="edm"``, ``n_steps=12``.

    **Conditional mean, draws, or their mean.** A denoiser trained with a
    squared error estimates E[clean | its inputs]; at the top noise level
    the noisy input carries almost nothing, so one network call there (with
    the noisy input at its centre, 0) estimates E[missing | observed]. That
    is ``transform``'s default. Measured with
    ``python benchmarks/bench_diffusion.py --parts impute,downstream,speed
    --rates 0.1,0.5,max --threads 1`` (one split per dataset, same masks;
    ``benchmarks/results/diffusion/README.md``): its RMSE is lower than
    the mean of 20 draws in 16 of 23 scenarios on MOSI, mfeat, DEAP and
    WESAD and lower than one draw in all 23 (a draw carries the
    conditional spread: about twice the squared error), at 1/460 of the
    cost of 20 draws; 10,000 MOSI rows with one block missing take 0.6 s
    against 5.9 s for one draw. Downstream (LogisticRegression after
    imputation) it is the better choice where modalities are rarely seen
    together: mfeat with one view per row, 0.817 balanced accuracy against
    0.632 for the mean of 10 draws and 0.317 for one draw. Draws remain
    the tool for multiple imputation and uncertainty: :meth:`sample`, or
    ``sample_posterior=True``.

    **New speakers or subjects.** The network learns how modalities relate
    in the rows it is fitted on, and those relations can change from one
    person to the next. This was measured with ``python
    benchmarks/bench_diffusion.py --parts population --widths 256 --threads 1``
    (``benchmarks/results/diffusion/population.md``). On held-out rows of
    the speakers and subjects it was fitted on, it beats mean, KNN and
    iterative imputation on every block of MOSI and DEAP (e.g. MOSI text
    0.765 RMSE against at best 0.791; DEAP EMG only by 0.002). On the test
    speakers and subjects it is the best on none of those blocks (MOSI
    text 0.925 against the column mean's 0.786), and on WESAD its 90% intervals cover 0.74-0.83 instead of
    0.88-0.92. When the rows to impute come from new people, choose the
    imputer by cross-validation grouped by person (``GroupKFold``), e.g.
    with :func:`skmmer.metrics.imputation_scorer` as the score. The same
    run explains the default width: ``hidden_dim=256`` lowers the error on
    the held-out training rows in 20 of 23 scenarios, but on new people in
    only 12 of 23 (worse on most of DEAP and WESAD), so it stays 128.

    **Conditioning.** The network gets the visible values (zero where
    hidden), the per-feature visibility mask and the noisy hidden values; so
    one network serves every pattern of missing blocks and missing entries,
    and rows with different patterns are imputed in one batched call.
    IMDer's refinement network is not included.

    References
    ----------
    .. [1] Y. Wang, Y. Li and Z. Cui, "Incomplete Multimodality-Diffused
       Emotion Recognition", NeurIPS 2023.
    .. [2] T. Karras, M. Aittala, T. Aila and S. Laine, "Elucidating the
       Design Space of Diffusion-Based Generative Models", NeurIPS 2022.
    .. [3] Y. Song et al., "Score-Based Generative Modeling through
       Stochastic Differential Equations", ICLR 2021.

    Examples
    --------
    >>> import numpy as np
    >>> from skmmer.impute import DiffusionImputer
    >>> rng = np.random.RandomState(0)
    >>> a = rng.normal(size=(300, 3))
    >>> X = np.hstack([a, 2 * a])          # block "b" is a function of block "a"
    >>> X[:50, 3:] = np.nan                # block "b" missing in 50 rows
    >>> imp = DiffusionImputer(modalities={"a": 3, "b": 3}, hidden_dim=64,
    ...                        max_epochs=60, random_state=0)
    >>> X_filled = imp.fit_transform(X)
    >>> bool(np.isnan(X_filled).any())
    False
    >>> imp.sample(X[:5], n_draws=4).shape
    (4, 5, 6)
    """

    _parameter_constraints: dict = {
        **TorchEstimatorBase._engine_constraints,
        "hidden_dim": [Interval(Integral, 1, None, closed="left")],
        "n_layers": [Interval(Integral, 0, None, closed="left")],
        "schedule": [StrOptions({"edm", "ve"})],
        "n_steps": [Interval(Integral, 1, None, closed="left")],
        "sample_posterior": ["boolean"],
        "n_draws": [Interval(Integral, 1, None, closed="left")],
        "add_indicator": ["boolean"],
    }

    def __init__(
        self,
        modalities=None,
        *,
        hidden_dim=128,
        n_layers=2,
        schedule="edm",
        n_steps=12,
        sample_posterior=False,
        n_draws=1,
        add_indicator=False,
        max_epochs=200,
        batch_size=128,
        learning_rate=1e-3,
        weight_decay=0.0,
        early_stopping="auto",
        validation_fraction=0.1,
        n_iter_no_change=20,
        tol=1e-4,
        device="auto",
        random_state=None,
        verbose=0,
    ):
        self.modalities = modalities
        self.hidden_dim = hidden_dim
        self.n_layers = n_layers
        self.schedule = schedule
        self.n_steps = n_steps
        self.sample_posterior = sample_posterior
        self.n_draws = n_draws
        self.add_indicator = add_indicator
        self.max_epochs = max_epochs
        self.batch_size = batch_size
        self.learning_rate = learning_rate
        self.weight_decay = weight_decay
        self.early_stopping = early_stopping
        self.validation_fraction = validation_fraction
        self.n_iter_no_change = n_iter_no_change
        self.tol = tol
        self.device = device
        self.random_state = random_state
        self.verbose = verbose

    # ------------------------------------------------------------------ #
    # Fit
    # ------------------------------------------------------------------ #
    def fit(self, X, y=None):
        """Learn the conditional denoiser from the observed entries of ``X``.

        Parameters
        ----------
        X : array-like or DataFrame of shape (n_samples, n_features)
            Features; a modality block that is all NaN in a row is missing,
            a NaN elsewhere is a missing feature.
        y : None
            Ignored.

        Returns
        -------
        self : object
            The fitted imputer. A fit that raises leaves it unfitted,
            whatever it held before.
        """
        # Fitted attributes are written as fit goes: on an error none of them may stay.
        with self._unfitted_if_fit_fails():
            self._validate_params()
            X = self._validate_X(X, reset=True)
            self.scaler_ = ModalityScaler(self._layout).fit(X, getattr(self, "feature_names_in_", None))
            values, observed = self.scaler_.transform(X)
            known = self.scaler_.known_entries(X)[:, self.scaler_.order]
            self._start_fit(len(X), None)
            with seeded(self._seed, self.device_):
                generator = make_generator(self._seed, self.device_)
                data = self._tensors(values, observed, known=known)
                self._fit_module(data, generator)
        return self

    def _build_module(self) -> ConditionalDenoiser:
        return ConditionalDenoiser(
            self._layout.n_features, hidden_dim=self.hidden_dim, n_layers=self.n_layers
        )

    def _fit_module(self, data, generator) -> None:
        m = self.n_modalities_
        self._dropout_sampler = ModalityDropout(
            m, scheme="rate", rate=_HIDE_RATE_FRACTION * max_missing_rate(m), device=self.device_
        )
        owner = np.repeat(np.arange(m), self._layout.sizes)
        self._feature_owner = torch.from_numpy(owner).to(self.device_)
        try:
            super()._fit_module(data, generator)
        finally:
            del self._dropout_sampler, self._feature_owner

    def _training_masks(self, batch, generator) -> tuple[torch.Tensor, torch.Tensor]:
        """(visible, target) feature masks of one batch: what to condition on, what to learn."""
        observed, known = batch["observed"], batch["known"]
        n, device = observed.shape[0], observed.device
        keep = self._dropout_sampler(observed, generator)
        hidden_block = (observed & ~keep)[:, self._feature_owner]
        low, high = _ENTRY_RATE_RANGE
        entry_rate = low + (high - low) * torch.rand(n, 1, generator=generator, device=device)
        hidden_entry = torch.rand(known.shape, generator=generator, device=device) < entry_rate
        block_rows = hidden_block.any(dim=1, keepdim=True)
        hidden = torch.where(block_rows, hidden_block, hidden_entry)
        unconditional = torch.rand(n, 1, generator=generator, device=device) < _P_UNCONDITIONAL
        hidden = hidden | unconditional
        return known & ~hidden, known & hidden

    def _losses(self, module, batch, generator) -> dict[str, torch.Tensor]:
        x = batch["x"]
        visible, target = self._training_masks(batch, generator)
        sigma = training_sigmas(x.shape[0], self.schedule, generator, x.device)
        noise = torch.randn(x.shape, generator=generator, device=x.device)
        return {"denoising": denoising_loss(module, x, visible, target, sigma, noise)}

    # ------------------------------------------------------------------ #
    # Imputation
    # ------------------------------------------------------------------ #
    def _fill_missing(self, X: np.ndarray, n_outputs: int, fill) -> np.ndarray:
        """(n_outputs, n_samples, n_features) float64 copies of ``X`` with every NaN filled.

        ``fill(cond, visible, rows, k)`` returns the ``k``-th filling of a chunk
        of rows in standardized block order; ``rows`` are the chunk's indices
        in ``X``. Only rows with a NaN are passed, and only their NaN entries
        are taken from the filling.
        """
        values, _ = self.scaler_.transform(X)
        order = self.scaler_.order
        missing = np.isnan(X)
        out = np.repeat(X[None], n_outputs, axis=0)
        rows = np.flatnonzero(missing.any(axis=1))
        if rows.size == 0:
            return out
        cond = torch.from_numpy(values[rows]).to(self.device_)
        # What the network conditions on: not NaN, and a column it saw in training.
        visible = torch.from_numpy(self.scaler_.known_entries(X[rows])[:, order]).to(self.device_)
        self.module_.eval()
        with torch.inference_mode():
            for k in range(n_outputs):
                parts = [
                    fill(cond[start:stop], visible[start:stop], rows[start:stop], k).double().cpu().numpy()
                    for start, stop in _chunks(rows.size, SAMPLE_CHUNK)
                ]
                imputed = self.scaler_.inverse_transform(np.concatenate(parts))
                block = out[k, rows]
                block[missing[rows]] = imputed[missing[rows]]
                out[k, rows] = block
        return out

    def _draws(self, X: np.ndarray, n_draws: int) -> np.ndarray:
        """(n_draws, n_samples, n_features) draws, observed entries copied from X."""
        # A row's noise is seeded by its own values, so a draw does not depend on the batch.
        keys = row_keys(X, self._seed)

        def one_draw(cond, visible, rows, draw):
            return sample_missing(
                self.module_, cond, visible, keys[rows], draw, n_steps=self.n_steps,
                schedule=self._fitted_param("schedule"),
            )

        return self._fill_missing(X, n_draws, one_draw)

    def _conditional_mean(self, X: np.ndarray) -> np.ndarray:
        """(n_samples, n_features): the network's E[missing | observed], observed entries copied."""

        def mean_fill(cond, visible, rows, k):
            return conditional_mean(self.module_, cond, visible, schedule=self._fitted_param("schedule"))

        return self._fill_missing(X, 1, mean_fill)[0]

    def sample(self, X, n_draws=10) -> np.ndarray:
        """Draws from the conditional distribution of the missing entries.

        Parameters
        ----------
        X : array-like or DataFrame of shape (n_samples, n_features)
            Rows to impute, with NaN for missing blocks or entries.
        n_draws : int, default=10
            Number of draws.

        Returns
        -------
        draws : ndarray of float64, shape (n_draws, n_samples, n_features)
            ``draws[k]`` is the ``k``-th imputation of ``X``: observed entries
            equal those of ``X``, missing ones are filled. ``transform`` with
            ``sample_posterior=True, n_draws=k`` returns the mean of the
            first ``k`` draws, and
            ``np.quantile(draws, [0.05, 0.95], axis=0)`` gives per-entry 90%
            intervals.

        Raises
        ------
        ValueError
            If ``n_draws`` or the ``n_steps`` parameter is not a positive
            integer (scikit-learn's ``InvalidParameterError``).
        """
        check_is_fitted(self, "module_")
        # n_draws, the argument, obeys the constraint of the parameter of that name.
        self._validate_prediction_params("n_steps", n_draws=n_draws)
        X = self._validate_X(X, reset=False)
        return self._draws(X, int(n_draws))

    def transform(self, X) -> np.ndarray:
        """Fill every missing block and missing entry; observed entries unchanged.

        Parameters
        ----------
        X : array-like or DataFrame of shape (n_samples, n_features)
            Rows to impute.

        Returns
        -------
        X_imputed : ndarray of float64, shape (n_samples, n_features) or \
                (n_samples, n_features + n_modalities)
            The conditional mean (``sample_posterior=False``), or one draw
            (``n_draws=1``) or the mean of ``n_draws`` draws
            (``sample_posterior=True``), in the original units; no NaN.
            With ``add_indicator=True``, followed by one missing-block
            indicator column per modality.
        """
        check_is_fitted(self, "module_")
        self._validate_prediction_params("sample_posterior", "n_draws", "n_steps", "add_indicator")
        X = self._validate_X(X, reset=False)
        imputed = self._impute(X)
        if not self.add_indicator:
            return imputed
        missing_blocks = ~observed_matrix_from_layout(X, self._layout)
        return np.hstack([imputed, missing_blocks.astype(np.float64)])

    def _impute(self, X: np.ndarray) -> np.ndarray:
        if not self.sample_posterior:
            return self._conditional_mean(X)
        draws = self._draws(X, self.n_draws)
        if self.n_draws == 1:
            return draws[0]
        out = draws.mean(axis=0)
        observed = ~np.isnan(X)
        out[observed] = X[observed]  # exact copy, not a mean of identical values
        return out

    def get_feature_names_out(self, input_features=None) -> np.ndarray:
        """Output column names: the input's, then ``missingindicator_<modality>`` with ``add_indicator``.

        Parameters
        ----------
        input_features : array-like of str or None, default=None
            Input column names; ``None`` uses ``feature_names_in_`` when fit
            saw a DataFrame, else ``x0``, ``x1``, ...

        Returns
        -------
        feature_names_out : ndarray of str
        """
        names = super().get_feature_names_out(input_features)
        if not self.add_indicator:
            return names
        indicators = [f"missingindicator_{name}" for name in self._layout.names]
        return np.concatenate([names, np.asarray(indicators, dtype=object)])

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.transformer_tags.preserves_dtype = ["float64"]
        return tags
