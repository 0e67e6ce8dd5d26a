"""InvariantImagination (IF-MMIN) and ImaginationClassifier (MMIN).

Both are two-stage methods fitted inside one ``fit``: stage 1 trains a
teacher on the rows as observed, stage 2 trains a student that imagines the
teacher's full-modality embedding from the modalities it is given, under
simulated missing patterns. The torch cores are in
:mod:`skmmer.imagination._networks`.
"""

from __future__ import annotations

from numbers import Integral, Real

import numpy as np
import torch
from sklearn.utils._param_validation import Interval

from skmmer._engine import outputs_in_chunks
from skmmer.base import MultimodalClassifierBase
from skmmer.imagination._networks import ImaginationNetwork, invariant_stage1_losses
from skmmer.masking import MODALITY_DROPOUT_CONSTRAINT, missing_conditions
from skmmer.nn import masked_cross_entropy, masked_mse

__all__ = ["ImaginationClassifier", "InvariantImagination"]


class _ImaginationBase(MultimodalClassifierBase):
    """Shared fit / predict logic of the two imagination estimators."""

    #: True for IF-MMIN (invariant features, CMD, guided cascade), False for MMIN.
    _invariant: bool = False
    _grad_clip = 1.0

    _base_constraints: dict = {
        **MultimodalClassifierBase._engine_constraints,
        "embed_dim": [Interval(Integral, 1, None, closed="left")],
        "hidden_dim": [Interval(Integral, 1, None, closed="left")],
        "latent_dim": [Interval(Integral, 1, None, closed="left")],
        "n_blocks": [Interval(Integral, 1, None, closed="left")],
        "dropout": [Interval(Real, 0, 1, closed="left")],
        "modality_dropout": MODALITY_DROPOUT_CONSTRAINT,
        "semi_supervised": ["boolean"],
        "reconstruction_weight": [Interval(Real, 0, None, closed="left")],
        "stage1_max_epochs": [None, Interval(Integral, 1, None, closed="left")],
    }

    @property
    def _uses_unlabelled_rows(self) -> bool:
        return bool(self.semi_supervised)

    # ------------------------------------------------------------------ #
    # Building and training
    # ------------------------------------------------------------------ #
    def _build_module(self) -> ImaginationNetwork:
        return ImaginationNetwork(
            self._layout.sizes,
            len(self.classes_),
            invariant=self._invariant,
            hidden_dim=self.hidden_dim,
            embed_dim=self.embed_dim,
            latent_dim=self.latent_dim,
            n_blocks=self.n_blocks,
            dropout=self.dropout,
        )

    def _stage1_weights(self) -> dict[str, float]:
        return {"cross_entropy": 1.0}

    def _loss_weights(self) -> dict[str, float]:
        return {"cross_entropy": 1.0, "reconstruction": float(self.reconstruction_weight)}

    def _fit_module(self, data, generator) -> None:
        self.module_ = network = self._build_module().to(self.device_)

        # Stage 1: the teacher on the rows as observed (no simulated missingness).
        stage1_epochs = self.stage1_max_epochs or self.max_epochs
        self._train(
            network.teacher, data, generator,
            loss_fn=self._stage1_losses, loss_weights=self._stage1_weights(),
            stage="stage1", max_epochs=stage1_epochs,
        )

        # Stage 2: the student, from the teacher's encoders; the teacher is frozen
        # and its targets are computed once for every row, not per batch.
        network.start_stage2()
        data = {**data, **self._teacher_targets(network, data)}
        # A row that already misses a modality keeps its real pattern, whatever the scheme.
        self._sampler = self._modality_dropout_sampler(complete_rows_only=True)
        self._monitor_patterns = self._condition_masks(None)
        try:
            self._train(
                network, data, generator,
                loss_fn=self._losses, monitor_fn=self._stage2_monitor,
                parameters=network.student_parameters(), stage="stage2",
            )
        finally:
            del self._sampler, self._monitor_patterns
        self.n_embedding_features_ = network.joint_dim

    def _teacher_targets(self, network, data) -> dict[str, torch.Tensor]:
        return outputs_in_chunks(lambda c: network.teacher_targets(c["x"], c["observed"]), data)

    def _stage1_losses(self, teacher, batch, generator) -> dict[str, torch.Tensor]:
        if self._invariant:
            return invariant_stage1_losses(teacher, batch, self.n_moments, self._loss_class_weight)
        observed = batch["observed"]
        logits = teacher(batch["x"], observed)
        return {
            "cross_entropy": masked_cross_entropy(logits, batch["y"], self._loss_class_weight, keep=observed)
        }

    def _losses(self, module, batch, generator) -> dict[str, torch.Tensor]:
        """Stage-2 losses under a freshly drawn missing pattern."""
        observed = batch["observed"]
        keep = observed if self._sampler is None else self._sampler(observed, generator)
        specific, invariant = module.encode(batch["x"], keep)
        out = module.imagine(specific, invariant, keep)
        losses = {
            "cross_entropy": masked_cross_entropy(
                out["logits"], batch["y"], self._loss_class_weight, keep=keep
            ),
            # Targets exist only for the modalities the row really has.
            "reconstruction": masked_mse(out["imagined"], batch["target_embed"], observed),
        }
        losses.update(self._extra_losses(module, batch, out, observed))
        return losses

    def _extra_losses(self, module, batch, out, observed) -> dict[str, torch.Tensor]:
        return {}

    def _stage2_monitor(self, module, data, generator) -> torch.Tensor:
        """Validation cross-entropy averaged over the full input and every test condition.

        Deterministic (no sampled masks), like MMIN's validation set replicated
        once per condition; each modality is encoded once.
        """
        observed = data["observed"]
        specific, invariant = module.encode(data["x"], observed)
        total = specific.new_zeros(())
        for pattern in self._monitor_patterns:
            keep = observed & pattern
            logits = module.imagine(specific, invariant, keep)["logits"]
            total = total + masked_cross_entropy(logits, data["y"], self._loss_class_weight, keep=keep)
        return total / len(self._monitor_patterns)

    # ------------------------------------------------------------------ #
    # Inference
    # ------------------------------------------------------------------ #
    def _predict_logits(self, module, batch) -> torch.Tensor:
        return module(batch["x"], batch["observed"])

    def _embed(self, module, batch) -> torch.Tensor:
        specific, invariant = module.encode(batch["x"], batch["observed"])
        return module.imagine(specific, invariant, batch["observed"])["joint"]

    def _condition_masks(self, conditions) -> list[torch.Tensor]:
        """Boolean keep patterns (M,) for conditions given as tuples of modality names."""
        if conditions is None:
            conditions = missing_conditions(self._layout, include_full=True)
        masks = []
        for condition in conditions:
            kept = [condition] if isinstance(condition, str) else list(condition)
            mask = torch.zeros(self.n_modalities_, dtype=torch.bool)
            for name in kept:
                mask[self._layout.index(str(name))] = True
            masks.append(mask.to(self.device_))
        return masks

    def predict_proba_conditions(self, X, conditions=None) -> dict[tuple[str, ...], np.ndarray]:
        """Class probabilities of ``X`` under several missing-modality conditions at once.

        Equivalent to ``predict_proba(apply_condition(X, modalities_, c))``
        for every condition ``c``, but each modality is standardized and
        encoded once and the zero-filled inputs of the conditions are
        assembled from those embeddings: the encoders run once instead of
        once per condition.

        Parameters
        ----------
        X : array-like or DataFrame of shape (n_samples, n_features)
            Rows to predict; a modality missing in a row stays missing in
            every condition.
        conditions : str or list of (str or tuple of str), default=None
            Modality names kept by each condition; a single name is a
            condition that keeps that one modality, alone or in the list.
            ``None``: the full input and every condition of
            :func:`skmmer.masking.missing_conditions` (for three modalities,
            the six MMIN conditions).

        Returns
        -------
        dict
            ``condition (tuple of names) -> proba`` (float32 array of shape
            (n_samples, n_classes)); a row left with no modality gets
            ``class_prior_``.
        """
        if conditions is None:
            conditions = missing_conditions(self.layout_, include_full=True)
        elif isinstance(conditions, str):
            conditions = [conditions]  # one modality's name, not a sequence of one-letter names
        conditions = [(c,) if isinstance(c, str) else tuple(c) for c in conditions]
        if not conditions:
            raise ValueError(
                "conditions is empty: pass the modality names kept by at least one condition, "
                "or conditions=None for the full input and every missing-modality condition."
            )
        data = self._prepare_predict(X)
        masks = self._condition_masks(conditions)

        def all_conditions(module, batch):
            specific, invariant = module.encode(batch["x"], batch["observed"])
            logits = [
                module.imagine(specific, invariant, batch["observed"] & mask)["logits"]
                for mask in masks
            ]
            return torch.stack(logits, dim=1)  # (n, C, K)

        logits = self._run_in_chunks(all_conditions, data)
        proba = torch.softmax(torch.from_numpy(logits), dim=2).numpy()
        observed = data["observed"].cpu()
        prior = self.class_prior_.astype(np.float32)
        result = {}
        for i, (condition, mask) in enumerate(zip(conditions, masks)):
            p = np.ascontiguousarray(proba[:, i])
            p[~(observed & mask.cpu()).any(dim=1).numpy()] = prior
            result[condition] = p
        return result

    def imagine(self, X) -> np.ndarray:
        """The imagined full-modality embedding of each row (float32).

        The cascade's reconstruction of the teacher's embedding of all
        modalities, concatenated in modality order: shape
        (n_samples, n_modalities * embed_dim). Compare it with
        :meth:`teacher_embedding` of the complete rows.
        """
        data = self._prepare_predict(X)

        def imagined(module, batch):
            specific, invariant = module.encode(batch["x"], batch["observed"])
            return module.imagine(specific, invariant, batch["observed"])["imagined"].flatten(1)

        return self._run_in_chunks(imagined, data)

    def teacher_embedding(self, X) -> np.ndarray:
        """The stage-1 teacher's embedding of each row as given (float32).

        Missing modalities are zero-filled, so on complete rows this is the
        target the student imagines, and on incomplete rows it is the
        zero-filled embedding that imagination should improve upon. Shape
        (n_samples, n_modalities * embed_dim).
        """
        data = self._prepare_predict(X)

        def embed(module, batch):
            return module.teacher.encoders(batch["x"], batch["observed"]).flatten(1)

        return self._run_in_chunks(embed, data)


