"""A real browser (Debian chromium driven by Playwright) matches an example case on the running app."""

import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.conftest import ROOT

CHROMIUM = "/usr/bin/chromium"
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
        "--disable-component-update", "--disable-sync", "--disable-quic", "--no-first-run"]
IDLE = "[data-testid=stApp][data-test-connection-state=CONNECTED][data-test-script-state=notRunning]"

pytestmark = pytest.mark.skipif(not os.path.exists(CHROMIUM), reason="Debian chromium is not installed")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture(scope="module")
def server() -> Iterator[str]:
    port = _free_port()
    streamlit = shutil.which("streamlit", path=str(Path(sys.executable).parent))
    proc = subprocess.Popen([streamlit, "run", str(ROOT / "app.py"), "--server.port", str(port),
                             "--server.address=127.0.0.1", "--server.headless=true",
                             "--browser.gatherUsageStats=false"], cwd=ROOT,
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


@pytest.fixture
def page(server: str):
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        page = browser.new_page(viewport={"width": 1280, "height": 2400})
        page.goto(server)
        page.wait_for_selector(IDLE, timeout=60_000)
        yield page
        browser.close()


def test_match_an_example_in_the_browser(page, tmp_path: Path) -> None:
    from playwright.sync_api import expect

    page.get_by_role("button", name="Matcha insatser").click()
    expect(page.get_by_role("heading", name="Ärende EX-01 (syntetiskt exempel)")).to_be_visible(timeout=30_000)
    page.wait_for_selector(IDLE)
    expect(page.get_by_text("Risknivå: låg", exact=False).first).to_be_visible()
    expect(page.get_by_test_id("stVegaLiteChart").first).to_be_visible()
    page.get_by_text("English").click()
    expect(page.get_by_role("heading", name="Insatsmatch – matching insatser")).to_be_visible(timeout=30_000)
    page.get_by_role("button", name="Match insatser").click()
    expect(page.get_by_role("heading", name="Case EX-01 (synthetic example)")).to_be_visible(timeout=30_000)
    page.wait_for_selector(IDLE)
    page.evaluate("document.querySelector('[data-testid=stMain]').scrollTo(0, 0)")
    shot = Path(os.environ.get("SCREENSHOT_DIR", tmp_path)) / "recommend.png"
    page.screenshot(path=str(shot))
    assert shot.stat().st_size > 10_000
