"""Where the study's tasks run: joblib's backends, dask optional.

dask and distributed are optional dependencies: they are imported only when
``backend="dask"`` is asked for.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator

from joblib import parallel_config

__all__ = ["study_backend"]

#: LocalCluster settings when run_study starts a cluster itself.
DEFAULT_LOCAL_CLUSTER = {
    "n_workers": 2,
    "threads_per_worker": 1,
    "processes": True,
    "dashboard_address": None,  # no port to clash with a user's own dashboard
}

_INSTALL_HINT = (
    "backend='dask' needs the optional packages dask and distributed; install them with "
    "`pip install \"dask[distributed]\"` (or `conda install dask distributed`)."
)


def _import_distributed():
    try:
        import distributed
    except ImportError as error:
        raise ImportError(_INSTALL_HINT) from error
    return distributed


@contextlib.contextmanager
def _dask_client(scheduler, cluster_options: dict | None) -> Iterator[object]:
    """A distributed Client; clusters and clients opened here are closed here."""
    distributed = _import_distributed()
    if isinstance(scheduler, distributed.Client):
        yield scheduler  # the caller's client: theirs to close
        return
    with contextlib.ExitStack() as stack:
        if scheduler is None:
            options = {**DEFAULT_LOCAL_CLUSTER, **(cluster_options or {})}
            cluster = stack.enter_context(distributed.LocalCluster(**options))
            address = cluster
        elif isinstance(scheduler, str):
            address = scheduler
        else:
            raise TypeError(
                "scheduler must be None (start a LocalCluster), a scheduler address such as "
                f"'tcp://host:8786', or a distributed.Client; got {type(scheduler).__name__}."
            )
        client = stack.enter_context(distributed.Client(address, set_as_default=False))
        yield client


def _check_dask_arguments(backend: str | None, scheduler, dask_options: dict | None) -> None:
    """Refuse dask settings that the chosen backend would silently ignore."""
    if backend != "dask":
        given = [
            name
            for name, value in (("scheduler", scheduler), ("dask_options", dask_options))
            if value is not None
        ]
        if given:
            raise ValueError(
                f"{' and '.join(given)} apply to backend='dask' only; got backend={backend!r}. "
                "Set backend='dask' or leave them out."
            )
    elif scheduler is not None and dask_options is not None:
        raise ValueError(
            "dask_options configure the LocalCluster started when scheduler is None; with "
            f"scheduler={scheduler!r} they would be ignored. Leave one of them out."
        )


@contextlib.contextmanager
def study_backend(
    backend: str | None, n_jobs: int | None, scheduler=None, dask_options: dict | None = None
) -> Iterator[int | None]:
    """Configure joblib for the study and give the ``n_jobs`` to run with.

    ``backend=None`` leaves joblib's configuration alone (so an enclosing
    ``joblib.parallel_config`` still applies); ``"dask"`` runs on a
    distributed cluster; any other name is a joblib backend
    (``"loky"``, ``"threading"``, ...). ``scheduler`` (which implies
    ``"dask"`` when ``backend`` is None) and ``dask_options`` (the
    ``LocalCluster`` settings when ``scheduler`` is None) belong to the dask
    backend: given with another backend, or both at once, they raise
    ``ValueError`` rather than being ignored.
    """
    if backend is None and scheduler is not None:
        backend = "dask"
    _check_dask_arguments(backend, scheduler, dask_options)
    if backend is None:
        yield n_jobs
    elif backend == "dask":
        with _dask_client(scheduler, dask_options) as client:
            with parallel_config(backend="dask", client=client):
                # -1: one task per worker thread of the cluster.
                yield -1 if n_jobs is None else n_jobs
    else:
        with parallel_config(backend=backend):
            yield n_jobs
