"""The plan document, the SIP an SIG meeting works from (issues 13, 17, 18): act-first actions first, what each
reader may see, user text kept in its cell, and pages a person can read (rendered to PNG)."""

from __future__ import annotations

import dataclasses
import datetime as dt
import re
import shutil
import subprocess
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from matcher import encode_cases, explain, match
from matcher.documents.plan import plan_pdf, sip_lines
from matcher.store.consents import CATEGORIES, Coverage
from matcher.store.homecoming import HomecomingPartInput, HomecomingView
from matcher.store.plans import PlanItemInput, SharedItem
from matcher.store.sig import MeetingView, Report, Task

DAY = dt.date(2026, 12, 3)
VERSION = {"rule_base": "sha256:0123456789abcdef0123", "model": "baseline-scorecard-1",
           "evidence_snapshot": "2026-11-22"}


def _threatened(rules, model, lang: str) -> dict:
    case = {"context": {"age": 16, "placement": "home", "caregiver": "takes_part", "threat_situation": True},
            "factors": {"peer_delinquency": 2}}
    return explain(match(encode_cases([("c", case)], rules), rules, model, 1), 0, lang)


def _cover(agency: str, *shown: str) -> dict[str, Coverage]:
    return {c: Coverage(agency, c, c in shown, ("guardian", "youth") if c in shown else ("guardian",), DAY)
            for c in CATEGORIES}


def _view(goal: str = "närvaro 90 %", view: str = "vill bo hemma", audience: str | None = None,
          **changes) -> MeetingView:
    items = [PlanItemInput("mst", "socialtjanst", "färre konflikter", DAY, DAY + dt.timedelta(days=90), "active"),
             PlanItemInput("school-support", "skola", goal, DAY, DAY + dt.timedelta(days=60)),
             PlanItemInput("school-support", "polis", "kontakt varje vecka", DAY, DAY + dt.timedelta(days=30))]
    tasks = (Task(SharedItem(items[0], True, (), DAY), None),
             Task(SharedItem(items[1], True, ("guardian", "youth"), DAY),
                  Report(False, "mentorn var sjuk", DAY, "sara")),
             Task(SharedItem(items[2], False, ("guardian",), DAY), None))
    full = MeetingView(
        code="C-1", synthetic=True, on=DAY, audience=audience, shown=frozenset(CATEGORIES),
        coverage={"skola": _cover("skola", "plan_items", "goals"), "polis": _cover("polis")}, tasks=tasks,
        youth_goals="klara nian", youth_view=view, guardian_view="vill ha stöd",
        risk={"level": "high", "drivers": ["peer_delinquency"]}, needs=("peer_delinquency",), act_first=(),
        changes=(), decisions=({"intervention": "mst", "outcome": "overridden", "reason": "finns i kommunen",
                                "decided_at": dt.datetime(2026, 12, 2, 23, 30, tzinfo=dt.UTC), "decided_by": "anna"},),
        homecoming=HomecomingView("Ungdomshemmet", DAY + dt.timedelta(weeks=3),
                                  (HomecomingPartInput("school", "skola", "plats i nian", DAY),)),
        coordinator="kim", last_meeting=DAY - dt.timedelta(days=14), next_meeting=DAY + dt.timedelta(days=14),
        version=VERSION)
    return dataclasses.replace(full, **changes)


def test_act_first_comes_before_the_plan_items_in_swedish_whatever_language_it_was_saved_in(rules, model) -> None:
    saved = _threatened(rules, model, "en")
    lines = sip_lines(_view(act_first=tuple(saved["act_first"])), rules, DAY)
    heading = lines.index("## Gör först – före alla insatser")
    assert heading < lines.index("## Risknivå: hög") < lines.index("## Vem gör vad och när")
    threat = next(a.model for a in rules.act_first if a.model.id == "threat")
    assert lines[heading + 2].startswith(f"- {threat.trigger.sv} {threat.action.sv} Vem: {threat.who.sv}")
    assert plan_pdf(lines).startswith(b"%PDF")


def test_the_sip_has_every_part_an_sig_meeting_works_from(rules) -> None:
    text = "\n".join(sip_lines(_view(), rules, DAY))
    assert text.startswith("# Samordnad individuell plan (SIP), ärende C-1 (syntetiskt exempel)\n")
    for expected in (
            "- Samordnare: kim", "- Senaste SIG-möte: 2026-11-19", "- Nästa SIG-möte: 2026-12-17",
            "- Nästa uppföljning: 2027-01-02",  # the earliest follow-up of a planned or ongoing item
            "## Risknivå: hög", "Det som väger tyngst: kriminella kamrater.",
            "- Den unges synpunkter: vill bo hemma", "- Vårdnadshavarnas synpunkter: vill ha stöd",
            "- Den unges egna mål: klara nian",
            "| Stödinsatser i skolan | skolan | närvaro 90 % | 2026-12-03 | 2027-02-01 | planerad | "
            "inte klar – mentorn var sjuk (sara, 2026-12-03) |",
            "- 1 insats(er) hos polisen: inget giltigt samtycke från vårdnadshavare omfattar polisen den 2026-12-03",
            "| Skola | skolan | plats i nian | 2026-12-03 | nej | - |",
            "- Sysselsättning saknas i hemgångsplanen: ingen ansvarig, inget mål och inget datum. Utskrivningen är "
            "2026-12-24.",
            "Beslutat av anna den 2026-12-03.",  # 23:30 UTC on 2 December is the next day in Sweden
            "| Multisystemisk terapi (MST) | valt i stället | finns i kommunen |",
            "- skolan ser: insatserna i planen som rör myndigheten, den unges mål",
            "- polisen: inget giltigt samtycke – ser ingenting av ärendet",
            "Version: regelbas 01234567, modell baseline-scorecard-1, evidensläge 2026-11-22",
            "Den unge: ____", "Vårdnadshavare: ____", "Samordnare (socialtjänsten): ____", "Skolan: ____"):
        assert expected in text, expected
    assert "Polisen: ____" not in text  # an agency that may not see the plan does not sign it


