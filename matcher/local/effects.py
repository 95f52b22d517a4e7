"""The effects report: how young people who got an insats fared at 6 and 12 months, compared with similar young
people in the same unit who did not get it, adjusted for the assessed profile. Observational, never proof of effect.

How it counts, for a unit and a period (dates inclusive):

- an episode is a young person's first assessment in the period that has a saved recommendation: its profile
  (the factor ratings, the age and the risk level as assessed), its profile groups (risk level, age band, main
  need: the first entry of the need profile) and the insatser it got: plan items started before the 6-month
  horizon that were not merely planned (active, completed, or dropped after starting: as started, not as
  completed);
- outcomes, from the follow-ups (Socialstyrelsen's follow-up model as the store records it), read at the
  follow-up nearest the 6- or 12-month horizon within ``WINDOW_DAYS`` (not observed without one): a new offence
  recorded since the assessment up to that follow-up; in school or work; harmful use or dependence; placed
  outside the home; the young person's own rating (1-10);
- for each insats: a propensity score (the chance of getting it given the profile: logistic regression on the
  standardised profile with the penalty |w|^2 / 2 on the weights, the fit scikit-learn's LogisticRegression makes
  with C = 1, solved here by Newton's method because the bootstrap refits it hundreds of times), the overlap
  check (episodes outside the range of scores both groups share, or outside ``PROPENSITY_LIMITS``, are left out
  and their share reported), and inverse-probability weights for the effect on those who got it (weight 1 for
  them, p / (1 - p) for the comparison group);
- intervals: ``bootstrap`` resamples of the episodes within each group (got it, did not), the propensity model
  refitted on each, the 2.5th and 97.5th percentiles of the difference;
- a cell (an insats in a profile group) is shown only when both the young people who got it and the comparison
  group number at least ``min_group`` (``rules/policy.yaml`` ``export_min_group``); an outcome only when at least
  that many in each group have it observed. Everything else is suppressed and says so.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from scipy.special import expit, log_expit
from sklearn.preprocessing import StandardScaler

OUTCOMES = ("reoffended", "school_or_work", "substance_use", "placed", "youth_rating")
PROPORTIONS = frozenset(OUTCOMES) - {"youth_rating"}  # shown as per cent; the rating as a mean of 1-10
HORIZONS = (6, 12)
WINDOW_DAYS = 92  # a state outcome is read from the follow-up nearest the horizon, at most this many days off
PROPENSITY_LIMITS = (0.02, 0.98)  # beyond these the weights of a few young people would swamp the rest
AGE_BANDS = ((6, 11), (12, 14), (15, 17), (18, 25))
RISK_ORDER = ("low", "moderate", "high")
IN_SCHOOL_OR_WORK = frozenset({"in_school", "studying", "working"})
NOT_IN_SCHOOL_OR_WORK = frozenset({"high_absence", "out_of_school", "neither"})
HARMFUL_USE = frozenset({"harmful_use", "dependence"})
AT_HOME = frozenset({"home", "independent"})
RECEIVED_STATUSES = frozenset({"active", "completed", "dropped"})
ALL = "all"


def age_band(age: int) -> str:
    return next((f"{lo}-{hi}" for lo, hi in AGE_BANDS if lo <= age <= hi), "")


def add_months(day: dt.date, months: int) -> dt.date:
    year, month = divmod(day.month - 1 + months, 12)
    return day.replace(year=day.year + year, month=month + 1, day=min(day.day, 28))


@dataclass(frozen=True)
class FollowUpPoint:
    on: dt.date
    new_offences: int
    school_work_status: str
    substance_use_level: str
    placement: str
    youth_rating: int | None


@dataclass(frozen=True)
class Episode:
    person: int
    synthetic: bool
    assessed_on: dt.date
    risk_level: str
    age: int
    main_need: str  # "" when the need profile is empty
    profile: tuple[float, ...]
    received: frozenset[str]
    follow_ups: tuple[FollowUpPoint, ...]

    def groups(self) -> tuple[str, ...]:
        return (ALL, f"risk:{self.risk_level}", f"age:{age_band(self.age)}",
                *((f"need:{self.main_need}",) if self.main_need else ()))


def _nearest(episode: Episode, horizon: dt.date) -> FollowUpPoint | None:
    near = [f for f in episode.follow_ups if f.on > episode.assessed_on and abs((f.on - horizon).days) <= WINDOW_DAYS]
    return min(near, key=lambda f: (abs((f.on - horizon).days), f.on)) if near else None


def outcome(episode: Episode, name: str, months: int) -> float | None:
    """One outcome of an episode at a horizon, or None when it is not observed. The follow-up nearest the horizon
    (within ``WINDOW_DAYS``) answers it; a new offence recorded up to that follow-up counts, as does one recorded
    before the window opened when no follow-up falls in it."""
    horizon = add_months(episode.assessed_on, months)
    point = _nearest(episode, horizon)
    if name == "reoffended":
        after = [f for f in episode.follow_ups if f.on > episode.assessed_on]
        if point is None:
            opened = horizon - dt.timedelta(days=WINDOW_DAYS)
            return 1.0 if any(f.new_offences > 0 and f.on < opened for f in after) else None
        return float(any(f.new_offences > 0 for f in after if f.on <= point.on))
    if point is None:
        return None
    if name == "school_or_work":
        status = point.school_work_status
        return 1.0 if status in IN_SCHOOL_OR_WORK else 0.0 if status in NOT_IN_SCHOOL_OR_WORK else None
    if name == "substance_use":
        return float(point.substance_use_level in HARMFUL_USE)
    if name == "placed":
        return float(point.placement not in AT_HOME)
    return None if point.youth_rating is None else float(point.youth_rating)


@dataclass(frozen=True)
class Estimate:
    """Who got the insats (mean) against the comparison group (weighted mean), and the difference's interval."""

    treated: float
    compared: float
    low: float
    high: float
    n_treated: int  # with the outcome observed
    n_compared: int

    @property
    def difference(self) -> float:
        return self.treated - self.compared


