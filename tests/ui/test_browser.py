"""A real browser (Debian chromium driven by Playwright) through the main flows: the social worker's
login -> case -> assessment -> recommendations (with what the unit offers) -> decision -> plan export; a
methodologist reading in a local catalogue file; a manager's service-gap report with its downloads; the evaluator's
promotion and retirement of the model on screen.
Screenshots go to test-artefacts/ (look at them: a page that is present but unreadable is a defect)."""

import os
import re
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest

from matcher.modelling.registry import read_registry
from tests.conftest import ROOT
from tests.ui.apptest import COPY, PASSWORD, SHIPPED, second_candidate

CHROMIUM = "/usr/bin/chromium"
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
        "--disable-component-update", "--disable-sync", "--disable-quic", "--no-first-run"]
IDLE = "[data-testid=stApp][data-test-connection-state=CONNECTED][data-test-script-state=notRunning]"
ARTEFACTS = ROOT / "test-artefacts"
HMAC_KEY = "ef" * 32

pytestmark = pytest.mark.skipif(not os.path.exists(CHROMIUM), reason="Debian chromium is not installed")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextmanager
def _app(folder: Path) -> Iterator[str]:
    """The app served by Streamlit on a free local port, its demo database in ``folder``; the models folder is the
    test's (INSATSMATCH_MODELS)."""
    port = _free_port()
    streamlit = shutil.which("streamlit", path=str(Path(sys.executable).parent))
    env = {**os.environ, "INSATSMATCH_DATA": str(folder), "INSATSMATCH_DEMO_PASSWORD": PASSWORD,
           "INSATSMATCH_HMAC_KEY": HMAC_KEY, "INSATSMATCH_CHECKPOINTS": str(folder / "audit-checkpoints.jsonl"),
           "INSATSMATCH_DEMO_HISTORIES": "0"}  # the effects report's histories take seconds; tests/ui/test_effects.py
    env.pop("DATABASE_URL", None)
    env.pop("INSATSMATCH_RULES", None)
    proc = subprocess.Popen([streamlit, "run", str(ROOT / "app.py"), "--server.port", str(port),
                             "--server.address=127.0.0.1", "--server.headless=true",
                             "--browser.gatherUsageStats=false"], cwd=ROOT, env=env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}"
    try:
        for _ in range(120):
            try:
                urllib.request.urlopen(f"{url}/_stcore/health", timeout=1)
                break
            except OSError:
                time.sleep(0.5)
        else:
            pytest.fail("the app did not start within 60 s")
        yield url
    finally:
        proc.terminate()
        proc.wait(timeout=20)


@contextmanager
def _browser(url: str) -> Iterator[Any]:
    from playwright.sync_api import sync_playwright

    ARTEFACTS.mkdir(exist_ok=True)
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        context = browser.new_context(viewport={"width": 1280, "height": 2200}, accept_downloads=True)
        page = context.new_page()
        page.goto(url)
        page.wait_for_selector(IDLE, timeout=90_000)
        yield page
        browser.close()


@pytest.fixture(scope="module")
def server(tmp_path_factory) -> Iterator[str]:
    with _app(tmp_path_factory.mktemp("browser-demo")) as url:
        yield url


@pytest.fixture
def page(server: str) -> Iterator[Any]:
    with _browser(server) as page:
        yield page


def _shot(page, name: str) -> None:
    page.wait_for_selector(IDLE)
    page.evaluate("document.querySelector('[data-testid=stMain]').scrollTo(0, 0)")
    page.screenshot(path=str(ARTEFACTS / f"{name}.png"))


def _login(page, user: str = "anna") -> None:
    page.get_by_label("Användarnamn").fill(user)
    page.get_by_label("Lösenord").fill(PASSWORD)
    page.get_by_role("button", name="Logga in").click()


