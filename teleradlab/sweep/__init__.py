"""Parameter sweeps: local process pool by default, Dask beyond one machine, resumable.

    from teleradlab import sweep
    table = sweep.run("sweep.yaml", out="results/")
    sweep.plot(table, x="ratio", y="turnaround_mean", hue="codec")
"""

from teleradlab.sweep.plot import plot
from teleradlab.sweep.record import record, recorded
from teleradlab.sweep.run import run
from teleradlab.sweep.spec import SweepSpec, load_spec

__all__ = ["SweepSpec", "load_spec", "plot", "record", "recorded", "run"]