@dataclass(frozen=True)
class Cell:
    intervention: str
    group: str  # "all", "risk:high", "age:15-17", "need:peer_delinquency"
    n_treated: int  # within the overlap
    n_compared: int
    suppressed: bool
    estimates: dict[tuple[str, int], Estimate | None]  # (outcome, months); None: too few observed


@dataclass(frozen=True)
class InsatsEffects:
    intervention: str
    n_treated: int  # every episode that got it, before the overlap check
    excluded_share: float | None  # of all episodes, left out for lack of overlap; None when suppressed
    cells: tuple[Cell, ...]


@dataclass(frozen=True)
class EffectsReport:
    unit: str
    start: dt.date
    end: dt.date
    episodes: int
    synthetic: int  # of them, synthetic (demo and test) young people
    min_group: int
    bootstrap: int
    insatser: tuple[InsatsEffects, ...]
    unreadable: int = 0  # assessments that no longer fit the rule base, left out


def effects_report(unit: str, start: dt.date, end: dt.date, episodes: Sequence[Episode], min_group: int,
                   bootstrap: int = 200, seed: int = 0, unreadable: int = 0) -> EffectsReport:
    """The report from the unit's episodes (``Episode``), insatser ordered by how many got them."""
    counts: dict[str, int] = {}
    for episode in episodes:
        for iid in episode.received:
            counts[iid] = counts.get(iid, 0) + 1
    data = _Data.of(episodes)
    rng = np.random.default_rng(seed)
    insatser = tuple(_insats(data, iid, n, min_group, bootstrap, rng)
                     for iid, n in sorted(counts.items(), key=lambda kv: (-kv[1], kv[0])))
    return EffectsReport(unit, start, end, len(episodes), sum(e.synthetic for e in episodes), min_group, bootstrap,
                         insatser, unreadable)