def test_the_social_workers_main_flow_in_a_browser(page) -> None:
    from playwright.sync_api import expect

    _shot(page, "01-login")
    _login(page)
    expect(page.get_by_role("heading", name="Ärenden")).to_be_visible(timeout=60_000)
    _shot(page, "02-cases")
    page.get_by_role("button", name="Öppna", exact=True).click()
    expect(page.get_by_role("heading", name="Bedömning")).to_be_visible(timeout=60_000)
    _shot(page, "03-assessment")
    page.get_by_role("button", name="Spara bedömning och visa rekommendationer").first.click()
    expect(page.get_by_role("heading", name="Rekommenderade insatser")).to_be_visible(timeout=60_000)
    expect(page.get_by_text("Risknivå: hög", exact=False).first).to_be_visible()
    # the first screen: the risk level with what weighs most, each insats with its main reason and local offer
    expect(page.get_by_text("Väger tyngst:", exact=False)).to_be_visible()
    expect(page.get_by_text("erbjuds inte lokalt").first).to_be_visible()
    expect(page.get_by_text("Närmaste alternativ som erbjuds lokalt:", exact=False).first).to_be_visible()
    _shot(page, "04-recommendations")
    # one click away: the details of an insats, and the scores side by side with a legend
    page.get_by_text("Varför, evidens och tillgång").first.click()
    expect(page.get_by_text("Multisystemisk terapi (MST) erbjuds inte i DEMO.", exact=False)).to_be_visible()
    page.get_by_text("Jämför poängen för de rekommenderade insatserna").click()
    expect(page.get_by_test_id("stVegaLiteChart").first).to_be_visible()
    _shot(page, "04b-recommendation-details")
    expect(page.get_by_text("Beslut i kraft:", exact=False)).to_be_visible()  # the seeded case has a decision
    page.get_by_text("Fatta ett nytt beslut som ersätter det här").click()
    choices = page.get_by_test_id("stRadio").filter(has_text="beviljas")
    for n in range(choices.count()):  # nothing is chosen beforehand: grant each one explicitly
        choices.nth(n).locator("label").filter(has_text="beviljas").click()
    ways = page.get_by_label("Hur ska insatsen ges?", exact=False)  # for each one the unit does not offer
    for n in range(ways.count()):
        ways.nth(n).fill("Köps från grannkommunen.")
    page.get_by_role("button", name="Spara beslut och gå till planen").click()
    expect(page.get_by_role("heading", name="Plan och samtycke")).to_be_visible(timeout=60_000)
    expect(page.get_by_text("Vad varje myndighet får se")).to_be_visible()
    _shot(page, "05-plan")
    with page.expect_download() as markdown:
        page.get_by_role("button", name="Ladda ner planen (Markdown)").click()
    text = Path(markdown.value.path()).read_text(encoding="utf-8")
    assert text.startswith("# Samordnad individuell plan (SIP), ärende C-")
    assert "(syntetiskt exempel)" in text.splitlines()[0]
    assert re.search(r"^Version: regelbas [0-9a-f]{8}, modell ", text, re.MULTILINE)  # the short stamp
    with page.expect_download() as pdf:
        page.get_by_role("button", name="Ladda ner planen (PDF)").click()
    saved = ARTEFACTS / "plan.pdf"
    pdf.value.save_as(saved)
    assert saved.read_bytes().startswith(b"%PDF-")


def test_a_deep_link_before_login_shows_only_the_login(page, server: str) -> None:
    from playwright.sync_api import expect

    page.goto(f"{server}/cases")
    page.wait_for_selector(IDLE, timeout=60_000)
    expect(page.get_by_role("heading", name="Logga in")).to_be_visible()
    expect(page.get_by_text("Logga in för att öppna sidan Ärenden.")).to_be_visible()  # in Swedish, not "not found"
    expect(page.get_by_role("heading", name="Ärenden")).to_have_count(0)


def test_a_deep_link_to_another_roles_page_says_so_in_swedish(page, server: str) -> None:
    from playwright.sync_api import expect

    _login(page)
    expect(page.get_by_role("heading", name="Ärenden")).to_be_visible(timeout=60_000)
    page.goto(f"{server}/users")  # the admin's page, by its address
    page.wait_for_selector(IDLE, timeout=60_000)
    expect(page.get_by_text("Sidan Användare ingår inte i din roll.", exact=False)).to_be_visible(timeout=60_000)
    expect(page.get_by_text("Page not found")).to_have_count(0)
    _shot(page, "10-not-your-page")


