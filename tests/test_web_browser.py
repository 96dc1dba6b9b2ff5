"""The review in the browser, end to end: Debian's chromium driven by Selenium and chromedriver.

A real server (waitress, in a thread, on a free port) and a real headless browser: ten
segments reviewed by keyboard, the store and the decision log checked, undo, and a
reload that resumes where the coder stopped. Browsers are never downloaded: the test
uses /usr/bin/chromium and /usr/bin/chromedriver (apt packages chromium and
chromium-driver, which .ci/run installs); where they are missing it skips, except in CI
(QUALCODE_CI=1), where it fails.
"""
from __future__ import annotations

import os
import shutil
import threading
import time

import pytest

from qualcode.records import Suggestion
from qualcode.store import codings

from conftest import add_document, store_codebook
from test_review import accepted, replayed_equals_store

CHROMIUM = "/usr/bin/chromium"
CHROMEDRIVER = "/usr/bin/chromedriver"
TURNS = [("Interviewer", None, "Hoe is het met de tijd?")] + [
    (f"R{i % 3 + 1}", f"R{i % 3 + 1}", f"Antwoord {i}: het nakijkwerk kost minder tijd & dat is <fijn>.")
    for i in range(12)
]


def browser_paths() -> tuple[str, str]:
    missing = [p for p in (CHROMIUM, CHROMEDRIVER) if not (os.path.exists(p) or shutil.which(os.path.basename(p)))]
    if missing:
        message = f"{', '.join(missing)} not installed (apt packages chromium and chromium-driver)"
        if os.environ.get("QUALCODE_CI") == "1":
            pytest.fail(message + ", but .ci/run installs them")
        pytest.skip(message)
    try:
        import selenium  # noqa: F401
    except ImportError:
        if os.environ.get("QUALCODE_CI") == "1":
            pytest.fail("selenium is not installed, but it is in the test extra of setup.cfg")
        pytest.skip("selenium is not installed (pip install -e .[test])")
    return (CHROMIUM if os.path.exists(CHROMIUM) else shutil.which("chromium") or CHROMIUM,
            CHROMEDRIVER if os.path.exists(CHROMEDRIVER) else shutil.which("chromedriver") or CHROMEDRIVER)


@pytest.fixture
def twelve(project):
    """Twelve respondent turns, each with a workload suggestion (opportunity) on 'nakijkwerk'."""
    ids = add_document(project, TURNS)
    store_codebook(project)
    rows = []
    for sid in ids[1:]:
        text = project.segment(sid).text
        start = text.index("nakijkwerk")
        rows.append(Suggestion(sid, "workload", "opportunity", "keyword", "keywords.v1", {"matches": [
            {"text": "nakijkwerk", "start": start, "end": start + 10, "rule": "compound:nakijk*", "kind": "aspect"},
            {"text": "minder", "start": text.index("minder"), "end": text.index("minder") + 6, "rule": "cue:minder",
             "kind": "decrease"}]}))
    with project.transaction():
        codings.write_suggestions(project.con, rows, origin="keyword", segment_ids=ids,
                                  codebook_version=project.meta("codebook_version"))
    return project, ids[1:]


@pytest.fixture
def served(twelve):
    from qualcode.web.server import start

    project, ids = twelve
    running = start(project.path, port=0, coder="anna")
    thread = threading.Thread(target=running.run, daemon=True)
    thread.start()
    yield project, ids, running
    running.close()
    thread.join(timeout=5)


@pytest.fixture
def browser():
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    chromium, chromedriver = browser_paths()
    options = webdriver.ChromeOptions()
    options.binary_location = chromium
    for arg in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--window-size=1280,900"):
        options.add_argument(arg)
    driver = webdriver.Chrome(service=Service(executable_path=chromedriver), options=options)
    driver.set_page_load_timeout(20)
    yield driver
    driver.quit()


def shown(driver) -> int:
    """The segment on the page, once the page's keys work (0 before)."""
    if driver.find_element("tag name", "body").get_attribute("data-keys") != "ready":
        return 0
    return int(driver.find_element("id", "segment").get_attribute("data-segment"))


def press(driver, keys: str) -> None:
    from selenium.webdriver.common.action_chains import ActionChains

    ActionChains(driver).send_keys(keys).perform()


