"""A unit's local service catalogue as a file and as a table: validation with every problem at once, each at its
file:line and YAML path; the table and YAML round trips; a licence valid through its last day."""

import datetime as dt
import math
import re
from pathlib import Path

import pandas as pd
import pytest

from matcher import InputError
from matcher.local.catalogue import (
    FIELDS,
    CatalogueError,
    Licence,
    LocalCatalogue,
    Offer,
    catalogue_yaml,
    from_rows,
    load_catalogue,
    parse_catalogue,
    table_rows,
)
from tests.conftest import EXAMPLES

DEMO = EXAMPLES / "catalogue-DEMO.yaml"

# Seven problems, one per offer; each offer starts on the line given in the comment.
BAD = """\
unit: NORR
offers:
  - insats: fftt             # 3
    offered: true
    provider: own
  - insats: scared-straight  # 6
    offered: true
    provider: own
  - insats: pmto             # 9
    offered: true
    provider: own
    capasity: 4
  - insats: pmto             # 13
    offered: false
  - insats: mdft             # 15
    offered: true
    provider: purchased
    waiting_weeks: -2
  - insats: art              # 19
    offered: true
    provider: county
  - insats: connect          # 22
    offered: true
"""
BAD_DATE = """\
  - insats: mst              # 24
    offered: true
    provider: own
    licence:
      kind: MST licence
      valid_until: 2026-13-01
"""


def _problems(file: Path) -> list[str]:
    """The expected lines of the seven problems of BAD, at ``file``."""
    return [
        f"{file}:3: offers[0].insats: unknown insats 'fftt' (the ids are the file names in rules/interventions/); "
        f"did you mean 'fft'?",
        f"{file}:6: offers[1].insats: 'scared-straight' is a practice social services should not offer "
        f"(rules/interventions/scared-straight.yaml); list it with offered: false or remove it",
        f"{file}:12: offers[2].capasity: unknown key 'capasity'; did you mean 'capacity'?",
        f"{file}:13: offers[3].insats: 'pmto' is listed twice; keep one entry per insats",
        f"{file}:18: offers[4].waiting_weeks: Input should be greater than or equal to 0; found -2",
        f"{file}:21: offers[5].provider: Input should be 'own', 'purchased', 'region' or 'civil_society'; "
        f"found 'county'",
        f"{file}:22: offers[6]: an offered insats needs a provider, one of own, purchased, region, civil_society",
    ]


def _write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "catalogue-NORR.yaml"
    path.write_text(text, encoding="utf-8")
    return path


def test_the_demo_catalogue_loads(rules) -> None:
    catalogue = load_catalogue(DEMO, rules)
    assert catalogue.unit == "DEMO"
    assert [(o.insats, o.offered) for o in catalogue.offers] == [
        ("mst", False), ("fft", True), ("mdft", True), ("pmto", True), ("individual-cbt-skills-12-17", True),
        ("bup-referral", True), ("tfco", False), ("art", True)]
    assert catalogue.offer("mdft") == Offer(
        insats="mdft", offered=True, provider="purchased", provider_name="Behandlingsföretaget Exempel AB, syntetiskt",
        capacity=3, waiting_weeks=6, contact="intag@example.invalid", cost_per_case=140000,
        licence=Licence(kind="MDFT-utbildade behandlare", valid_until=dt.date(2099, 12, 31)))
    assert catalogue.offer("sis-homecoming") is None


def test_a_bad_catalogue_reports_every_problem_with_file_line_and_path(rules, tmp_path) -> None:
    path = _write(tmp_path, BAD)
    with pytest.raises(CatalogueError) as caught:
        load_catalogue(path, rules)
    assert str(caught.value) == "\n".join([f"7 problems in the local catalogue {path}:", *_problems(path)])
    assert [(p.line, p.path) for p in caught.value.problems] == [
        (3, "offers[0].insats"), (6, "offers[1].insats"), (12, "offers[2].capasity"), (13, "offers[3].insats"),
        (18, "offers[4].waiting_weeks"), (21, "offers[5].provider"), (22, "offers[6]")]


