"""The effects report's texts: Swedish numbers and signs, suppressed cells in words, the synthetic label on the
chart, and the methodologists' one-line local context."""

import datetime as dt

from matcher.documents.effects_report import (
    context_line,
    effects_chart,
    effects_markdown,
    estimate_text,
    table_rows,
)
from matcher.local.effects import Cell, EffectsReport, Estimate, InsatsEffects

KEYS = [(name, months) for name in ("reoffended", "school_or_work", "substance_use", "placed", "youth_rating")
        for months in (6, 12)]


def _report(synthetic: int) -> EffectsReport:
    shown = {key: Estimate(0.31, 0.44, -0.21, -0.05, 37, 120) for key in KEYS}
    shown[("youth_rating", 12)] = Estimate(6.25, 5.8, -0.2, 1.1, 37, 120)
    shown[("placed", 6)] = None
    cells = (Cell("mst", "all", 37, 120, False, shown),
             Cell("mst", "risk:high", 4, 60, True, dict.fromkeys(KEYS)))
    return EffectsReport("NORR", dt.date(2025, 1, 1), dt.date(2025, 12, 31), 157, synthetic, 5, 200,
                         (InsatsEffects("mst", 37, 0.125, cells), InsatsEffects("fft", 3, None, ())))


def test_an_estimate_reads_as_shares_and_percentage_points() -> None:
    estimate = Estimate(0.31, 0.44, -0.21, -0.05, 37, 120)
    assert estimate_text("reoffended", estimate, "sv", 5) == "31 % mot 44 % (−13; −21 till −5)"
    assert estimate_text("reoffended", estimate, "en", 5) == "31 % vs 44 % (−13; −21 to −5)"
    assert estimate_text("youth_rating", Estimate(6.25, 5.8, -0.2, 1.1, 37, 120), "sv", 5) == \
        "6,2 mot 5,8 (+0,5; −0,2 till +1,1)"
    assert estimate_text("placed", None, "sv", 5) == "färre än 5 uppföljda"


def test_the_table_names_groups_in_words_and_suppresses_small_cells(rules) -> None:
    report = _report(0)
    header, every, high = table_rows(report, rules, report.insatser[0], 12, "sv")
    assert header == ["Grupp", "Antal (fick / jämförda)", "Nytt brott", "I skola eller arbete",
                      "Skadligt bruk eller beroende", "Placerad utanför hemmet", "Den unges skattning (1–10)"]
    assert every[:3] == ["Alla", "37 / 120", "31 % mot 44 % (−13; −21 till −5)"]
    assert high == ["Risknivå hög", "färre än 5, visas inte", "", "", "", "", ""]
    text = effects_markdown(report, rules, "sv")
    assert "Fick insatsen: 37 unga. Utan överlapp och därför inte med: 12 % av alla unga under perioden." in text
    assert "Färre än 5 unga fick insatsen, eller färre än 5 fick den inte. Visas inte" in text
    assert "SYNTETISKA" not in text


def test_synthetic_data_is_labelled_on_the_chart_and_in_the_context_line(rules) -> None:
    assert effects_chart(_report(157), rules, "sv") != effects_chart(_report(0), rules, "sv")
    assert context_line(_report(157), "mst", "sv") == (
        "Lokalt (NORR, 2025-01-01 – 2025-12-31): n = 37, nytt brott inom 12 mån 31 % mot 44 % justerat (jämförda: "
        "120), skillnad i intervallet −21 till −5 procentenheter. Observationsdata, inte bevis för effekt, och "
        "påverkar inte rangordningen. SYNTETISKA DEMODATA")
    assert context_line(_report(0), "fft", "en") == (
        "Locally (NORR, 2025-01-01 – 2025-12-31): too few young people (fewer than 5 on a side) to show anything.")
