"""The ``reading_time_minutes`` section: a reading-time distribution per modality, documented defaults for the rest."""

from __future__ import annotations

from typing import Any

from teleradlab.network import defaults as D
from teleradlab.network.scenario.model import DISTS, ReadingTime
from teleradlab.network.scenario.values import check_keys, fail, number


def reading_time(v: Any, where: str) -> ReadingTime:
    """One reading-time distribution ``{dist, mean, sd, samples}``.

    Parameters
    ----------
    v : Any
        The raw mapping.
    where : str
        Its key path.

    Returns
    -------
    ReadingTime
        ``empirical`` takes ``samples`` (its mean is theirs), ``lognormal`` and ``gamma``
        need ``sd``, ``exponential`` has sd = mean, ``deterministic`` sd 0.
    """
    check_keys(v, {"dist", "mean", "sd", "samples"}, where, ("dist",))
    dist = v["dist"]
    if dist not in DISTS:
        fail(f"unknown distribution {dist!r}; use one of {', '.join(DISTS)}", f"{where}.dist")
    if dist == "empirical":
        samples = v.get("samples")
        if not isinstance(samples, list) or not samples:
            fail("an empirical distribution needs a non-empty list 'samples'", f"{where}.samples")
        vals = tuple(number(x, f"{where}.samples[{i}]", positive=True) for i, x in enumerate(samples))
        return ReadingTime("empirical", sum(vals) / len(vals), samples=vals)
    if "mean" not in v:
        fail("missing required key 'mean'", where)
    mean = number(v["mean"], f"{where}.mean", positive=True)
    if dist in ("lognormal", "gamma"):
        if "sd" not in v:
            fail(f"a {dist} distribution needs 'sd'", where)
        return ReadingTime(dist, mean, number(v["sd"], f"{where}.sd", positive=True))
    return ReadingTime(dist, mean, mean if dist == "exponential" else 0.0)


def parse_reading(raw: Any, modalities: set[str]) -> dict[str, ReadingTime]:
    """The scenario's ``reading_time_minutes``: one distribution per acquired modality.

    Parameters
    ----------
    raw : Any
        The section's raw value (``None`` or absent: every modality takes its default).
    modalities : set of str
        The modalities the sites acquire.

    Returns
    -------
    dict
        Modality -> :class:`ReadingTime`; a modality not given takes the lognormal of
        :data:`teleradlab.network.defaults.READING_MINUTES`.

    Raises
    ------
    ScenarioError
        A bad distribution, or a modality with neither a distribution nor a default.
    """
    reading: dict[str, ReadingTime] = {}
    rt_raw = {} if raw is None else raw  # null: an empty section; any other non-mapping is refused
    check_keys(rt_raw, {m for m in modalities} | set(D.READING_MINUTES), "reading_time_minutes")
    for m in sorted(modalities):
        if m in rt_raw:
            reading[m] = reading_time(rt_raw[m], f"reading_time_minutes.{m}")
        elif m in D.READING_MINUTES:
            mean, sd = D.READING_MINUTES[m]
            reading[m] = ReadingTime("lognormal", mean, sd)
        else:
            fail(f"modality {m} has no reading-time distribution and no default", f"reading_time_minutes.{m}")
    return reading
