"""The outcome export is k-anonymous over month, sex, born abroad, age band, placement and sanction together,
with k from rules/policy.yaml that --min-group may raise but never lower."""

import csv
import datetime as dt

import pytest

from matcher import InputError, RuleBaseError
from matcher.rulebase.loading import load_rule_base
from matcher.store.export import QUASI_IDENTIFIERS
from tests.conftest import run_cli

JAN, FEB = dt.date(2025, 1, 15), dt.date(2025, 2, 15)  # followed up for 12 months before today


@pytest.fixture
def users(store):
    store.add_user(None, "admin", "admin-password", "admin")
    admin = store.login("admin", "admin-password")
    store.add_user(admin, "anna", "anna-password", "social_worker", "NORR")
    store.add_user(admin, "eva", "eva-password", "evaluator")
    return store.login("anna", "anna-password"), store.login("eva", "eva-password")


def _case(store, anna, day, placement="home", sanction="none", sex="male", periods=1) -> None:
    code = store.create_case(anna, synthetic=True, sex=sex, born_abroad=False)
    context = {"age": 15, "placement": placement, "caregiver": "takes_part", "court_sanction": sanction}
    for _ in range(periods):
        store.add_assessment(anna, code, {"context": context, "factors": {"peer_delinquency": 1}}, day)
    store.add_follow_up(anna, code, day + dt.timedelta(days=370), 0, "in_school", "none", "home")


def _rows(path):
    with path.open(encoding="utf-8", newline="") as fh:
        return list(csv.DictReader(fh))


def test_every_combination_of_the_quasi_identifiers_belongs_to_at_least_five_young_people(store, users,
                                                                                        tmp_path) -> None:
    anna, eva = users
    for _ in range(5):
        _case(store, anna, JAN)  # a group of five as it is
    _case(store, anna, FEB)  # the only one assessed in February
    for placement, n in (("hvb", 3), ("family_home", 2), ("sis_youth_home", 1)):
        for _ in range(n):
            _case(store, anna, JAN, placement)
    _case(store, anna, JAN, sanction="lsu")  # the only one in secure youth care
    _case(store, anna, JAN, sex="female")  # the only girl
    summary = store.export_outcomes(eva, tmp_path / "out.csv")
    assert str(summary) == ("12 rows written; 2 left out in groups smaller than the minimum; 0 periods not yet "
                            "followed up for 12 months; cells left blank to reach the minimum group: period_start 7, "
                            "placement 7")
    rows = _rows(tmp_path / "out.csv")
    people: dict[tuple[str, ...], set[str]] = {}
    for row in rows:
        people.setdefault(tuple(row[c] for c in QUASI_IDENTIFIERS), set()).add(row["case_id"])
    assert sorted(len(p) for p in people.values()) == [5, 7] and len(rows) == 12
    assert {row["court_sanction"] for row in rows} == {"none"} and {row["sex"] for row in rows} == {"male"}


def test_one_young_persons_many_periods_are_not_a_group(store, users, tmp_path) -> None:
    anna, eva = users
    _case(store, anna, JAN, periods=6)
    assert str(store.export_outcomes(eva, tmp_path / "out.csv")).startswith(
        "0 rows written; 6 left out in groups smaller than the minimum")


def test_min_group_can_raise_the_policy_value_but_never_lower_it(store, users, tmp_path) -> None:
    anna, eva = users
    for _ in range(5):
        _case(store, anna, JAN)
    with pytest.raises(InputError, match=r"^--min-group 3: below export_min_group 5 in rules/policy\.yaml; smaller "
                                         r"groups would make young people easier to single out\. Give 5 or more"):
        store.export_outcomes(eva, tmp_path / "out.csv", min_group=3)
    assert not (tmp_path / "out.csv").exists()
    assert str(store.export_outcomes(eva, tmp_path / "out.csv", min_group=6)).startswith("0 rows written; 5 left out")
    assert str(store.export_outcomes(eva, tmp_path / "out.csv")).startswith("5 rows written; 0 left out")


def test_the_command_refuses_a_lower_minimum_with_exit_code_2(cli_data, monkeypatch, capsys) -> None:
    assert run_cli(monkeypatch, capsys, "db", "upgrade")[0] == 0
    assert run_cli(monkeypatch, capsys, "users", "add", "admin", "--role", "admin", stdin="admin-password\n")[0] == 0
    assert run_cli(monkeypatch, capsys, "users", "add", "eva", "--role", "evaluator", "--as", "admin",
                   password="admin-password", stdin="eva-password\n")[0] == 0
    export = ("export", "outcomes", "--out", str(cli_data / "o.csv"), "--as", "eva")
    code, _, err = run_cli(monkeypatch, capsys, *export, "--min-group", "2", password="eva-password")
    assert (code, err) == (2, "matcher: --min-group 2: below export_min_group 5 in rules/policy.yaml; smaller groups "
                              "would make young people easier to single out. Give 5 or more, or ask the "
                              "methodologists to change the policy\n")
    assert run_cli(monkeypatch, capsys, *export, "--min-group", "8", password="eva-password")[0] == 0


def test_the_policy_value_is_checked(edited_rules) -> None:
    root = edited_rules("policy.yaml", "export_min_group: 5", "export_min_group: 1")
    with pytest.raises(RuleBaseError, match="export_min_group"):
        load_rule_base(root)