_SHARED_PARAMETERS_DOC = """
    modalities : None, list of int or dict, default=None
        Column blocks of ``X``: a list of block sizes in column order, a dict
        ``name -> size`` (column order), a dict ``name -> column indices`` or,
        for a DataFrame, ``name -> column names``. ``None``: one block.
    embed_dim : int, default=64
        Size of each modality's embedding; the imagined vector has
        ``n_modalities * embed_dim`` entries.
    hidden_dim : int, default=128
        Width of the hidden layers of the encoders, of every autoencoder
        block and of the classifiers.
    latent_dim : int, default=32
        Bottleneck of each autoencoder block; the classifier and
        :meth:`transform` see the ``n_blocks * latent_dim`` block latents.
    n_blocks : int, default=5
        Number of autoencoders in the imagination cascade.
    dropout : float, default=0.2
        Dropout rate of the hidden layers of encoders and classifiers.
    modality_dropout : "subsets", "balanced_subsets" or float, default="subsets"
        Missing patterns simulated on complete training rows in stage 2:
        ``"subsets"`` draws a uniformly random non-empty proper subset at
        every step (for three modalities, MMIN's six patterns);
        ``"balanced_subsets"`` draws the number of kept modalities uniformly
        first, which with more than three modalities trains on single
        modalities far more often (see :class:`skmmer.masking.ModalityDropout`
        and, for the imagination estimators, the Notes); a float is
        the missing rate of :class:`skmmer.masking.ModalityDropout`
        (``scheme="rate"``, at most (M - 1) / M for M modalities); 0 trains
        on the rows as observed, and so does every setting with a single
        modality. Rows that already miss a modality keep their real pattern.
    semi_supervised : bool, default=True
        Whether unlabelled rows (``y == -1``) train the label-free losses
        (reconstruction and the method's other ones); cross-entropy always
        uses the labelled rows only. False drops unlabelled rows.
    reconstruction_weight : float, default={recon}
        Weight of the squared error between the imagined embedding and the
        teacher's embedding of the observed modalities."""

