"""The teleradlab kernelspec starts its kernel on UNIX sockets: no TCP port, no "without encryption" warning."""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

import pytest

from teleradlab import kernel

pytestmark = pytest.mark.skipif(os.name == "nt", reason="no UNIX-domain sockets on Windows")


@pytest.fixture
def kernelspec(tmp_path, monkeypatch) -> Path:
    """The kernelspec as `make install` registers it, in a prefix of its own that Jupyter searches first."""
    folder = kernel.install(prefix=tmp_path / "prefix")
    monkeypatch.setenv("JUPYTER_PATH", str(tmp_path / "prefix" / "share" / "jupyter"))
    return folder


def test_install_registers_this_interpreter_with_the_provisioner(kernelspec) -> None:
    spec = json.loads((kernelspec / "kernel.json").read_text())
    assert kernelspec.name == kernel.KERNEL_NAME and spec["display_name"] == kernel.DISPLAY_NAME
    assert Path(spec["argv"][0]) == Path(sys.executable)
    assert spec["metadata"]["kernel_provisioner"] == {"provisioner_name": kernel.PROVISIONER}
    from importlib.metadata import entry_points

    (ep,) = [e for e in entry_points(group="jupyter_client.kernel_provisioners") if e.name == kernel.PROVISIONER]
    assert ep.load() is kernel.IPCProvisioner  # registered by pyproject.toml (reinstall after editing it)


@pytest.mark.timeout(120)
def test_kernel_started_by_name_talks_over_unix_sockets_without_the_tcp_warning(kernelspec, tmp_path) -> None:
    """What papermill -k teleradlab does: a plain KernelManager, the kernel chosen by name only."""
    from jupyter_client.manager import KernelManager

    log = tmp_path / "kernel-stderr.txt"
    km = KernelManager(kernel_name=kernel.KERNEL_NAME)
    err = open(log, "w")  # noqa: SIM115 - the kernel writes into it until it is shut down (restart included)
    km.start_kernel(stderr=err, stdout=err)
    try:
        info = km.get_connection_info()
        assert info["transport"] == "ipc", info
        folder = Path(info["ip"]).parent
        assert folder.is_dir() and (folder.stat().st_mode & 0o077) == 0  # private to the user
        assert len(f"{info['ip']}-{info['shell_port']}") < 100  # within the socket path limit
        kc = km.client()
        kc.start_channels()
        try:
            kc.wait_for_ready(timeout=60)
            reply = kc.execute_interactive("print(6 * 7)", timeout=60, output_hook=lambda msg: None)
            assert reply["content"]["status"] == "ok"
        finally:
            kc.stop_channels()
        km.restart_kernel(now=True)  # a restart keeps the connection file and the sockets' folder
        assert km.get_connection_info()["ip"] == info["ip"] and km.is_alive()
    finally:
        km.shutdown_kernel(now=True)
        err.close()
    assert not folder.exists()  # removed with the kernel
    assert km.transport == "tcp"  # the manager's own setting back: a later start begins afresh
    assert "without encryption" not in log.read_text()


def test_require_provisioned_accepts_the_installed_spec_and_names_the_fix_otherwise(kernelspec) -> None:
    from teleradlab.errors import EnvironmentProblem

    assert kernel.require_provisioned() == kernelspec
    spec_file = kernelspec / "kernel.json"
    spec = json.loads(spec_file.read_text())
    del spec["metadata"]["kernel_provisioner"]  # as registered by a plain `ipykernel install`
    spec_file.write_text(json.dumps(spec))
    with pytest.raises(EnvironmentProblem, match="on TCP, not through 'teleradlab-ipc'.*teleradlab.kernel install") as err:
        kernel.require_provisioned()
    assert err.value.where == str(spec_file)
    with pytest.raises(EnvironmentProblem, match="'teleradlab-no-such-kernel' is not registered"):
        kernel.require_provisioned("teleradlab-no-such-kernel")
