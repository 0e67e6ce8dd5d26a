"""The training loop shared by every torch estimator in skmmer.

Batches are slices of tensors that already live on the device, indexed by a
shuffled permutation: no ``Dataset``/``DataLoader``, no per-row Python, no
host-device copy and no ``.item()`` inside the batch loop (losses are summed on
the device and read once per epoch). See ``docs/engine.md`` for why skmmer has
its own loop rather than skorch.

A method plugs in through two callables:

``loss_fn(module, batch, generator) -> dict[str, Tensor]``
    named scalar losses for one batch (the engine weights and sums them);
``monitor_fn(module, data, generator) -> Tensor``
    the scalar that early stopping minimises on the validation rows
    (default: the weighted total loss).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

import torch
from tqdm.auto import tqdm

from skmmer._random import make_generator

__all__ = ["TrainingConfig", "TrainingResult", "train_module", "split_rows"]

Batch = dict[str, torch.Tensor]
LossFn = Callable[[torch.nn.Module, Batch, torch.Generator], Mapping[str, torch.Tensor]]
MonitorFn = Callable[[torch.nn.Module, Batch, torch.Generator], torch.Tensor]

#: Rows per chunk when a whole tensor set is evaluated without gradients.
EVAL_CHUNK = 8192


@dataclass(frozen=True)
class TrainingConfig:
    """The engine's knobs; estimators fill it from their parameters."""

    max_epochs: int = 100
    batch_size: int = 128
    learning_rate: float = 1e-3
    weight_decay: float = 0.0
    n_iter_no_change: int = 10
    tol: float = 1e-4
    grad_clip: float | None = None
    verbose: int = 0
    description: str = "fit"


@dataclass
class TrainingResult:
    """What one call of :func:`train_module` did."""

    history: list[dict] = field(default_factory=list)
    n_epochs: int = 0
    best_epoch: int = 0
    stop_reason: str = ""


def split_rows(data: Batch, rows: torch.Tensor) -> Batch:
    """The same rows of every tensor in ``data``."""
    return {key: value[rows] for key, value in data.items()}


def _n_rows(data: Batch) -> int:
    return next(iter(data.values())).shape[0]


def _batch_bounds(n_rows: int, batch_size: int) -> list[tuple[int, int]]:
    """Near-equal batches of at most ``batch_size`` rows.

    Spreading the remainder avoids a tiny last batch, which would make
    batch statistics (MMD, CMD, moments) meaningless for that step.
    """
    n_batches = max(1, math.ceil(n_rows / batch_size))
    edges = [round(i * n_rows / n_batches) for i in range(n_batches + 1)]
    return list(zip(edges[:-1], edges[1:]))


def _weighted_total(losses: Mapping[str, torch.Tensor], weights: Mapping[str, float]) -> torch.Tensor:
    return sum(weights.get(name, 1.0) * value for name, value in losses.items())


def total_loss_monitor(loss_fn: LossFn, weights: Mapping[str, float]) -> MonitorFn:
    """Monitor = the weighted training objective evaluated on the given rows."""

    def monitor(module: torch.nn.Module, data: Batch, generator: torch.Generator) -> torch.Tensor:
        return _weighted_total(loss_fn(module, data, generator), weights)

    return monitor


def _evaluate(
    module: torch.nn.Module, data: Batch, monitor_fn: MonitorFn, seed: int
) -> float:
    """Row-weighted mean of the monitor over chunks, with fixed noise across epochs."""
    device = next(iter(data.values())).device
    generator = make_generator(seed, device)
    n = _n_rows(data)
    total = torch.zeros((), device=device)
    was_training = module.training
    module.eval()
    with torch.no_grad():
        for start, stop in _batch_bounds(n, EVAL_CHUNK):
            chunk = {k: v[start:stop] for k, v in data.items()}
            total = total + monitor_fn(module, chunk, generator) * (stop - start)
    module.train(was_training)
    return float(total / n)


def _snapshot(module: torch.nn.Module) -> dict[str, torch.Tensor]:
    return {k: v.detach().clone() for k, v in module.state_dict().items()}