def test_an_impossible_date_is_located_at_its_line(rules, tmp_path) -> None:
    path = _write(tmp_path, "unit: NORR\noffers:\n" + BAD_DATE)
    with pytest.raises(CatalogueError) as caught:
        load_catalogue(path, rules)
    assert str(caught.value) == (f"1 problem in the local catalogue {path}:\n"
                                 f"{path}:8: offers[0].licence.valid_until: Input should be a valid date or datetime, "
                                 f"month value is outside expected range of 1-12; found '2026-13-01'")


def test_an_impossible_date_is_reported_together_with_the_other_problems(rules, tmp_path) -> None:
    path = _write(tmp_path, BAD + BAD_DATE)
    with pytest.raises(CatalogueError) as caught:
        load_catalogue(path, rules)
    assert str(caught.value) == "\n".join([
        f"8 problems in the local catalogue {path}:", *_problems(path),
        f"{path}:29: offers[7].licence.valid_until: Input should be a valid date or datetime, month value is outside "
        f"expected range of 1-12; found '2026-13-01'"])


def test_an_offered_insats_without_places_is_refused(rules, tmp_path) -> None:
    path = _write(tmp_path, "unit: NORR\noffers:\n  - insats: fft\n    offered: true\n    provider: own\n"
                            "    capacity: 0\n  - insats: mst\n    offered: false\n    capacity: 0\n")
    with pytest.raises(CatalogueError) as caught:
        load_catalogue(path, rules)
    assert str(caught.value).splitlines()[1] == (
        f"{path}:3: offers[0]: an offered insats needs at least one place; while it has none, list it with offered: "
        f"false")
    assert len(caught.value.problems) == 1  # an insats not offered may say it has no places


def test_a_missing_file_and_a_file_that_is_not_a_mapping(rules, tmp_path) -> None:
    missing = tmp_path / "nowhere.yaml"
    with pytest.raises(InputError, match=f"^{re.escape(str(missing))}: no such catalogue file$"):
        load_catalogue(missing, rules)
    listed = _write(tmp_path, "- insats: fft\n")
    with pytest.raises(CatalogueError) as caught:
        load_catalogue(listed, rules)
    assert str(caught.value) == (f"1 problem in the local catalogue {listed}:\n"
                                 f"{listed}:1: expected a mapping with the keys unit and offers, found list")


# ------------------------------------------------------------------ the app's table


def test_table_rows_flatten_the_licence_into_two_columns(rules) -> None:
    rows = table_rows(load_catalogue(DEMO, rules))
    assert list(rows[1]) == list(FIELDS)
    assert rows[1] == {"insats": "fft", "offered": True, "provider": "own",
                       "provider_name": "Familjeteamet, syntetiskt", "capacity": 8, "waiting_weeks": 0,
                       "contact": "familjeteamet@example.invalid", "cost_per_case": 65000,
                       "licence_kind": "FFT-certifiering", "licence_valid_until": dt.date(2026, 6, 30), "note": ""}
    assert rows[6] == {"insats": "tfco", "offered": False, "provider": None, "provider_name": "", "capacity": None,
                       "waiting_weeks": None, "contact": "", "cost_per_case": None, "licence_kind": "",
                       "licence_valid_until": None, "note": ""}


@pytest.mark.parametrize("dates", ["date objects", "datetime64 column"])
def test_table_data_as_pandas_gives_it_round_trips(rules, dates) -> None:
    """A DataFrame turns missing numbers into NaN (and the ints into floats), a date column into NaT."""
    catalogue = load_catalogue(DEMO, rules)
    frame = pd.DataFrame(table_rows(catalogue), columns=list(FIELDS))
    if dates == "datetime64 column":
        frame["licence_valid_until"] = pd.to_datetime(frame["licence_valid_until"])
    records = frame.to_dict("records")
    assert math.isnan(records[0]["capacity"]) and records[1]["capacity"] == 8.0  # what the table really holds
    back = parse_catalogue(from_rows("DEMO", records), rules)
    assert back == catalogue
    assert table_rows(back) == table_rows(catalogue)


