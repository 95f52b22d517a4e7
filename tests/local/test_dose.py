"""Delivered dose against the rule base's target dose (``matcher.local.dose``), with the expected figures worked out by
hand from rules/interventions/*.yaml and ``policy.dose.flag_below: 0.8``:

- fft: sessions min 10, hours min 30, months max 6 -> due evenly over 6 x 365.25 / 12 = 182.625 days;
- art: hours min 30, weeks max 10 -> over 70 days (its hours_per_week is not used: it has a total);
- mdft: hours_per_week min 0.75 (no total of hours), months min 3 -> 0.75 h for every week since the start, up
  to the minimum over the shortest duration: 0.75 x 3 x 365.25 / 12 / 7 = 9.78 -> 9.8 hours;
- komet-3-11: sessions min 11 and hours_per_week min 2.5 over weeks max 11;
- pmto (sessions min 6) and connect (sessions min 9) have no duration: compared only when completed.
"""

import datetime as dt

import pytest

from matcher.local.dose import DoseCheck, check_dose

START = dt.date(2026, 1, 1)


def _check(rules, intervention: str, status: str, days: int, sessions: float | None = None,
           hours: float | None = None) -> list[DoseCheck]:
    """The checks of an item that started on START, at ``days`` days later."""
    return check_dose(rules, intervention, status, START, START + dt.timedelta(days=days), sessions, hours)


def _dose(intervention: str, measure: str, due: float, minimum: float | None,
          delivered: float | None) -> DoseCheck:
    return DoseCheck(intervention, measure, due, minimum, delivered, 0.8)  # type: ignore[arg-type]


def test_the_policy_flags_below_80_percent(rules) -> None:
    assert rules.policy.dose.flag_below == 0.8


# ------------------------------------------------------------------ a total over a duration


def test_fft_on_its_first_day_nothing_is_due_yet(rules) -> None:
    checks = _check(rules, "fft", "active", 0, sessions=0, hours=0)
    assert checks == [_dose("fft", "sessions", 0.0, 10, 0), _dose("fft", "hours", 0.0, 30, 0)]
    assert [(c.under_dosed, c.share) for c in checks] == [(False, None), (False, None)]


def test_fft_after_91_days_half_of_the_minimum_is_due(rules) -> None:
    # 91 / 182.625 = 0.49829: 10 x 0.49829 = 4.98 -> 5.0 sessions; 30 x 0.49829 = 14.95 -> 14.9 hours
    checks = _check(rules, "fft", "active", 91, sessions=3.9, hours=12)
    assert checks == [_dose("fft", "sessions", 5.0, 10, 3.9), _dose("fft", "hours", 14.9, 30, 12)]
    assert [c.under_dosed for c in checks] == [True, False]  # 3.9 < 0.8 x 5.0 = 4.0; 12 >= 0.8 x 14.9 = 11.92
    assert [round(c.share, 3) for c in checks] == [0.78, 0.805]  # 3.9 / 5.0; 12 / 14.9


def test_fft_after_its_longest_duration_all_of_the_minimum_is_due(rules) -> None:
    checks = _check(rules, "fft", "active", 400, sessions=9, hours=23)
    assert checks == [_dose("fft", "sessions", 10.0, 10, 9), _dose("fft", "hours", 30.0, 30, 23)]
    assert [(c.under_dosed, c.share) for c in checks] == [(False, 0.9), (True, 23 / 30)]


def test_a_completed_item_owes_the_whole_minimum_whenever_it_ended(rules) -> None:
    assert _check(rules, "fft", "completed", 10, sessions=12, hours=31) == [
        _dose("fft", "sessions", 10.0, 10, 12), _dose("fft", "hours", 30.0, 30, 31)]


def test_art_a_total_over_weeks(rules) -> None:
    # 35 of 70 days: 30 x 0.5 = 15.0 hours due; ART sets no sessions
    [check] = _check(rules, "art", "active", 35, sessions=4, hours=11.9)
    assert check == _dose("art", "hours", 15.0, 30, 11.9)
    assert (check.under_dosed, round(check.share, 4)) == (True, 0.7933)  # 11.9 < 12.0
    assert _check(rules, "art", "active", 70, hours=30) == [_dose("art", "hours", 30.0, 30, 30)]


# ------------------------------------------------------------------ a weekly rate