@dataclass(frozen=True)
class _Data:
    """The episodes as arrays: profile, group membership, outcomes (NaN when not observed), insatser got."""

    x: np.ndarray
    groups: dict[str, np.ndarray]
    outcomes: dict[tuple[str, int], np.ndarray]
    received: list[frozenset[str]]
    group_matrix: np.ndarray  # groups x episodes, 1.0 for a member
    outcome_matrix: np.ndarray  # outcomes x episodes

    @classmethod
    def of(cls, episodes: Sequence[Episode]) -> _Data:
        """The profile standardised once over all episodes (the bootstrap refits the model, not the scale); a column
        that never varies is left out (its weight in the model would be 0)."""
        raw = np.array([e.profile for e in episodes], dtype=float).reshape(len(episodes), -1)
        x = StandardScaler().fit_transform(raw[:, raw.std(axis=0) > 0]) if len(episodes) else raw
        names = sorted({g for e in episodes for g in e.groups()}, key=_group_order)
        groups = {g: np.array([g in e.groups() for e in episodes], dtype=bool) for g in names}
        outcomes = {(name, months): np.array([_nan(outcome(e, name, months)) for e in episodes], dtype=float)
                    for name in OUTCOMES for months in HORIZONS}
        n = len(episodes)
        return cls(x, groups, outcomes, [e.received for e in episodes],
                   np.array(list(groups.values()), dtype=float).reshape(len(groups), n),
                   np.array(list(outcomes.values()), dtype=float).reshape(len(outcomes), n))


def _group_order(group: str) -> tuple[int, int, str]:
    """All first, then risk levels from low to high, age bands from the youngest, main needs by id."""
    kind, _, value = group.partition(":")
    if kind == "risk":
        return 1, RISK_ORDER.index(value) if value in RISK_ORDER else len(RISK_ORDER), value
    if kind == "age":
        return 2, int(value.split("-")[0]) if value[:1].isdigit() else 99, value
    return (0, 0, "") if group == ALL else (3, 0, value)


def _nan(value: float | None) -> float:
    return np.nan if value is None else value


NEWTON_STEPS = 50  # a penalised logistic fit converges in 3-8 Newton steps; the cap only guards the loop
NEWTON_TOLERANCE = 1e-5  # largest change of a coefficient at which the fit counts as converged


