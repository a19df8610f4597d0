"""The ``ai_triage`` section: AIs that flag studies, each with its prevalence and operating point."""

from __future__ import annotations

from typing import Any

from teleradlab.network import defaults as D
from teleradlab.network.scenario.model import AITriage, ReadingTime
from teleradlab.network.scenario.reading import reading_time
from teleradlab.network.scenario.values import check_keys, fail, nonempty_str, number, unique_names

#: Keys of one AI.
AI_KEYS = {"name", "modalities", "priorities", "rank_after", "enabled", "prevalence", "sensitivity", "specificity",
           "auc", "binormal_b", "threshold", "roc", "reading_time_minutes"}
#: The ways of giving an AI's operating point, by the keys each uses.
OPERATING_POINTS: dict[str, set[str]] = {
    "sensitivity/specificity": {"sensitivity", "specificity"}, "auc/threshold": {"auc", "threshold"},
    "auc/sensitivity": {"auc", "sensitivity"}, "auc/specificity": {"auc", "specificity"},
    "roc/sensitivity": {"roc", "sensitivity"}, "roc/specificity": {"roc", "specificity"},
}


def parse_ai_triage(v: Any, modalities: set[str]) -> tuple[AITriage, ...]:
    """One AI (a mapping) or several (a list), each validated with its key path.

    Parameters
    ----------
    v : Any
        The section's raw value (``None``, an empty list or absent: no AI; an empty
        mapping is refused: an AI needs its prevalence and operating point).
    modalities : set of str
        The modalities the sites acquire.

    Returns
    -------
    tuple of AITriage

    Raises
    ------
    ScenarioError
        A bad AI, a repeated name, or two AIs that apply to the same modality and priority.
    """
    if v is None or v == []:
        return ()
    if not isinstance(v, dict | list):
        fail(f"expected one AI (a mapping) or a list of them, got {v!r}", "ai_triage")
    if v == {}:
        fail("an empty AI: give its prevalence and an operating point "
             f"({'; '.join(' + '.join(sorted(x)) for x in OPERATING_POINTS.values())}), or remove ai_triage",
             "ai_triage")
    items, listed = (v, True) if isinstance(v, list) else ([v], False)
    out: list[AITriage] = []
    for k, a in enumerate(items):
        out.append(_one_ai(a, f"ai_triage[{k}]" if listed else "ai_triage", modalities, k))
    unique_names([{"name": ai.name} for ai in out], "name", "ai_triage")
    for k, ai in enumerate(out):  # no study may be read by two AIs
        for j in range(k):
            other = out[j]
            mods = (modalities if ai.modalities is None else ai.modalities) & (
                modalities if other.modalities is None else other.modalities)
            if mods and ai.priorities & other.priorities:
                fail(f"AIs {other.name!r} and {ai.name!r} both apply to {', '.join(sorted(mods))} studies of "
                     f"priority {', '.join(sorted(ai.priorities & other.priorities))}; give them disjoint "
                     "modalities or priorities", f"ai_triage[{k}]")
    return tuple(out)