def wait_for(condition, timeout: float = 10.0):
    end = time.monotonic() + timeout
    while True:
        try:
            value = condition()
            if value:
                return value
        except Exception:  # the page is being replaced
            if time.monotonic() > end:
                raise
        if time.monotonic() > end:
            raise AssertionError("the page did not change in time")
        time.sleep(0.05)


def next_segment(driver, before: int) -> int:
    return wait_for(lambda: shown(driver) not in (0, before) and shown(driver))


@pytest.mark.slow
def test_review_ten_segments_by_keyboard_then_undo_and_resume(served, browser):
    from selenium.webdriver.common.keys import Keys

    project, ids, running = served
    driver = browser
    driver.get(running.url)
    assert "token=" not in driver.current_url  # the token left the address bar
    assert wait_for(lambda: shown(driver)) == ids[0]
    text = driver.find_element("id", "text")
    assert "& dat is <fijn>." in text.text  # escaped, shown as written
    marks = text.find_elements("css selector", "mark")
    assert [m.text for m in marks] == ["nakijkwerk", "minder"]
    assert "werkdruk → kans: compound nakijk*" in marks[0].get_attribute("title")

    # The ten segments, each by keyboard, and what each should leave in the store:
    plan = [
        ("a", {("workload", "opportunity")}),  # accept all
        ("r", set()),  # reject all
        ("1" + Keys.ENTER, {("workload", "opportunity")}),  # tick the first code, confirm
        (Keys.ENTER, set()),  # confirm with nothing ticked: the suggestion is rejected
        ("d2" + Keys.ENTER, {("workload", "risk")}),  # change its direction to the second (risico)
        ("c41" + Keys.ENTER, {("work_enjoyment", "opportunity")}),  # add werkplezier → kans
        ("c21" + Keys.ENTER, {("workload", "opportunity")}),  # adding a listed code ticks it
        ("1" + "1" + "a", {("workload", "opportunity")}),  # tick, untick, accept all
        ("r", set()),
        ("a", {("workload", "opportunity")}),
    ]
    started = time.monotonic()
    for number, (keys, _) in enumerate(plan):
        before = shown(driver)
        assert before == ids[number]
        assert f"{number + 1} van 12" in driver.find_element("id", "position").text
        press(driver, keys)
        next_segment(driver, before)
    per_segment = (time.monotonic() - started) / len(plan)
    for number, (_, expected) in enumerate(plan):
        sid = ids[number]
        got = {(c, d) for s, c, d in accepted(project, "anna") if s == sid}
        assert got == expected, (number, got)
        assert sid in project.decided_segments("anna")
    log = project.history(coder="anna")
    assert {e.source for e in log} == {"web"}
    assert {e.segment_id for e in log} == set(ids[:10])
    assert replayed_equals_store(project)
    assert "Opgeslagen" in driver.find_element("css selector", ".flash").text
    assert per_segment < 2.0  # a keystroke and a page: no slower than the terminal's prompt

    # a memo by keyboard: m, type, enter (the page stays on the segment)
    here = shown(driver)
    press(driver, "m")
    press(driver, "twijfel & <vraag>" + Keys.ENTER)
    wait_for(lambda: codings.memos(project.con, "anna").get((here, "anna")) == "twijfel & <vraag>")
    wait_for(lambda: shown(driver) == here and driver.find_element("id", "memo").get_attribute("value"))

    # undo (u) takes back the memo, then the tenth segment, which is shown again
    press(driver, "u")
    wait_for(lambda: (here, "anna") not in codings.memos(project.con, "anna"))
    wait_for(lambda: driver.find_element("id", "undo").is_enabled())
    press(driver, "u")
    wait_for(lambda: ids[9] not in project.decided_segments("anna"))
    assert wait_for(lambda: shown(driver) == ids[9])
    assert [e.action for e in project.history(coder="anna")][-1] == "undo"

    # a reload (a new session of the page) resumes where the coder stopped: the tenth segment first
    driver.get(running.url.split("?")[0] + "review")
    assert wait_for(lambda: shown(driver)) == ids[9]
    assert "1 van 3" in driver.find_element("id", "position").text
    assert replayed_equals_store(project)
