"""The baseline scorecard: documented weights, exact points, levels, and its AUC on public data."""

import numpy as np
import pandas as pd
import pytest

from matcher import RuleBaseError, encode_cases, load_scorecard
from matcher.rulebase.factors import RISK_LEVELS
from tests.conftest import SHARED_DATA

CONTEXT = {"age": 15, "placement": "home", "caregiver": "takes_part"}


def test_points_are_weight_times_rating_and_levels_follow_the_cut_points(rules, model) -> None:
    cases = [("a", {"context": CONTEXT, "factors": {"peer_delinquency": 2, "antisocial_attitudes": 1,
                                                     "strong_attachment": 1}}),
             ("b", {"context": CONTEXT, "factors": {f.id: 2 for f in rules.catalogue.factors if f.scale == "risk3"}}),
             ("c", {"context": CONTEXT})]
    risk = model.score(encode_cases(cases, rules).values[:, : len(rules.catalogue.factors)])
    assert risk.score.tolist() == [2 * 3 + 1 * 3 - 2, 68.0, 0.0]  # welfare needs weigh 0
    assert [RISK_LEVELS[v] for v in risk.level] == ["low", "high", "low"]
    assert risk.points[0, rules.catalogue.factor_index["strong_attachment"]] == -2


def test_a_scorecard_must_weigh_every_factor(rules, tmp_path) -> None:
    path = tmp_path / "card.yaml"
    path.write_text("id: x\ndescription: d\nweights: {peer_delinquncy: 1}\nlevels: {moderate: 1, high: 2}\n")
    with pytest.raises(RuleBaseError) as caught:
        load_scorecard(rules.catalogue, path)
    problems = [str(p) for p in caught.value.problems]
    assert problems[0] == ("card.yaml:3: weights.peer_delinquncy: unknown factor 'peer_delinquncy'; "
                           "did you mean 'peer_delinquency'?")
    assert problems[1] == ("card.yaml:3: weights: no weight for factor 'history_of_violence'; "
                           "give every catalogue factor a weight (0 is allowed)")


SAVRY = {"Baix": "low", "Moderat": "moderate", "Alt": "high", "Present": "present", "Absent": "absent"}
ITEMS = [f"H{i}" for i in range(1, 11)] + [f"S{i}" for i in range(1, 7)] + [f"I{i}" for i in range(1, 9)] \
    + [f"P{i}" for i in range(1, 7)]


@pytest.mark.skipif(not (SHARED_DATA / "catalonia_juvenile_recidivism.csv").exists(),
                    reason="../shared/data is not beside the repository")
def test_baseline_discriminates_on_the_catalan_savry_data(rules, model) -> None:
    """CEJFE open data (see ../shared/data/README.md): 2015 recidivism, published SAVRY-sum AUC 0.64."""
    from sklearn.metrics import roc_auc_score

    df = pd.read_csv(SHARED_DATA / "catalonia_juvenile_recidivism.csv", low_memory=False)
    columns = sorted((c for c in df.columns if c.startswith("V") and 65 <= int(c.split("_")[0][1:]) <= 94),
                     key=lambda c: int(c.split("_")[0][1:]))
    rows = df[df[columns[0]].isin(list(SAVRY))]
    cases = [("row", {"context": CONTEXT, "instruments": {"savry": {
        item: SAVRY[str(v)] for item, v in zip(ITEMS, values, strict=True) if str(v) in SAVRY}}})
        for values in rows[columns].itertuples(index=False)]
    risk = model.score(encode_cases(cases, rules).values[:, : len(rules.catalogue.factors)])
    reoffended = (rows["V115_reincidencia_2015"] == "Sí").to_numpy()
    assert len(rows) == 858
    assert round(roc_auc_score(reoffended, risk.score), 2) == 0.65
    rates = [reoffended[risk.level == level].mean() for level in range(len(RISK_LEVELS))]
    assert np.all(np.diff(rates) > 0.05)  # each level reoffends clearly more often than the one below


def test_shown_points_add_up_to_the_shown_score_without_minus_zero() -> None:
    from matcher.engine.risk import shown_points

    intercept, points, score = shown_points(-1.2345, [0.3333, 0.3333, 0.3334, -0.004])
    assert score == -0.24 and round(intercept + sum(points), 2) == score
    assert points[-1] == 0 and str(points[-1]) == "0.0"  # never -0
    assert shown_points(0.0, [3.0, -2.0]) == (0.0, [3.0, -2.0], 1.0)
