"""Acceptance of issue 11 on the reduced grid: predict within 15% of the measured total on >= 90% of points."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from teleradlab import datasets
from teleradlab.errors import EnvironmentProblem
from teleradlab.netlab.calibrate import (
    GRIDS,
    TCP_COUNTERS,
    TOLERANCE,
    calibrate,
    fit_constants,
    parse_proc_net,
    predict_rows,
    score,
)
from teleradlab.network.transfer import DEFAULT_CONSTANTS, FITTED, predict


@pytest.mark.slow  # about a minute (issue 11: at most 90 s)
def test_reduced_grid_within_15_percent(lab):
    cal = calibrate("reduced", show_progress=False)
    g = GRIDS["reduced"]
    assert len(cal.table) == np.prod([len(v) for v in g.values()])
    assert (cal.table["errors"] == 0).all()
    shipped = score(cal.table, DEFAULT_CONSTANTS)  # constants fitted on the full grid, other studies
    assert shipped["within"].mean() >= 0.9, shipped.sort_values("relative_error").to_string()
    assert cal.within_15 >= 0.9, cal.misses().to_string()
    # the stock stack pays a stall per instance that TCP_NODELAY removes: measured, not assumed
    t = cal.table.set_index(["study", "bandwidth_mbps", "rtt_ms", "nodelay"])["measured_total_s"]
    stock, nodelay = t.xs(False, level="nodelay"), t.xs(True, level="nodelay")
    assert (stock.xs("10x50kB") > nodelay.xs("10x50kB")).all()
    # every row carries the sender's kernel counters over its run (HyStart exits, retransmissions)
    assert (cal.table[list(TCP_COUNTERS)] >= 0).all().all()


def test_proc_net_counters_are_read_by_name():
    # the layout of /proc/net/netstat and /proc/net/snmp: a header line, then its values
    text = ("TcpExt: SyncookiesSent TCPHystartTrainDetect TCPHystartTrainCwnd\n"
            "TcpExt: 0 2 3100\n"
            "IpExt: InNoRoutes\n"
            "IpExt: 7\n"
            "Tcp: RtoAlgorithm MaxConn RetransSegs\n"
            "Tcp: 1 -1 42\n")
    assert parse_proc_net(text) == {"TcpExt.SyncookiesSent": 0, "TcpExt.TCPHystartTrainDetect": 2,
                                    "TcpExt.TCPHystartTrainCwnd": 3100, "IpExt.InNoRoutes": 7,
                                    "Tcp.RtoAlgorithm": 1, "Tcp.MaxConn": -1, "Tcp.RetransSegs": 42}
    # the names the grid records are those of the running kernel
    proc = [Path("/proc/net/netstat"), Path("/proc/net/snmp")]
    if all(p.is_file() for p in proc):
        assert set(TCP_COUNTERS.values()) <= set(parse_proc_net("".join(p.read_text() for p in proc)))
    with pytest.raises(EnvironmentProblem, match="2 names but 1 values for Tcp"):
        parse_proc_net("Tcp: RtoAlgorithm RetransSegs\nTcp: 1\n")


def test_shipped_table_and_constants_agree():
    table = pd.read_csv(datasets.path("reference/transfer_measured.csv"))
    cal = pd.read_json(datasets.path("reference/transfer_calibration.json"), typ="series")
    for name, value in cal["constants"].items():
        if name != "source":
            assert getattr(DEFAULT_CONSTANTS, name) == pytest.approx(value), name
    ops = pd.read_csv(datasets.path("reference/operations_defaults.csv"), dtype={"value": str})
    listed = {r.parameter[len("transfer_"):]: float(r.value) for r in ops.itertuples()
              if r.parameter.startswith("transfer_")}
    assert listed == pytest.approx({k: v for k, v in DEFAULT_CONSTANTS.as_dict().items() if k != "source"})
    table = table[table["protocol"] == "cstore"]  # the acceptance grid
    scored = score(table, DEFAULT_CONSTANTS)
    assert scored["within"].mean() == pytest.approx(cal["within_15_percent"])
    assert scored["within"].mean() >= 0.9
    full = GRIDS["full"]
    assert set(table["bandwidth_mbps"]) == set(full["bandwidths"]) and set(table["rtt_ms"]) == set(full["rtts"])
    assert set(table["study"]) == set(full["studies"]) and set(table["nodelay"]) == {True, False}


def test_fat_long_link_bulk_rows_re_measured_idle():
    """Issue 11's open end: bulk transfers at 100 Mbit/s x 200 ms, re-measured with the kernel's HyStart counters.

    The grid's first 10 MB C-STORE measurements there ran 19-26% slower than the model (measured at load ~5);
    re-measured on an idle machine, CUBIC's HyStart never ended slow start below the bandwidth-delay
    product, and the model (slow start to the BDP) predicts them within the tolerance.
    """
    t = pd.read_csv(datasets.path("reference/transfer_slow_start_check.csv"))
    assert (t["load1"] < 2.5).all() and (t["errors"] == 0).all() and (t["congestion_control"] == "cubic").all()
    assert set(t["rtt_ms"]) == {50.0, 200.0} and set(t["bandwidth_mbps"]) == {100.0}
    bdp = t["link_throughput_mbps"] * 1e6 / 8 * t["link_rtt_ms"] / 1000 / DEFAULT_CONSTANTS.mss_bytes  # segments
    exits = t["hystart_train_exits"] + t["hystart_delay_exits"]
    at_exit = (t["hystart_train_cwnd"] + t["hystart_delay_cwnd"]) / exits.where(exits > 0)
    assert (at_exit[exits > 0] >= bdp[exits > 0]).all()
    assert (t["retrans_segs"] == 0).all()
    scored = score(t, DEFAULT_CONSTANTS)
    assert scored["predicted_total_s"].to_numpy() == pytest.approx(t["predicted_total_s"].to_numpy(), abs=1e-4)
    cstore = scored[scored["protocol"] == "cstore"]
    assert len(cstore) == 6 and cstore["within"].all(), cstore.to_string()


def test_fit_recovers_constants_from_synthetic_measurements():
    """An independent check of the fitting code: data made by the model with known constants."""
    truth = DEFAULT_CONSTANTS.with_values(cstore_efficiency=0.93, assoc_fixed_s=0.05, instance_rtts=1.2,
                                          instance_fixed_s=0.004, nagle_delack_s=0.041, nagle_rtts=1.0)
    rows = []
    for bw in (2.0, 10.0, 100.0):
        for rtt in (0.0, 50.0, 200.0):
            for sizes in ([10e6], [53_000] * 30, [525_000] * 10):
                for nodelay in (False, True):
                    rows.append({"protocol": "cstore", "instance_bytes": ";".join(str(int(s)) for s in sizes),
                                 "bandwidth_mbps": bw, "link_throughput_mbps": 0.93 * bw, "link_rtt_ms": rtt, "nodelay": nodelay, "associations": 1,
                                 "batch": None, "measured_total_s": 0.0})
    table = pd.DataFrame(rows)
    table["measured_total_s"] = predict_rows(table, truth)
    fitted, info = fit_constants(table)
    for name in (*FITTED["cstore"], "cstore_efficiency"):
        assert getattr(fitted, name) == pytest.approx(getattr(truth, name), rel=0.02, abs=1e-3), name
    assert info["rms_relative_error"] < 1e-3
    assert score(table, fitted)["within"].all()
    one = predict(10e6, bandwidth_mbps=2, rtt_ms=0, nodelay=True, constants=truth)
    assert table["measured_total_s"].iloc[1] == pytest.approx(one.total_s)
    assert TOLERANCE == 0.15
