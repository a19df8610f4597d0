"""The Dask worker plugin that ties a local cluster's workers to the sweep's process.

Imported only when a sweep runs on Dask (``distributed`` is an optional dependency).
"""

from __future__ import annotations

from typing import Any

from distributed import WorkerPlugin

from teleradlab.sweep.lifetime import die_with_parent


class DieWithParent(WorkerPlugin):
    """Each worker of a ``--cluster local:N`` ends when the sweep's process dies.

    The workers of a local cluster are child processes of the sweep; the plugin arms
    :func:`teleradlab.sweep.lifetime.die_with_parent` in each of them (also in a
    worker the nanny restarts), so a sweep killed even by SIGKILL leaves no worker
    behind. Dask's own guard (a pipe whose closing ends the worker) stays in place.

    Parameters
    ----------
    parent : int
        The process id of the sweep's process (the workers' parent).
    """

    def __init__(self, parent: int) -> None:
        self.parent = int(parent)

    def setup(self, worker: Any) -> None:  # noqa: ARG002 - the WorkerPlugin interface
        """Arm the parent-death signal and the watchdog in this worker's process.

        Parameters
        ----------
        worker : distributed.Worker
            The worker (unused: the guard is per process).
        """
        die_with_parent(self.parent)