def _one_ai(a: Any, w: str, modalities: set[str], k: int) -> AITriage:
    from teleradlab.errors import ParameterError
    from teleradlab.network import triage

    check_keys(a, AI_KEYS, w, ("prevalence",))
    prevalence = number(a["prevalence"], f"{w}.prevalence", nonneg=True, upto=1.0)
    mods = a.get("modalities")  # absent: every modality; null is refused like any other non-list
    if "modalities" in a:
        if not isinstance(mods, list) or not mods:
            fail(f"expected a non-empty list of modalities (leave the key out for all), got {mods!r}",
                 f"{w}.modalities")
        mods = frozenset(nonempty_str(m, f"{w}.modalities[{i}]").upper() for i, m in enumerate(mods))
        unknown = sorted(mods - modalities)
        if unknown:
            fail(f"no site acquires {', '.join(unknown)} (modalities: {', '.join(sorted(modalities))})",
                 f"{w}.modalities")
    rank = a.get("rank_after", "stat")
    if rank not in triage.RANKS:
        fail(f"unknown rank_after {rank!r}; use one of {', '.join(triage.RANKS)}", f"{w}.rank_after")
    if rank == D.PRIORITIES[-1]:
        fail(f"an AI ranked below {rank} would move no study; use one of {', '.join(triage.RANKS[:-1])}",
             f"{w}.rank_after")
    below = [p for p in D.PRIORITIES if rank == "top" or D.PRIORITIES.index(p) > D.PRIORITIES.index(rank)]
    prios = a.get("priorities", below)
    if not isinstance(prios, list) or not prios or any(p not in D.PRIORITIES for p in prios):
        fail(f"expected a non-empty list of priorities among {', '.join(D.PRIORITIES)}", f"{w}.priorities")
    enabled = a.get("enabled", True)
    if not isinstance(enabled, bool):
        fail("expected true or false", f"{w}.enabled")
    # the operating point: exactly one way of giving it
    has = {key for key in ("sensitivity", "specificity", "auc", "threshold", "roc") if key in a}
    how = next((name for name, keys in OPERATING_POINTS.items() if keys == has), None)
    if how is None:
        fail(f"give the operating point as one of: "
             f"{'; '.join(' + '.join(sorted(x)) for x in OPERATING_POINTS.values())} "
             f"(got {', '.join(sorted(has)) or 'none'})", w)
    if "binormal_b" in a and not how.startswith("auc"):
        fail("binormal_b goes with auc", f"{w}.binormal_b")
    se = number(a["sensitivity"], f"{w}.sensitivity", nonneg=True, upto=1.0) if "sensitivity" in a else None
    sp = number(a["specificity"], f"{w}.specificity", nonneg=True, upto=1.0) if "specificity" in a else None
    try:
        if how.startswith("auc"):
            auc = number(a["auc"], f"{w}.auc", positive=True, upto=1.0)
            b = number(a.get("binormal_b", 1.0), f"{w}.binormal_b", positive=True)
            thr = number(a["threshold"], f"{w}.threshold") if "threshold" in a else None
            se, sp = triage.binormal_point(triage.binormal_a(auc, b), b,
                                           threshold=thr, sensitivity=se, specificity=sp)
        elif how.startswith("roc"):
            table = a["roc"]
            if not isinstance(table, list) or not all(isinstance(r, list | tuple) and len(r) == 2 for r in table):
                fail("expected a list of [fpf, tpf] pairs", f"{w}.roc")
            pts = [(number(f, f"{w}.roc[{i}][0]", nonneg=True, upto=1.0),
                    number(t, f"{w}.roc[{i}][1]", nonneg=True, upto=1.0)) for i, (f, t) in enumerate(table)]
            ra, rb = triage.fit_binormal_roc([x for x, _ in pts], [y for _, y in pts])
            se, sp = triage.binormal_point(ra, rb, sensitivity=se, specificity=sp)
    except ParameterError as exc:
        fail(exc.message, w)
    # every way of giving the operating point yields both numbers (sensitivity/specificity: given)
    assert se is not None and sp is not None
    rd: ReadingTime | None = None
    rn: ReadingTime | None = None
    if "reading_time_minutes" in a:  # null too is refused: a mapping of both distributions, or leave it out
        rt = a["reading_time_minutes"]
        check_keys(rt, {"diseased", "non_diseased"}, f"{w}.reading_time_minutes", ("diseased", "non_diseased"))
        rd = reading_time(rt["diseased"], f"{w}.reading_time_minutes.diseased")
        rn = reading_time(rt["non_diseased"], f"{w}.reading_time_minutes.non_diseased")
    return AITriage(prevalence=prevalence, sensitivity=float(se), specificity=float(sp), modalities=mods,
                    name=nonempty_str(a.get("name", f"ai{k}" if k else "ai"), f"{w}.name"),
                    priorities=frozenset(prios), rank_after=rank, enabled=enabled, reading_diseased=rd,
                    reading_non_diseased=rn, operating_point=how)