_SHARED_ENGINE_DOC = """
    class_weight : dict, "balanced" or None, default=None
        Class weights of the labelled rows' cross-entropy (every stage), as
        in :class:`~skmmer.MaskedFusionClassifier`.
    max_epochs : int, default=100
        Maximum number of epochs of stage 2 (and of stage 1 unless
        ``stage1_max_epochs`` is set).
    stage1_max_epochs : int or None, default=None
        Maximum number of epochs of stage 1; None uses ``max_epochs``.
    batch_size : int, default=128
        Rows per optimisation step.
    learning_rate : float, default=1e-3
        Adam step size (both stages).
    weight_decay : float, default=0.0
        Adam L2 penalty.
    early_stopping : "auto" or bool, default="auto"
        Hold out ``validation_fraction`` of the labelled rows (stratified,
        the same rows for both stages), stop each stage when its validation
        loss stops improving and restore its best weights. Stage 2 monitors
        the validation cross-entropy averaged over the full input and every
        missing-modality condition. ``"auto"`` enables it from 1000 labelled training rows.
    validation_fraction : float, default=0.1
        Fraction of labelled rows held out for early stopping.
    n_iter_no_change : int, default=10
        Epochs without an improvement larger than ``tol`` before stopping.
    tol : float, default=1e-4
        Minimum decrease of the monitored loss below its best so far that
        resets the ``n_iter_no_change`` count. It does not choose the epoch
        kept: early stopping restores the weights of the lowest validation
        loss, even if that epoch improved by less than ``tol``.
    device : str, default="auto"
        ``"auto"`` (CUDA when available, else CPU), ``"cpu"``, ``"cuda"``...
    random_state : int, RandomState instance or None, default=None
        Seeds initialisation, batch order and the simulated missing
        patterns; with an int, CPU results are repeatable bit for bit.
    verbose : int, default=0
        Progress bars over epochs with each epoch's losses: 1 shows them while fit runs
        and erases them at the end (quiet in a grid search), 2 or more leaves them."""