def test_mdft_a_weekly_rate_accrues_week_by_week(rules) -> None:
    # 28 days = 4 weeks x 0.75 = 3.0 hours; 91 days = 13 weeks x 0.75 = 9.75 -> 9.8 hours (just under the cap 9.8)
    assert _check(rules, "mdft", "active", 28, hours=3) == [_dose("mdft", "hours", 3.0, 9.8, 3)]
    [check] = _check(rules, "mdft", "active", 91, hours=7.8)
    assert check == _dose("mdft", "hours", 9.8, 9.8, 7.8)
    assert check.under_dosed  # 7.8 < 0.8 x 9.8 = 7.84


def test_mdft_the_weekly_rate_stops_at_the_minimum_over_the_shortest_duration(rules) -> None:
    # 120 days would be 17.1 weeks x 0.75 = 12.9 hours; the due stops at 9.8, as it does once completed
    late, completed = _check(rules, "mdft", "active", 120, hours=8), _check(rules, "mdft", "completed", 10, hours=8)
    assert late == completed == [_dose("mdft", "hours", 9.8, 9.8, 8)]
    assert [c.under_dosed for c in late] == [False]  # 8 >= 7.84
    assert _check(rules, "mdft", "completed", 10, hours=7.8)[0].under_dosed


def test_komet_3_11_sessions_in_total_and_hours_by_the_week(rules) -> None:
    # 42 of 77 days: 11 x 6 / 11 = 6.0 sessions; 6 weeks x 2.5 = 15.0 hours, of a minimum 2.5 x 11 = 27.5
    assert _check(rules, "komet-3-11", "active", 42, sessions=5, hours=11) == [
        _dose("komet-3-11", "sessions", 6.0, 11, 5), _dose("komet-3-11", "hours", 15.0, 27.5, 11)]


# ------------------------------------------------------------------ no duration, not compared


@pytest.mark.parametrize(("intervention", "minimum", "delivered", "under"),
                         [("pmto", 6, 5, False),  # 5 >= 0.8 x 6 = 4.8
                          ("connect", 9, 7, True)])  # 7 < 0.8 x 9 = 7.2
def test_sessions_without_a_duration_are_compared_only_when_completed(rules, intervention, minimum, delivered,
                                                                      under) -> None:
    assert _check(rules, intervention, "active", 400, sessions=1) == []
    [check] = _check(rules, intervention, "completed", 30, sessions=delivered)
    assert check == _dose(intervention, "sessions", float(minimum), minimum, delivered)
    assert (check.under_dosed, check.share) == (under, delivered / minimum)


@pytest.mark.parametrize("status", ["planned", "dropped"])
def test_planned_and_dropped_items_are_not_compared(rules, status) -> None:
    assert _check(rules, "fft", status, 91, sessions=0, hours=0) == []


def test_a_date_before_the_start_and_an_insats_without_a_dose_are_not_compared(rules) -> None:
    assert _check(rules, "fft", "active", -1, sessions=0, hours=0) == []
    assert rules.interventions[rules.index("kontaktperson")].model.dose is None
    assert _check(rules, "kontaktperson", "active", 91, sessions=0, hours=0) == []


# ------------------------------------------------------------------ the flag


def test_the_flag_at_exactly_80_percent_and_just_below(rules) -> None:
    at = _check(rules, "fft", "completed", 0, sessions=8, hours=24)
    below = _check(rules, "fft", "completed", 0, sessions=7.9, hours=23.9)
    assert [(c.under_dosed, c.share) for c in at] == [(False, 0.8), (False, 0.8)]
    assert [c.under_dosed for c in below] == [True, True]


def test_exactly_80_percent_of_a_due_that_is_not_a_round_number_is_not_flagged(rules) -> None:
    [art] = _check(rules, "art", "active", 7, hours=2.4)  # 7 of 70 days: 3.0 hours due
    [mdft] = _check(rules, "mdft", "active", 28, hours=2.4)  # 4 weeks x 0.75: 3.0 hours due
    assert (art.due, mdft.due) == (3.0, 3.0)
    assert not art.under_dosed and not mdft.under_dosed


def test_nothing_recorded_is_not_under_dosed_and_has_no_share(rules) -> None:
    checks = _check(rules, "fft", "active", 91)
    assert [(c.due, c.delivered, c.under_dosed, c.share) for c in checks] == [(5.0, None, False, None),
                                                                              (14.9, None, False, None)]
