"""The ``teleradlab`` Jupyter kernel: its kernelspec, and a provisioner that starts it on UNIX sockets.

A kernel started by Jupyter talks to its client over ZeroMQ, by default on TCP ports
of the loopback interface, unencrypted — which is why ipykernel (7.x) warns "Kernel
is running over TCP without encryption" on every start. The kernelspec this module
installs names :class:`IPCProvisioner` (``metadata.kernel_provisioner``, a jupyter_client
mechanism, entry point ``teleradlab-ipc``), which starts the kernel on UNIX-domain sockets
(``ipc``) in a fresh private folder instead: no network port is opened, and the warning
has no cause. Every client that starts the kernel by name — papermill ``-k teleradlab``,
nbclient, JupyterLab, ``teleradlab run`` (which checks the kernelspec first with
:func:`require_provisioned`) — gets this without options or configuration. Windows has no
``ipc`` transport and keeps TCP.

``python -m teleradlab.kernel install`` registers the kernelspec inside the running
environment (``--sys-prefix``; ``make install`` does it).
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import sys
import tempfile
from pathlib import Path
from typing import Any

from jupyter_client.provisioning import LocalProvisioner

from teleradlab.errors import EnvironmentProblem
from teleradlab.files import atomic_write_text
from teleradlab.nbtools import KERNEL_NAME, KERNELSPEC

DISPLAY_NAME = KERNELSPEC["display_name"]
#: The entry-point name under ``jupyter_client.kernel_provisioners`` (pyproject.toml).
PROVISIONER = "teleradlab-ipc"


class IPCProvisioner(LocalProvisioner):  # type: ignore[misc]
    """Start a local kernel on UNIX-domain sockets instead of loopback TCP ports.

    Before the connection file is written, a kernel manager still on its default
    ``tcp`` transport is switched to ``ipc``, its sockets placed in a new folder made
    by :func:`tempfile.mkdtemp` (private to the user, and short: socket paths are
    limited to about 100 bytes). The folder is removed when the kernel's resources
    are cleaned up for good (kept across restarts, which reuse the connection file).
    A manager configured otherwise (already ``ipc``, or on Windows) is left alone. After
    the final shutdown the manager gets its own settings back, so that starting it
    again begins afresh.
    """

    _socket_dir: str | None = None
    _saved: tuple[str, str, bool] | None = None

    async def pre_launch(self, **kwargs: Any) -> dict[str, Any]:
        """Switch the kernel manager to the ``ipc`` transport, then prepare the launch as usual."""
        km = self.parent
        if os.name != "nt" and km is not None and km.transport == "tcp":
            self._saved = (km.transport, km.ip, km.cache_ports)
            self._socket_dir = tempfile.mkdtemp(prefix="teleradlab-kernel-")
            km.cache_ports = False  # ports are TCP's; ipc names sockets by path
            km.transport = "ipc"
            km.ip = os.path.join(self._socket_dir, "k")
        return await super().pre_launch(**kwargs)  # type: ignore[no-any-return]

    async def cleanup(self, restart: bool = False) -> None:
        """Release the kernel's resources; unless restarting, remove the socket folder and restore the manager."""
        await super().cleanup(restart=restart)
        if restart:
            return
        if self._socket_dir:
            shutil.rmtree(self._socket_dir, ignore_errors=True)
            self._socket_dir = None
        km = self.parent
        if self._saved is not None and km is not None:
            km.transport, km.ip, km.cache_ports = self._saved
            self._saved = None


def install(prefix: str | os.PathLike[str] | None = None) -> Path:
    """Register the ``teleradlab`` kernelspec, started through :class:`IPCProvisioner`.

    Parameters
    ----------
    prefix : path-like, optional
        The installation prefix; the running environment (``sys.prefix``) by default,
        so the kernel is registered inside the virtual environment, not in the home folder.

    Returns
    -------
    Path
        The kernelspec's folder (``<prefix>/share/jupyter/kernels/teleradlab``).
    """
    from ipykernel.kernelspec import install as ipykernel_install

    folder = Path(ipykernel_install(kernel_name=KERNEL_NAME, display_name=DISPLAY_NAME,
                                    prefix=str(prefix or sys.prefix)))
    spec_file = folder / "kernel.json"
    spec = json.loads(spec_file.read_text())
    spec.setdefault("metadata", {})["kernel_provisioner"] = {"provisioner_name": PROVISIONER}
    atomic_write_text(spec_file, json.dumps(spec, indent=1) + "\n")
    return folder


def require_provisioned(name: str = KERNEL_NAME) -> Path:
    """Check that the kernelspec Jupyter would start for ``name`` starts it through :class:`IPCProvisioner`.

    Clients that start the kernel by name (papermill, nbclient) then get UNIX sockets;
    a kernelspec registered before the provisioner existed would silently fall back
    to TCP, with ipykernel's "running over TCP without encryption" warning.

    Parameters
    ----------
    name : str
        The kernel's name.

    Returns
    -------
    Path
        The kernelspec's folder (the first one Jupyter finds under that name).

    Raises
    ------
    EnvironmentProblem
        If no kernelspec of that name is registered, or the one found does not name
        the ``teleradlab-ipc`` provisioner; the message says how to register it.
    """
    from jupyter_client.kernelspec import KernelSpecManager

    fix = f"run `{sys.executable} -m teleradlab.kernel install` (or `make install`)"
    # find_kernel_specs, unlike get_kernel_spec, also lists a spec whose provisioner is not installed
    found = KernelSpecManager().find_kernel_specs().get(name.lower())
    if not found:
        raise EnvironmentProblem(f"Jupyter kernel {name!r} is not registered: {fix}", where="kernelspec")
    spec = json.loads((Path(found) / "kernel.json").read_text())
    provisioner = spec.get("metadata", {}).get("kernel_provisioner", {}).get("provisioner_name")
    if provisioner != PROVISIONER:
        how = f"through the provisioner {provisioner!r}" if provisioner else "on TCP"
        raise EnvironmentProblem(f"kernelspec {name!r} starts its kernel {how}, not through {PROVISIONER!r} "
                                 f"(UNIX sockets): {fix}", where=str(Path(found) / "kernel.json"))
    return Path(found)


def main(argv: list[str] | None = None) -> int:
    """``python -m teleradlab.kernel install [--prefix P]``."""
    parser = argparse.ArgumentParser(prog="python -m teleradlab.kernel",
                                     description="register the teleradlab Jupyter kernel")
    sub = parser.add_subparsers(dest="action", required=True)
    inst = sub.add_parser("install", help="register the kernelspec in this environment (sys.prefix)")
    inst.add_argument("--prefix", help="installation prefix instead of sys.prefix")
    args = parser.parse_args(argv)
    print(f"kernel {KERNEL_NAME} registered in {install(args.prefix)} (UNIX-socket transport)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