def test_empty_cells_are_left_out_so_the_defaults_apply(rules) -> None:
    row = {"insats": "pmto", "offered": True, "provider": "own", "provider_name": " ", "capacity": float("nan"),
           "waiting_weeks": float("nan"), "contact": "", "cost_per_case": None, "licence_kind": "",
           "licence_valid_until": pd.NaT, "note": ""}
    assert from_rows("NORR", [row]) == {"unit": "NORR", "offers": [{"insats": "pmto", "offered": True,
                                                                    "provider": "own"}]}
    assert parse_catalogue(from_rows("NORR", [row]), rules) == LocalCatalogue(
        unit="NORR", offers=[Offer(insats="pmto", offered=True, provider="own")])


def test_table_problems_are_placed_by_yaml_path(rules) -> None:
    rows = [{"insats": "fft", "offered": True, "provider": "own", "licence_kind": "FFT-certifiering",
             "licence_valid_until": pd.NaT},
            {"insats": "fft", "offered": False}]
    with pytest.raises(CatalogueError) as caught:
        parse_catalogue(from_rows("NORR", rows), rules, "Lokal katalog")
    assert str(caught.value) == ("2 problems in the local catalogue Lokal katalog:\n"
                                 "Lokal katalog: offers[0].licence.valid_until: Input should be a valid date; "
                                 "found None\n"
                                 "Lokal katalog: offers[1].insats: 'fft' is listed twice; keep one entry per insats")


# ------------------------------------------------------------------ the file to edit, the licence


def test_catalogue_yaml_loads_back_to_an_equal_catalogue(rules, tmp_path) -> None:
    catalogue = load_catalogue(DEMO, rules)
    text = catalogue_yaml(catalogue)
    assert text.startswith("# Local service catalogue: what this unit offers (matcher catalogue import FILE "
                           "--reason ...).\n")
    assert "- insats: tfco\n  offered: false\n" in text  # defaults are left out
    assert load_catalogue(_write(tmp_path, text), rules) == catalogue
    empty = LocalCatalogue(unit="NORR")
    assert catalogue_yaml(empty).endswith("unit: NORR\noffers: []\n")
    assert load_catalogue(_write(tmp_path, catalogue_yaml(empty)), rules) == empty


def test_a_licence_is_valid_through_its_last_day() -> None:
    licensed = Offer(insats="mst", offered=True, provider="own",
                     licence=Licence(kind="MST licence", valid_until=dt.date(2026, 6, 30)))
    assert licensed.licensed(dt.date(2026, 6, 29))
    assert licensed.licensed(dt.date(2026, 6, 30))
    assert not licensed.licensed(dt.date(2026, 7, 1))
    assert not Offer(insats="mst", offered=True, provider="own").licensed(dt.date(2000, 1, 1))


def test_a_missing_provider_and_no_places_are_reported_with_the_offers_other_problems(rules, tmp_path) -> None:
    path = _write(tmp_path, "unit: NORR\noffers:\n  - insats: pmto\n    offered: true\n    capasity: 4\n"
                            "  - insats: mdft\n    offered: true\n    provider: own\n    capacity: 0\n"
                            "    waiting_weeks: .nan\n")
    with pytest.raises(CatalogueError) as caught:
        load_catalogue(path, rules)
    assert str(caught.value) == "\n".join([
        f"4 problems in the local catalogue {path}:",
        f"{path}:3: offers[0]: an offered insats needs a provider, one of own, purchased, region, civil_society",
        f"{path}:5: offers[0].capasity: unknown key 'capasity'; did you mean 'capacity'?",
        f"{path}:6: offers[1]: an offered insats needs at least one place; while it has none, list it with offered: "
        f"false",
        f"{path}:10: offers[1].waiting_weeks: Input should be a finite number; found nan"])
