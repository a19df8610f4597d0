"""Staffing arithmetic against hand counts and an Erlang C written out here from its textbook formula."""

from __future__ import annotations

import datetime as dt
import math

import numpy as np
import pytest

from teleradlab.errors import ParameterError
from teleradlab.network import load_scenario
from teleradlab.network.staffing import hourly_cover, radiologist_hours_per_day, radiologists_needed


def erlang_c_by_hand(c: int, a: float) -> float:
    """P(wait) in M/M/c with offered load a < c: (a^c/c! · c/(c−a)) / (Σ_{k<c} a^k/k! + a^c/c! · c/(c−a))."""
    top = a ** c / math.factorial(c) * c / (c - a)
    return top / (sum(a ** k / math.factorial(k) for k in range(c)) + top)


def needed_by_hand(lam_per_hour: float, s_min: float, t_min: float, share: float) -> int:
    a = lam_per_hour * s_min / 60
    c = math.floor(a) + 1
    while 1 - erlang_c_by_hand(c, a) * math.exp(-(c - a) * t_min / s_min) < share:
        c += 1
    return c


def test_erlang_c_by_hand_matches_a_closed_form() -> None:
    assert erlang_c_by_hand(3, 2.0) == pytest.approx(4 / 9)  # 8/6·3 / (1 + 2 + 2 + 4)
    assert erlang_c_by_hand(1, 0.8) == pytest.approx(0.8)  # M/M/1: P(wait) = rho


@pytest.mark.parametrize(("lam", "s", "t", "share"), [
    (6.0, 20.0, 30.0, 0.8), (6.0, 20.0, 5.0, 0.9), (0.5, 16.6, 10.0, 0.9), (100.0, 12.0, 1.0, 0.95),
    (7.1, 4.9, 10.0, 0.99), (30.0, 3.0, 0.5, 0.8),
])
def test_radiologists_needed_is_the_erlang_c_staffing_rule(lam, s, t, share) -> None:
    c = radiologists_needed(lam, s, wait_minutes=t, share=share)
    assert c == needed_by_hand(lam, s, t, share)
    a = lam * s / 60
    # the rule is tight: one fewer radiologist (if stable) misses the target
    if c - 1 > a:
        assert 1 - erlang_c_by_hand(c - 1, a) * math.exp(-(c - 1 - a) * t / s) < share


def test_radiologists_needed_refuses_bad_input() -> None:
    assert radiologists_needed(0.0, 10.0, wait_minutes=5, share=0.9) == 0
    for kwargs, where in (({"arrivals_per_hour": -1.0}, "arrivals_per_hour"),
                          ({"arrivals_per_hour": math.nan}, "arrivals_per_hour"),
                          ({"mean_reading_minutes": 0.0}, "mean_reading_minutes"),
                          ({"wait_minutes": math.inf}, "wait_minutes"), ({"share": 1.0}, "share"),
                          ({"arrivals_per_hour": 1e9}, "arrivals_per_hour")):
        args = {"arrivals_per_hour": 6.0, "mean_reading_minutes": 10.0, "wait_minutes": 5.0, "share": 0.9} | kwargs
        with pytest.raises(ParameterError) as err:
            radiologists_needed(args.pop("arrivals_per_hour"), args.pop("mean_reading_minutes"), **args)
        assert err.value.where == where


def _raw(shifts: list[dict], timezone: str = "Asia/Novosibirsk") -> dict:
    return {"name": "t", "start": "2026-03-02",  # a Monday
            "sites": [{"name": "s", "country": "RU", "timezone": "Asia/Yekaterinburg", "location": [61, 73],
                       "modalities": {"CR": {"studies_per_day": 48, "profile": "flat"}}}],
            "centres": [{"name": "c", "country": "RU", "timezone": timezone, "location": [55, 83],
                         "radiologists": shifts}],
            "links": [{"site": "s", "centre": "c", "bandwidth_mbps": 10, "rtt_ms": 20}]}


def test_radiologist_hours_by_hand() -> None:
    sc = load_scenario("siberia_hub_spoke")
    assert radiologist_hours_per_day(sc) == 3 * 12 + 1 * 12  # day 08-20 x3, night 20-08 x1
    sc = load_scenario(_raw([{"group": "week", "count": 2, "shift": "mon-fri 08:00-18:00", "licensed": ["RU"]},
                             {"group": "weekend", "count": 1, "shift": "sat+sun 22:00-06:00", "licensed": ["RU"]},
                             {"group": "oncall", "count": 1, "shift": "24/7", "licensed": ["RU"]}]))
    assert radiologist_hours_per_day(sc) == pytest.approx(2 * 10 * 5 / 7 + 1 * 8 * 2 / 7 + 24)
    assert radiologist_hours_per_day(sc, centre="c") == radiologist_hours_per_day(sc)
    with pytest.raises(ParameterError, match="no centre 'x'; the scenario has c"):
        radiologist_hours_per_day(sc, centre="x")


def test_hourly_cover_puts_shifts_and_arrivals_on_one_utc_clock() -> None:
    sc = load_scenario("siberia_hub_spoke")
    cover = hourly_cover(sc, wait_minutes=10, share=0.9)
    # Novosibirsk is UTC+7: the day shift 08-20 is 01-13 UTC (3 + the night's last hour at 00 UTC)
    expected = np.where((np.arange(24) >= 1) & (np.arange(24) < 13), 3.0, 1.0)
    np.testing.assert_allclose(cover["on_shift"], expected)
    np.testing.assert_allclose(cover["on_shift:novosibirsk-hub"], expected)
    # a Monday: every site's daily count, weekday factor 1 for a flat week
    per_day = sum(m.studies_per_day for s in sc.sites for m in s.modalities.values())
    assert cover["arrivals"].sum() == pytest.approx(per_day)
    work = sum(m.studies_per_day * sc.reading[k].mean / 60 for s in sc.sites for k, m in s.modalities.items())
    assert cover["offered_erlangs"].sum() == pytest.approx(work)
    for h, r in cover.iterrows():
        s = r.offered_erlangs * 60 / r.arrivals
        assert r.needed == needed_by_hand(r.arrivals, s, 10, 0.9), h
    assert (cover["short"] == np.clip(cover["needed"] - cover["on_shift"], 0, None)).all()


def test_hourly_cover_by_hand_for_a_flat_load_and_half_hour_zone() -> None:
    """48 studies a day, flat: 2 an hour in every UTC hour; a shift in UTC+5:30 covers half of its edge hours."""
    sc = load_scenario(_raw([{"group": "day", "count": 2, "shift": "09:00-17:00", "licensed": ["RU"]}],
                            timezone="Asia/Kolkata"))
    cover = hourly_cover(sc, dt.date(2026, 3, 3), wait_minutes=5, share=0.9)
    np.testing.assert_allclose(cover["arrivals"], 2.0)
    # 09:00-17:00 IST = 03:30-11:30 UTC
    expected = np.zeros(24)
    expected[4:11] = 2
    expected[[3, 11]] = 1
    np.testing.assert_allclose(cover["on_shift"], expected)
    s = sc.reading["CR"].mean
    assert (cover["needed"] == needed_by_hand(2.0, s, 5, 0.9)).all()