_SHARED_ATTRIBUTES_DOC = """
    classes_ : ndarray of shape (n_classes,)
        Labels seen among the labelled rows.
    class_prior_ : ndarray of shape (n_classes,)
        Class frequencies of the labelled rows (times ``class_weight_``,
        renormalized), predicted for rows with no modality at all.
    class_weight_ : ndarray of shape (n_classes,)
        Weight of each class in the cross-entropy (ones with
        ``class_weight=None``).
    modalities_ : dict of str to ndarray
        Column indices of each modality block, in modality order.
    n_modalities_ : int
        Number of modalities.
    n_features_in_ : int
        Number of columns of ``X``.
    feature_names_in_ : ndarray of str
        Column names, when ``X`` was a DataFrame with string column names.
    n_embedding_features_ : int
        Width of the :meth:`transform` output (``n_blocks * latent_dim``).
    module_ : ImaginationNetwork
        The trained network; ``module_.teacher`` is the frozen stage-1 model.
    device_ : torch.device
        The device it ran on.
    history_ : list of dict
        Per-epoch losses of both stages (``stage`` is ``"stage1"`` or
        ``"stage2"``) and, with early stopping, ``valid_loss``.
    n_epochs_ : int
        Epochs run in stage 2.
    best_epoch_ : int
        Stage-2 epoch whose weights were kept.
    stop_reason_ : str
        Why stage 2 stopped."""


