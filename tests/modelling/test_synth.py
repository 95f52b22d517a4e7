"""The synthetic generator: labelled synthetic, reproducible, known outcome model, and its command."""

import pandas as pd

from matcher.cli import main
from matcher.modelling.synth import COEFFICIENTS, TARGET, synthetic_training


def test_same_seed_same_rows_and_every_row_is_labelled_synthetic(rules) -> None:
    a, b = synthetic_training(rules, 500, seed=3), synthetic_training(rules, 500, seed=3)
    assert a.equals(b)
    assert a["synthetic"].all() and a["case_id"].str.startswith("SYN-3-").all()


def test_prevalences_and_the_outcome_follow_the_documented_process(rules) -> None:
    frame = synthetic_training(rules, 20000, seed=1)
    assert 0.33 < frame[TARGET].mean() < 0.40
    assert 0.025 < frame["peer_delinquency"].isna().mean() < 0.035  # 3% not rated
    rated = frame["peer_delinquency"].dropna()
    assert 0.37 < (rated >= 1).mean() < 0.43 and 0.13 < (rated == 2).mean() < 0.17
    by_rating = frame.groupby("antisocial_attitudes")[TARGET].mean()
    assert by_rating.is_monotonic_increasing  # the strongest known coefficient shows in the raw rates
    abroad = frame.groupby("born_abroad")["community_disorganization"].mean()
    assert abroad["yes"] > abroad["no"] + 0.2  # the documented proxy correlation
    assert set(COEFFICIENTS) <= set(frame.columns)


def test_synth_command_writes_a_training_file(tmp_path, capsys) -> None:
    out = tmp_path / "syn.csv"
    assert main(["synth", "--n", "50", "--seed", "2", "--out", str(out)]) == 0
    assert capsys.readouterr().out == f"{out}: 50 synthetic rows (seed 2); target reoffended_12m\n"
    frame = pd.read_csv(out)
    assert len(frame) == 50 and frame["synthetic"].all()