def train_module(
    module: torch.nn.Module,
    train_data: Batch,
    loss_fn: LossFn,
    config: TrainingConfig,
    generator: torch.Generator,
    *,
    validation_data: Batch | None = None,
    loss_weights: Mapping[str, float] | None = None,
    monitor_fn: MonitorFn | None = None,
    parameters=None,
    stage: str | None = None,
) -> TrainingResult:
    """Train ``module`` in place with Adam; early-stop on ``validation_data`` if given.

    With validation data, training stops once the monitored validation value
    has not improved by more than ``tol`` on the best so far for
    ``n_iter_no_change`` epochs, and the weights of the epoch with the
    lowest monitored value are restored (an epoch that improves by less
    than ``tol`` still counts as best; ``tol`` only sets the patience, as in
    scikit-learn's MLP). Without it, training stops when the training loss
    stops improving the same way or after ``max_epochs``.

    Parameters
    ----------
    parameters : iterable of Parameter, default=None
        What the optimizer updates (default: every parameter that requires a
        gradient), so that a stage can train part of a module.
    stage : str, default=None
        Recorded in every history entry, for estimators trained in stages.
    """
    weights = dict(loss_weights or {})
    monitor_fn = monitor_fn or total_loss_monitor(loss_fn, weights)
    params = [p for p in (parameters if parameters is not None else module.parameters()) if p.requires_grad]
    optimizer = torch.optim.Adam(params, lr=config.learning_rate, weight_decay=config.weight_decay)
    n_rows = _n_rows(train_data)
    device = next(iter(train_data.values())).device
    bounds = _batch_bounds(n_rows, config.batch_size)
    validation_seed = int(torch.randint(0, 2**31 - 1, (1,), generator=generator, device=device))

    result = TrainingResult()
    best_value, best_state, epochs_without_gain = math.inf, None, 0
    # verbose=1: a bar that fit erases when it ends (quiet under a grid search); >= 2 keeps it.
    progress = tqdm(
        total=config.max_epochs,
        desc=config.description,
        unit="epoch",
        disable=not config.verbose,
        leave=config.verbose > 1,
    )
    module.train()
    for epoch in range(1, config.max_epochs + 1):
        loss_sums, names = _run_epoch(
            module, train_data, loss_fn, weights, optimizer, params, generator, bounds, config
        )
        record = {"epoch": epoch} if stage is None else {"stage": stage, "epoch": epoch}
        record.update(zip(["loss", *names], (loss_sums / n_rows).tolist()))  # one sync per epoch
        if validation_data is not None:
            record["valid_loss"] = _evaluate(module, validation_data, monitor_fn, validation_seed)
            monitored = record["valid_loss"]
        else:
            monitored = record["loss"]
        result.history.append(record)
        # The postfix first, then the count: the bar shows epoch k with epoch k's losses.
        progress.set_postfix({k: f"{v:.4g}" for k, v in record.items() if "loss" in k}, refresh=False)
        progress.update()

        # As in scikit-learn's MLP: tol only decides whether patience runs out; the
        # weights kept are those of the lowest monitored value, however small its gain.
        gained = monitored < best_value - config.tol
        epochs_without_gain = 0 if gained else epochs_without_gain + 1
        if monitored < best_value:
            best_value, result.best_epoch = monitored, epoch
            if validation_data is not None:
                best_state = _snapshot(module)
        result.n_epochs = epoch
        if not math.isfinite(record["loss"]):
            progress.close()
            raise FloatingPointError(
                f"The training loss became {record['loss']} at epoch {epoch}; lower learning_rate."
            )
        if epochs_without_gain >= config.n_iter_no_change:
            what = "validation" if validation_data is not None else "training"
            result.stop_reason = (
                f"{what} loss did not improve by tol={config.tol} for "
                f"{config.n_iter_no_change} epochs"
            )
            break
    else:
        result.stop_reason = f"max_epochs={config.max_epochs} reached"
    progress.close()

    if best_state is not None:
        module.load_state_dict(best_state)
    elif validation_data is None:
        result.best_epoch = result.n_epochs
    module.eval()
    return result


def _run_epoch(module, data, loss_fn, weights, optimizer, params, generator, bounds, config):
    """One pass over shuffled batches; per-loss row-weighted sums stay on the device."""
    device = next(iter(data.values())).device
    order = torch.randperm(_n_rows(data), generator=generator, device=device)
    sums, names = None, None
    for start, stop in bounds:
        batch = split_rows(data, order[start:stop])
        losses = loss_fn(module, batch, generator)
        total = _weighted_total(losses, weights)
        optimizer.zero_grad(set_to_none=True)
        total.backward()
        if config.grad_clip is not None:
            torch.nn.utils.clip_grad_norm_(params, config.grad_clip)
        optimizer.step()
        values = torch.stack([total.detach(), *(v.detach() for v in losses.values())])
        values = values * (stop - start)
        sums = values if sums is None else sums + values
        names = names or list(losses.keys())
    return sums, names


def outputs_in_chunks(fn, data: Batch) -> dict[str, torch.Tensor]:
    """``fn(chunk) -> dict of tensors`` over row chunks without gradients, concatenated.

    For targets computed once from a frozen network (a stage-1 teacher).
    """
    chunks: dict[str, list[torch.Tensor]] = {}
    n = _n_rows(data)
    with torch.no_grad():
        for start in range(0, n, EVAL_CHUNK):
            out = fn({key: value[start : start + EVAL_CHUNK] for key, value in data.items()})
            for key, value in out.items():
                chunks.setdefault(key, []).append(value)
    return {key: torch.cat(values) for key, values in chunks.items()}