class InvariantImagination(_ImaginationBase):
    __doc__ = f"""Invariant-feature-guided missing-modality imagination (IF-MMIN).

    Utterance-level variant of IF-MMIN (Zuo et al., 2023), fitted in two
    stages inside one ``fit``:

    1. **Teacher.** Each modality has an MLP encoder (its *specific*
       embedding ``E_m``); one shared encoder ``S`` maps every ``E_m`` to an
       *invariant* feature ``H_m``. A classifier on ``[E; H]`` is trained
       with cross-entropy plus the central moment discrepancy (CMD) between
       the invariant features of every pair of modalities, which pulls the
       ``H_m`` towards one modality-independent distribution.
    2. **Imagination.** A student copy of the encoders and of ``S`` sees
       only the kept modalities of each row (simulated missing patterns,
       zero-filled). A cascade of ``n_blocks`` autoencoders, each fed the
       previous block's output plus the invariant features, reconstructs the
       teacher's embedding of the full input; the classifier reads the block
       latents. Losses: cross-entropy, the reconstruction error, and the
       invariance error between the student's invariant features and the
       frozen teacher's invariant features of the full input.

    Prediction zero-fills missing modalities, encodes, imagines and
    classifies in one pass.

    Parameters
    ----------{_SHARED_PARAMETERS_DOC.format(recon="4.0")}
    cmd_weight : float, default=1.0
        Weight of the CMD loss in stage 1 (the paper's code uses 1).
    invariance_weight : float, default=1.0
        Weight of the squared error between the student's invariant features
        and the teacher's invariant features of the full input, in stage 2.
        (The official script passes ``--consistent_weight=100``, an option
        that does not exist; the code's default is 1.)
    n_moments : int, default=5
        Number of moments compared by CMD.{_SHARED_ENGINE_DOC}

    Attributes
    ----------{_SHARED_ATTRIBUTES_DOC}

    See Also
    --------
    ImaginationClassifier : MMIN, the same cascade with a cycle loss and no
        invariant features.
    skmmer.fusion.MaskedFusionClassifier : the fusion baseline.

    Notes
    -----
    Choices of this implementation (utterance-level vectors rather than
    sequences, so the LSTM/TextCNN encoders become MLPs):

    * **Teacher targets are the true full-modality embeddings.** The
      official code computes the reconstruction target with the teacher on a
      "reverse" input (kept modalities zeroed, missing ones present), so the
      target of a kept slot is the constant ``E(0)``, not the modality's
      embedding. That couples the target to the training pattern and makes
      the imagined vector a different object at each pattern; the true
      embedding of every modality is a single, pattern-free target, which is
      what the method sets out to imagine. Targets are computed once for
      every training row after stage 1, not per batch.
    * **Naturally incomplete rows.** Simulated patterns are drawn only for
      complete rows; an incomplete row keeps its real pattern and its
      reconstruction and invariance errors are averaged over the modalities
      it really has (no target exists for the others).
    * **Guide of a missing modality.** The student's invariant feature of a
      modality that is not kept is the mean of those of the kept ones (they
      are trained to be modality-invariant), rather than ``S(E(0))``.
    * **Model selection** uses only the internal validation split (the
      official code picks the epoch on the test set's neighbour, the
      validation fold, while also scoring the test set every epoch; here
      test data never enter ``fit``).
    * **Semi-supervised extension** (``semi_supervised=True``): unlabelled
      rows train CMD, reconstruction and invariance; the original method is
      fully supervised.
    * **Complete training rows matter.** The imagination targets are the
      teacher's embeddings of the observed modalities, so a modality a row
      lacks teaches the cascade nothing for that row. On mfeat (six views,
      5 folds), trained on complete rows with its own simulated patterns,
      IF-MMIN scores 0.828 balanced accuracy with a single view left,
      level with masked fusion (0.840); trained on rows that each keep a
      fixed random subset of views (the study's conditions protocol,
      ``python benchmarks/run_benchmarks.py --datasets mfeat --protocols
      conditions rates --n-jobs 2 --early-stopping true``), it falls to
      0.743 against 0.832.
    * **Subset sizes with many modalities.** ``modality_dropout=
      "balanced_subsets"`` draws the number of kept modalities uniformly
      before the modalities themselves. On mfeat it lifts IF-MMIN's
      single-view score from 0.828 to 0.846 (about one standard deviation
      across folds) and leaves MMIN unchanged (0.847 and 0.846), so the
      default stays MMIN's ``"subsets"`` (for three modalities the two are
      the same distribution). The complete-row figures here and above:
      ``python benchmarks/bench_subset_schemes.py --n-jobs 2``.

    References
    ----------
    .. [1] H. Zuo, R. Liu, J. Zhao, G. Gao and H. Li, "Exploiting
       modality-invariant feature for robust multimodal emotion recognition
       with missing modalities", ICASSP 2023. arXiv:2210.15359.
    .. [2] J. Zhao, R. Li and Q. Jin, "Missing modality imagination network
       for emotion recognition with uncertain missing modalities", ACL 2021.
    .. [3] W. Zellinger et al., "Central moment discrepancy (CMD) for
       domain-invariant representation learning", ICLR 2017.

    Examples
    --------
    >>> from skmmer.datasets import make_multimodal_classification
    >>> from skmmer.imagination import InvariantImagination
    >>> from skmmer.masking import apply_condition
    >>> X, y, modalities = make_multimodal_classification(n_samples=300, random_state=0)
    >>> clf = InvariantImagination(modalities=modalities, max_epochs=5, random_state=0)
    >>> clf.fit(X, y).predict(apply_condition(X[:3], modalities, ["m0"])).shape
    (3,)
    >>> clf.transform(X[:3]).shape
    (3, 160)
    """

    _invariant = True
    _parameter_constraints: dict = {
        **_ImaginationBase._base_constraints,
        "cmd_weight": [Interval(Real, 0, None, closed="left")],
        "invariance_weight": [Interval(Real, 0, None, closed="left")],
        "n_moments": [Interval(Integral, 1, None, closed="left")],
    }

    def __init__(
        self,
        modalities=None,
        *,
        embed_dim=64,
        hidden_dim=128,
        latent_dim=32,
        n_blocks=5,
        dropout=0.2,
        modality_dropout="subsets",
        semi_supervised=True,
        reconstruction_weight=4.0,
        cmd_weight=1.0,
        invariance_weight=1.0,
        n_moments=5,
        class_weight=None,
        max_epochs=100,
        stage1_max_epochs=None,
        batch_size=128,
        learning_rate=1e-3,
        weight_decay=0.0,
        early_stopping="auto",
        validation_fraction=0.1,
        n_iter_no_change=10,
        tol=1e-4,
        device="auto",
        random_state=None,
        verbose=0,
    ):
        self.modalities = modalities
        self.embed_dim = embed_dim
        self.hidden_dim = hidden_dim
        self.latent_dim = latent_dim
        self.n_blocks = n_blocks
        self.dropout = dropout
        self.modality_dropout = modality_dropout
        self.semi_supervised = semi_supervised
        self.reconstruction_weight = reconstruction_weight
        self.cmd_weight = cmd_weight
        self.invariance_weight = invariance_weight
        self.n_moments = n_moments
        self.class_weight = class_weight
        self.max_epochs = max_epochs
        self.stage1_max_epochs = stage1_max_epochs
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

    def _stage1_weights(self) -> dict[str, float]:
        return {"cross_entropy": 1.0, "cmd": float(self.cmd_weight)}

    def _loss_weights(self) -> dict[str, float]:
        return {**super()._loss_weights(), "invariance": float(self.invariance_weight)}

    def _extra_losses(self, module, batch, out, observed) -> dict[str, torch.Tensor]:
        return {"invariance": masked_mse(out["invariant"], batch["target_invariant"], observed)}


