"""Worker processes that end with the sweep that started them, even when it is killed by SIGKILL.

Used as the local process pool's initializer and, through
:class:`teleradlab.sweep.dask_workers.DieWithParent`, in the workers of a Dask
``--cluster local:N``.
"""

from __future__ import annotations

import os
import signal
import sys
import threading
import time


def die_with_parent(parent: int) -> None:
    """End this worker process when the sweep's process dies, even by SIGKILL.

    On Linux the kernel delivers SIGKILL on the parent's death (``prctl(PR_SET_PDEATHSIG)``);
    everywhere a daemon thread checks once a second that the parent is still the one
    that started the worker (an orphan is re-parented) and exits otherwise.

    Parameters
    ----------
    parent : int
        The process id of the sweep's process, taken before the worker was started.
    """
    if sys.platform.startswith("linux"):
        try:
            import ctypes

            libc = ctypes.CDLL(None, use_errno=True)
            libc.prctl(1, signal.SIGKILL, 0, 0, 0)  # 1 = PR_SET_PDEATHSIG (linux/prctl.h)
        except (OSError, AttributeError):
            pass
    if os.getppid() != parent:  # the parent died before the signal was armed
        os._exit(1)

    def watch() -> None:
        while True:
            time.sleep(1.0)
            if os.getppid() != parent:
                os._exit(1)

    threading.Thread(target=watch, name="teleradlab-parent-watchdog", daemon=True).start()