def test_an_unknown_address_and_the_first_pages_own_address_open_in_swedish(page, server: str) -> None:
    from playwright.sync_api import expect

    page.goto(f"{server}/arenden")  # a typo, before login
    page.wait_for_selector(IDLE, timeout=60_000)
    expect(page.get_by_text("Det finns ingen sida med adressen /arenden. Logga in för att komma till dina sidor."))\
        .to_be_visible()
    expect(page.get_by_role("heading", name="Logga in")).to_be_visible()
    _login(page)
    expect(page.get_by_role("heading", name="Ärenden")).to_be_visible(timeout=60_000)
    page.goto(f"{server}/cases")  # the social worker's first page by its own address, as a bookmark keeps it
    page.wait_for_selector(IDLE, timeout=60_000)
    expect(page.get_by_role("heading", name="Ärenden")).to_be_visible(timeout=60_000)
    expect(page.get_by_text("Page not found")).to_have_count(0)
    page.goto(f"{server}/arenden")
    page.wait_for_selector(IDLE, timeout=60_000)
    expect(page.get_by_text("Det finns ingen sida med adressen /arenden. Här är din första sida", exact=False))\
        .to_be_visible(timeout=60_000)
    expect(page.get_by_role("heading", name="Ärenden")).to_be_visible()
    expect(page.get_by_text("Page not found")).to_have_count(0)
    _shot(page, "11-unknown-address")


def test_a_half_filled_assessment_survives_a_reload(page) -> None:
    from playwright.sync_api import expect

    _login(page)
    expect(page.get_by_role("heading", name="Ärenden")).to_be_visible(timeout=60_000)
    page.get_by_role("button", name="Öppna", exact=True).click()
    expect(page.get_by_role("heading", name="Bedömning")).to_be_visible(timeout=60_000)
    age = page.get_by_role("tabpanel", name="Formulär").get_by_role("spinbutton", name="Ålder", exact=True)
    age.fill("13")
    age.press("Enter")
    page.wait_for_timeout(1500)  # the rerun that keeps the draft starts after the key press
    page.wait_for_selector(IDLE)
    page.reload()
    page.wait_for_selector(IDLE, timeout=60_000)
    expect(page.get_by_text("Formuläret är ifyllt med ditt utkast som inte är sparat", exact=False)).to_be_visible(
        timeout=60_000)
    form = page.get_by_role("tabpanel", name="Formulär")
    expect(form.get_by_role("spinbutton", name="Ålder", exact=True)).to_have_value("13")
    _shot(page, "11-draft-after-reload")


def test_a_methodologist_reads_in_a_catalogue_file(page, tmp_path) -> None:
    from playwright.sync_api import expect

    _login(page, "mona")
    expect(page.get_by_role("heading", name="Regelbas")).to_be_visible(timeout=60_000)
    page.get_by_role("link", name="Lokal katalog").click()
    expect(page.get_by_role("heading", name="Program som kräver licens eller certifiering")).to_be_visible(
        timeout=60_000)
    _shot(page, "06-catalogue")
    changed = tmp_path / "katalog.yaml"
    changed.write_text((ROOT / "examples" / "catalogue-DEMO.yaml").read_text(encoding="utf-8")
                       .replace("waiting_weeks: 3", "waiting_weeks: 8"), encoding="utf-8")
    page.locator("input[type=file]").set_input_files(str(changed))
    reasons = page.get_by_label("Varför ändras katalogen?")
    expect(reasons).to_have_count(2, timeout=60_000)  # the file's own reason field appears once it is read
    reasons.last.fill("Längre kö till föräldrastödet")
    page.get_by_role("button", name="Spara filen som en ny version").click()
    expect(page.get_by_text("Katalogen är sparad som version 2.")).to_be_visible(timeout=60_000)
    _shot(page, "07-catalogue-saved")