def test_a_partners_copy_holds_only_what_that_partner_may_see(rules) -> None:
    own = _view().tasks[1]
    copy = _view(audience="skola", shown=frozenset({"plan_items", "goals"}), tasks=(own,),
                 coverage={"skola": _cover("skola", "plan_items", "goals")}, youth_view=None, guardian_view=None,
                 risk=None, needs=None, decisions=(),
                 withheld=("views", "follow_up", "assessment", "risk_level", "act_first"))
    lines = sip_lines(copy, rules, DAY)
    text = "\n".join(lines)
    assert lines[2] == "Kopia för skolan: innehåller bara det som samtycket omfattar för skolan den 2026-12-03."
    for absent in ("Risknivå", "synpunkter", "Behov enligt", "Beslut och skäl", "polisen", "färre konflikter",
                   "saknas i hemgångsplanen", "Multisystemisk"):
        assert absent not in text, absent
    assert "| Stödinsatser i skolan | skolan | närvaro 90 % |" in text
    assert "| Skola | skolan | plats i nian | 2026-12-03 | nej | - |" in text  # its own part of the homecoming


def test_user_text_stays_in_its_cell_and_line_and_reads_as_written(rules) -> None:
    goal = "färre konflikter | fler skoldagar *varje* vecka <b>"
    lines = sip_lines(_view(goal, "vill bo hemma\n# inte en rubrik\n- inte en punkt"), rules, DAY)
    row = next(line for line in lines if line.startswith("| Stödinsatser i skolan"))
    cells = [re.sub(r"\\(.)", r"\1", c.strip()) for c in re.split(r"(?<!\\)\|", row.strip().strip("|"))]
    assert len(cells) == 7 and cells[2] == goal
    view = next(line for line in lines if line.startswith("- Den unges synpunkter"))
    assert view == "- Den unges synpunkter: vill bo hemma # inte en rubrik - inte en punkt"  # one line, no heading
    assert plan_pdf(lines).startswith(b"%PDF")


def test_a_goal_of_100000_characters_is_printed_in_full_after_the_table(rules) -> None:
    for goal in ("x" * 100_000, "ord " * 25_000):
        pdf = plan_pdf(sip_lines(_view(goal), rules, DAY))
        assert pdf.startswith(b"%PDF") and pdf.count(b"/Type /Page\n") >= 15  # about 5,000 characters a page


@pytest.mark.skipif(shutil.which("pdftoppm") is None, reason="pdftoppm (poppler-utils) is not installed")
def test_the_pages_render_as_a_person_reads_them(rules, tmp_path: Path) -> None:
    """Each page rendered to PNG (kept in the test's folder to look at), with ink on it; the two pages of the
    full SIP break between sections, never leaving a heading alone at the foot of a page."""
    import numpy as np
    from PIL import Image

    lines = sip_lines(_view(), rules, DAY)
    (tmp_path / "sip.pdf").write_bytes(plan_pdf(lines))
    subprocess.run(["pdftoppm", "-r", "50", "-png", str(tmp_path / "sip.pdf"), str(tmp_path / "page")], check=True)
    pages = sorted(tmp_path.glob("page-*.png"))
    assert len(pages) == 2
    for page in pages:
        ink = np.asarray(Image.open(page).convert("L")) < 128
        assert ink.sum() > 2_000, f"{page.name} is (nearly) blank"
        assert ink[: ink.shape[0] // 12].any(), f"{page.name} starts with an empty band"


@settings(max_examples=25, deadline=None)
@given(goal=st.text(max_size=300), view=st.text(max_size=300), why=st.text(max_size=300))
def test_any_text_people_write_keeps_the_sip_whole(rules, goal: str, view: str, why: str) -> None:
    """Whatever is typed into a goal, a view or a report (control characters, emoji, table and Markdown
    signs) stays in its own line or cell, and the PDF is written."""
    base = _view(goal, view)
    tasks = (base.tasks[0], dataclasses.replace(base.tasks[1], report=Report(False, why, DAY, "sara")))
    lines = sip_lines(dataclasses.replace(base, tasks=tasks), rules, DAY)
    row = next(line for line in lines if line.startswith("| Stödinsatser i skolan"))
    assert len(re.split(r"(?<!\\)\|", row.strip().strip("|"))) == 7
    assert sum(line.startswith("- Den unges synpunkter:") for line in lines) == 1
    assert plan_pdf(lines).startswith(b"%PDF")