def _propensity(x: np.ndarray, treated: np.ndarray, start: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The chance of getting the insats given the (standardised) profile, and the fit (weights, then the
    intercept): the penalised log loss (|w|^2 / 2, the intercept free) minimised by Newton's method with step
    halving, from ``start`` (the fit on all episodes, which saves most of the steps in the bootstrap)."""
    design = np.hstack([x, np.ones((len(x), 1))])
    penalty = np.ones(design.shape[1])
    penalty[-1] = 0.0
    y = treated.astype(float)

    def loss(z: np.ndarray, beta: np.ndarray) -> float:
        return float(-(y * log_expit(z) + (1 - y) * log_expit(-z)).sum() + 0.5 * (penalty * beta * beta).sum())

    beta = start
    z = design @ beta
    current = loss(z, beta)
    for _ in range(NEWTON_STEPS):
        p = expit(z)
        gradient = design.T @ (p - y) + penalty * beta
        hessian = (design.T * (p * (1 - p))) @ design
        hessian.flat[::len(penalty) + 1] += penalty
        step = np.linalg.solve(hessian, gradient)
        scale = 1.0
        while True:  # halve the step until the loss does not grow (rarely needed from a warm start)
            candidate = beta - scale * step
            z = design @ candidate
            value = loss(z, candidate)
            if value <= current or scale < 1e-6:
                break
            scale /= 2
        beta, current = candidate, value
        if np.abs(scale * step).max() < NEWTON_TOLERANCE:
            break
    return expit(z), beta


def _weights(p: np.ndarray, treated: np.ndarray) -> np.ndarray:
    """Weights for the effect on the treated; 0 outside the shared range of scores (the overlap check)."""
    lo = max(p[treated].min(), p[~treated].min(), PROPENSITY_LIMITS[0])
    hi = min(p[treated].max(), p[~treated].max(), PROPENSITY_LIMITS[1])
    inside = (p >= lo) & (p <= hi)
    return np.where(inside, np.where(treated, 1.0, p / (1 - p)), 0.0)


def _means(data: _Data, treated: np.ndarray, weights: np.ndarray,
           rows: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
    """The treated means and the weighted comparison means, each groups x outcomes; NaN where a side has no
    weight. ``treated`` and ``weights`` belong to ``rows`` of the episodes (a bootstrap sample), or to all."""
    pick = slice(None) if rows is None else rows
    groups = data.group_matrix[:, pick]
    values = data.outcome_matrix[:, pick]
    seen = ~np.isnan(values)
    filled = np.where(seen, values, 0.0)
    sides = []
    for side in (treated, ~treated):
        w = weights * side
        sides.append((groups @ (filled * w).T, groups @ (seen * w).T))  # groups x outcomes
    with np.errstate(invalid="ignore", divide="ignore"):
        mean_t, mean_c = (np.where(d > 0, s / d, np.nan) for s, d in sides)
    return mean_t, mean_c


def _insats(data: _Data, iid: str, n_treated: int, min_group: int, bootstrap: int,
            rng: np.random.Generator) -> InsatsEffects:
    treated = np.array([iid in r for r in data.received], dtype=bool)
    if n_treated < min_group or (~treated).sum() < min_group:
        return InsatsEffects(iid, n_treated, None, ())
    p, fit = _propensity(data.x, treated, np.zeros(data.x.shape[1] + 1))
    weights = _weights(p, treated)
    point_t, point_c = _means(data, treated, weights)
    differences = _bootstrap(data, treated, bootstrap, rng, fit)
    cells = []
    for g, (group, members) in enumerate(data.groups.items()):
        inside = members & (weights > 0)
        n_t, n_c = int((inside & treated).sum()), int((inside & ~treated).sum())
        suppressed = n_t < min_group or n_c < min_group
        estimates: dict[tuple[str, int], Estimate | None] = {}
        for o, (key, values) in enumerate(data.outcomes.items()):
            seen = inside & ~np.isnan(values)
            o_t, o_c = int((seen & treated).sum()), int((seen & ~treated).sum())
            if suppressed or o_t < min_group or o_c < min_group:
                estimates[key] = None
                continue
            diffs = differences[:, g, o]
            low, high = np.nanpercentile(diffs, [2.5, 97.5]) if np.isfinite(diffs).any() else (np.nan, np.nan)
            estimates[key] = Estimate(float(point_t[g, o]), float(point_c[g, o]), float(low), float(high), o_t, o_c)
        cells.append(Cell(iid, group, n_t, n_c, suppressed, estimates))
    return InsatsEffects(iid, n_treated, float(np.mean(weights == 0)), tuple(cells))


def _bootstrap(data: _Data, treated: np.ndarray, times: int, rng: np.random.Generator,
               fit: np.ndarray) -> np.ndarray:
    """The differences (treated minus comparison mean; resamples x groups x outcomes) over resamples within each
    group (got it, did not), the propensity model refitted on each (starting from ``fit``, the fit on all
    episodes)."""
    arms = [np.flatnonzero(treated), np.flatnonzero(~treated)]
    differences = []
    for _ in range(times):
        rows = np.concatenate([rng.choice(arm, size=len(arm), replace=True) for arm in arms])
        t = treated[rows]
        mean_t, mean_c = _means(data, t, _weights(_propensity(data.x[rows], t, fit)[0], t), rows)
        differences.append(mean_t - mean_c)
    return np.array(differences).reshape(times, len(data.groups), len(data.outcomes))