def test_a_manager_reads_the_service_gap_report_and_downloads_it(page) -> None:
    from playwright.sync_api import expect

    _login(page, "maja")
    page.get_by_role("link", name="Tjänstegap").click()
    expect(page.get_by_role("heading", name="Tjänstegap, enhet DEMO", exact=False)).to_be_visible(timeout=60_000)
    expect(page.get_by_test_id("stImage").first).to_be_visible()
    _shot(page, "08-service-gaps")
    with page.expect_download() as csv:
        page.get_by_role("button", name="Ladda ner rapporten (CSV)").click()
    header = Path(csv.value.path()).read_text(encoding="utf-8").splitlines()[0]
    assert header.startswith("\ufeffinsats;name;recommended;offered;waiting;not_offered;unlisted")  # Swedish Excel
    with page.expect_download() as pdf:
        page.get_by_role("button", name="Ladda ner rapporten (PDF)").click()
    saved = ARTEFACTS / "service-gaps.pdf"
    pdf.value.save_as(saved)
    assert saved.read_bytes().startswith(b"%PDF-")


def test_a_threat_puts_the_act_first_action_above_everything(page) -> None:
    """Issue 13: a threat in the assessment gives the police and safety action first on the recommendations page,
    before the risk level and any insats."""
    from playwright.sync_api import expect

    _login(page)
    expect(page.get_by_role("heading", name="Ärenden")).to_be_visible(timeout=60_000)
    page.get_by_role("button", name="Öppna", exact=True).click()
    expect(page.get_by_role("heading", name="Bedömning")).to_be_visible(timeout=60_000)
    page.get_by_role("tabpanel", name="Formulär").get_by_text("Hot eller otrygg säkerhetssituation", exact=True).click()
    page.get_by_role("button", name="Spara bedömning och visa rekommendationer").first.click()
    act_first = page.get_by_role("heading", name="Gör först – före alla insatser:")
    expect(act_first).to_be_visible(timeout=60_000)
    expect(page.get_by_text("Kontakta polisen direkt", exact=False).first).to_be_visible()
    risk = page.get_by_text("Risknivå:", exact=False).first
    assert act_first.bounding_box()["y"] < risk.bounding_box()["y"]
    _shot(page, "09-act-first")


def test_a_reload_keeps_the_session_and_logging_out_ends_it(page, server: str) -> None:
    from playwright.sync_api import expect

    expect(page.get_by_text("DEMO – syntetiska uppgifter", exact=False)).to_be_visible()
    expect(page.locator("code", has_text=PASSWORD).first).to_be_visible()  # demo mode shows the passwords
    _login(page)
    expect(page.get_by_role("heading", name="Ärenden")).to_be_visible(timeout=60_000)
    cookie = next(c for c in page.context.cookies() if c["name"] == "insatsmatch_session")
    assert cookie["sameSite"] == "Strict" and "." in cookie["value"]
    page.reload()
    page.wait_for_selector(IDLE, timeout=60_000)
    expect(page.get_by_role("heading", name="Ärenden")).to_be_visible(timeout=60_000)  # still signed in
    expect(page.get_by_text("DEMO – syntetiska uppgifter", exact=False)).to_be_visible()
    _shot(page, "06-after-reload")
    page.get_by_role("button", name="Logga ut").click()
    expect(page.get_by_role("heading", name="Logga in")).to_be_visible(timeout=60_000)
    # the old cookie, replayed in a fresh browser context, opens nothing: the session ended on the server
    replay = page.context.browser.new_context()
    replay.add_cookies([cookie])
    again = replay.new_page()
    again.goto(server)
    again.wait_for_selector(IDLE, timeout=60_000)
    expect(again.get_by_role("heading", name="Logga in")).to_be_visible()
    expect(again.get_by_role("heading", name="Ärenden")).to_have_count(0)
    replay.close()