class ImaginationClassifier(_ImaginationBase):
    __doc__ = f"""Missing modality imagination network (MMIN), as a classifier.

    Utterance-level variant of MMIN (Zhao et al., 2021), fitted in two stages
    inside one ``fit``:

    1. **Teacher.** Per-modality MLP encoders and a classifier on their
       concatenation (:class:`~skmmer.fusion.MaskedFusionClassifier`'s
       network with ``fusion="concat"``), trained with cross-entropy.
    2. **Imagination.** A student copy of the encoders sees only the kept
       modalities of each row (simulated missing patterns, zero-filled). A
       cascade of ``n_blocks`` residual autoencoders (block ``k`` reads the
       sum of the previous block's input and output) reconstructs the
       teacher's embedding of the full input, and a backward cascade maps
       the imagination back to the zero-filled input (the cycle loss). The
       classifier reads the concatenated block latents. Losses:
       cross-entropy, reconstruction and cycle.

    Compare with :class:`InvariantImagination` (IF-MMIN), which adds
    modality-invariant features and drops the cycle.

    Parameters
    ----------{_SHARED_PARAMETERS_DOC.format(recon="4.0")}
    cycle_weight : float, default=2.0
        Weight of the squared error between the zero-filled input embedding
        and the backward cascade's reconstruction of it from the
        imagination (MMIN's IEMOCAP setting: reconstruction 4, cycle 2).{_SHARED_ENGINE_DOC}

    Attributes
    ----------{_SHARED_ATTRIBUTES_DOC}

    See Also
    --------
    InvariantImagination : IF-MMIN.
    skmmer.fusion.MaskedFusionClassifier : the fusion baseline.

    Notes
    -----
    The teacher's reconstruction targets are the true embeddings of every
    observed modality, not the official code's teacher output on the
    "reverse" (kept-modalities-zeroed) input; targets are computed once after
    stage 1; rows that are naturally incomplete keep their real pattern and
    their reconstruction error counts only the modalities they have; model
    selection uses the internal validation split only. See
    :class:`InvariantImagination` for the reasons.

    References
    ----------
    .. [1] J. Zhao, R. Li and Q. Jin, "Missing modality imagination network
       for emotion recognition with uncertain missing modalities", ACL 2021.

    Examples
    --------
    >>> from skmmer.datasets import make_multimodal_classification
    >>> from skmmer.imagination import ImaginationClassifier
    >>> X, y, modalities = make_multimodal_classification(n_samples=300, random_state=0)
    >>> clf = ImaginationClassifier(modalities=modalities, max_epochs=5, random_state=0)
    >>> probas = clf.fit(X, y).predict_proba_conditions(X[:5])
    >>> sorted(len(c) for c in probas)
    [1, 1, 1, 2, 2, 2, 3]
    """

    _invariant = False
    _parameter_constraints: dict = {
        **_ImaginationBase._base_constraints,
        "cycle_weight": [Interval(Real, 0, None, closed="left")],
    }

    def __init__(
        self,
        modalities=None,
        *,
        embed_dim=64,
        hidden_dim=128,
        latent_dim=32,
        n_blocks=5,
        dropout=0.2,
        modality_dropout="subsets",
        semi_supervised=True,
        reconstruction_weight=4.0,
        cycle_weight=2.0,
        class_weight=None,
        max_epochs=100,
        stage1_max_epochs=None,
        batch_size=128,
        learning_rate=1e-3,
        weight_decay=0.0,
        early_stopping="auto",
        validation_fraction=0.1,
        n_iter_no_change=10,
        tol=1e-4,
        device="auto",
        random_state=None,
        verbose=0,
    ):
        self.modalities = modalities
        self.embed_dim = embed_dim
        self.hidden_dim = hidden_dim
        self.latent_dim = latent_dim
        self.n_blocks = n_blocks
        self.dropout = dropout
        self.modality_dropout = modality_dropout
        self.semi_supervised = semi_supervised
        self.reconstruction_weight = reconstruction_weight
        self.cycle_weight = cycle_weight
        self.class_weight = class_weight
        self.max_epochs = max_epochs
        self.stage1_max_epochs = stage1_max_epochs
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

    def _loss_weights(self) -> dict[str, float]:
        return {**super()._loss_weights(), "cycle": float(self.cycle_weight)}

    def _extra_losses(self, module, batch, out, observed) -> dict[str, torch.Tensor]:
        zero_filled = out["zero_filled"].flatten(1)
        cycled, _ = module.backward_cascade(out["imagined"].flatten(1))
        return {"cycle": torch.mean((cycled - zero_filled.detach()) ** 2)}
