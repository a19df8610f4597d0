"""The ``sites`` section: facilities that acquire studies, and each one's workload per modality."""

from __future__ import annotations

from typing import Any

from teleradlab.network import defaults as D
from teleradlab.network.scenario.model import ModalityLoad, Site
from teleradlab.network.scenario.values import (
    check_keys,
    fail,
    nonempty_str,
    number,
    place,
)

#: Keys of one modality's workload (``sites[i].modalities.<MOD>``).
MODALITY_KEYS = {"studies_per_day", "profile", "weekday_profile", "priority_mix", "images_per_study",
                 "bytes_per_image", "size_sd_fraction", "subspecialty"}
#: Keys of one site.
SITE_KEYS = ("name", "country", "timezone", "location", "modalities")


def _profile(v: Any, where: str, presets: dict[str, list[float]], n: int) -> tuple[float, ...]:
    if isinstance(v, str):
        if v not in presets:
            fail(f"unknown profile {v!r}; presets: {', '.join(presets)}, or a list of {n} numbers", where)
        return tuple(presets[v])
    if not isinstance(v, list) or len(v) != n:
        fail(f"expected a preset name or a list of {n} numbers", where)
    vals = tuple(number(x, f"{where}[{i}]", nonneg=True) for i, x in enumerate(v))
    if sum(vals) <= 0:
        fail("the profile is all zeros", where)
    return vals


def _priority_mix(v: Any, where: str) -> dict[str, float]:
    if v is None:
        return {"stat": 0.0, "urgent": 0.0, "routine": 1.0}
    check_keys(v, set(D.PRIORITIES), where)
    mix = {p: number(v.get(p, 0.0), f"{where}.{p}", nonneg=True) for p in D.PRIORITIES}
    total = sum(mix.values())
    if abs(total - 1) > 1e-6:
        fail(f"priority shares must add up to 1, they add up to {total:g}", where)
    return mix


def modality_load(mod: str, v: Any, where: str) -> ModalityLoad:
    """One modality's workload at a site, with documented defaults for what is left out.

    Parameters
    ----------
    mod : str
        The modality (upper case).
    v : Any
        The raw mapping.
    where : str
        Its key path (``sites[0].modalities.CT``).

    Returns
    -------
    ModalityLoad
        Hourly and weekday profiles from the presets of :mod:`teleradlab.network.defaults`
        (or 24 and 7 numbers); study size from ``defaults.STUDY_SIZES`` unless given.
    """
    check_keys(v, MODALITY_KEYS, where, ("studies_per_day",))
    rate = number(v["studies_per_day"], f"{where}.studies_per_day", positive=True)
    prof_name = v.get("profile", "flat")
    profile = _profile(prof_name, f"{where}.profile", D.PROFILES, 24)
    wd = v.get("weekday_profile", prof_name if isinstance(prof_name, str) else "flat")
    weekday = _profile(wd, f"{where}.weekday_profile", D.WEEKDAY_PROFILES, 7)
    size = D.STUDY_SIZES.get(mod)
    if size is None and ("images_per_study" not in v or "bytes_per_image" not in v):
        fail(f"no default study size for modality {mod!r}: give images_per_study and bytes_per_image", where)
    images = int(number(v.get("images_per_study", size[0] if size else 1), f"{where}.images_per_study",
                        positive=True))
    nbytes = int(number(v.get("bytes_per_image", size[1] if size else 1), f"{where}.bytes_per_image",
                        positive=True))
    sub = v.get("subspecialty")
    return ModalityLoad(
        modality=mod, studies_per_day=rate, profile=profile, weekday=weekday,
        priority_mix=_priority_mix(v.get("priority_mix"), f"{where}.priority_mix"),
        images_per_study=images, bytes_per_image=nbytes,
        size_sd_fraction=number(v.get("size_sd_fraction", 0.0), f"{where}.size_sd_fraction", nonneg=True, upto=3),
        subspecialty=nonempty_str(sub, f"{where}.subspecialty") if sub is not None else None,
    )


def parse_sites(raw_sites: list) -> list[Site]:
    """Every site of the ``sites`` list (already checked to be a non-empty list of unique names).

    Parameters
    ----------
    raw_sites : list
        The raw list.

    Returns
    -------
    list of Site
        Countries in upper case; modality names in upper case.
    """
    sites = []
    for i, s in enumerate(raw_sites):
        w = f"sites[{i}]"
        check_keys(s, set(SITE_KEYS), w, SITE_KEYS)
        mods = s["modalities"]
        if not isinstance(mods, dict) or not mods:
            fail("expected a non-empty mapping of modality to workload", f"{w}.modalities")
        sites.append(Site(
            **place(s, w),
            modalities={str(m).upper(): modality_load(str(m).upper(), v, f"{w}.modalities.{m}")
                        for m, v in mods.items()},
        ))
    return sites