def test_the_sig_meeting_for_the_coordinator(page) -> None:
    from playwright.sync_api import expect

    _login(page, "kim")
    expect(page.get_by_role("heading", name="Ärenden")).to_be_visible(timeout=60_000)
    page.get_by_role("button", name="Öppna", exact=True).click()  # the first seeded case is in SIG
    expect(page.get_by_role("heading", name="Bedömning")).to_be_visible(timeout=60_000)
    page.get_by_role("link", name="SIG-möte").click()
    expect(page.get_by_role("heading", name="SIG-möte")).to_be_visible(timeout=60_000)
    expect(page.get_by_text("skolan ser: insatserna i planen som rör myndigheten", exact=False)).to_be_visible()
    expect(page.get_by_text("Vem gör vad och när")).to_be_visible()
    _shot(page, "20-sig-coordinator")


def test_the_sig_meeting_for_the_schools_partner(page) -> None:
    from playwright.sync_api import expect

    _login(page, "sara")
    expect(page.get_by_role("heading", name="SIG-möte")).to_be_visible(timeout=60_000)  # its only page
    expect(page.get_by_text("Det här ser skolan enligt samtycket:", exact=False)).to_be_visible()
    expect(page.get_by_text("Risknivå:", exact=False)).to_have_count(0)
    _shot(page, "21-sig-partner")


def test_after_a_promotion_the_models_page_keeps_the_model_and_retires_exactly_that_one(models_copy, monkeypatch,
                                                                                        tmp_path) -> None:
    # Issue 16's bug, as a browser shows it: the browser sends the selector's choice back as the label it was shown.
    # When the label carried the status, the promotion changed it ("kandidat" -> "aktiv"), the next interaction's
    # label matched no option, and the page fell back to the default model: the retire form, the same for every
    # model, retired that one (the other candidate) instead of the model on screen.
    from playwright.sync_api import expect

    monkeypatch.setenv("INSATSMATCH_HMAC_KEY", HMAC_KEY)  # the app's key: the copy's entry is signed with it
    second_candidate(models_copy)
    with _app(tmp_path / "demo") as url, _browser(url) as page:
        _login(page, "eva")
        page.get_by_role("link", name="Modeller").first.click()
        expect(page.get_by_role("heading", name=f"Modellkort: {COPY}")).to_be_visible(timeout=60_000)
        page.get_by_test_id("stSelectbox").first.click()
        page.get_by_role("option").filter(has_text=SHIPPED).click()
        expect(page.get_by_role("heading", name=f"Modellkort: {SHIPPED}")).to_be_visible(timeout=60_000)
        page.wait_for_selector(IDLE, timeout=60_000)
        page.get_by_role("tab", name="Aktivera eller avveckla").click()
        page.get_by_role("textbox", name="Motivering").first.fill("prövas i en pilot")
        force = page.get_by_test_id("stCheckbox").filter(has_text="Aktivera trots att kraven inte uppfylls")
        force.locator("label").click()
        page.get_by_role("button", name=f"Aktivera {SHIPPED}").click()
        expect(page.get_by_text(f"{SHIPPED} är nu aktiv", exact=False)).to_be_visible(timeout=60_000)
        page.get_by_role("tab", name="Aktivera eller avveckla").click()  # the page opens on its first tab again
        reason = page.get_by_role("textbox", name="Motivering").last
        reason.fill("tillbaka till grundmodellen")
        reason.press("Enter")  # submits the retire form of the model on screen
        page.wait_for_selector(IDLE, timeout=60_000)
        expect(page.get_by_text(f"{SHIPPED} är avvecklad", exact=False)).to_be_visible(timeout=60_000)
        page.get_by_role("tab", name="Modellkort").click()
        expect(page.get_by_role("heading", name=f"Modellkort: {SHIPPED}")).to_be_visible()
        _shot(page, "09-models-after-retire")
    assert {e["id"]: e["status"] for e in read_registry(models_copy)["models"]} == {SHIPPED: "retired",
                                                                                   COPY: "candidate"}
