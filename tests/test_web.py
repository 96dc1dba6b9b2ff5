"""The review in the browser, HTTP layer: Flask's test client against a small project.

Every action of the review page, the token and the CSRF token, escaping of transcript
text, a stale page refused, two coders kept apart, reconcile and the results page; the
store and the decision log are checked after each write.
"""
from __future__ import annotations

import re
import socket
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from qualcode.cli import main
from qualcode.store import codings
from qualcode.store.codings import RECONCILED, Decision
from qualcode.web.app import create_app

from conftest import add_document, store_codebook
from test_review import accepted, replayed_equals_store, state

TOKEN = "test-token"


def client(project, coder: str | None = "anna", app=None, **options):
    """A browser's session on the server ``app`` (a new server by default)."""
    if app is None:
        app = create_app(project.path, token=TOKEN, coder=coder, **options)
        app.config["TESTING"] = True
    c = app.test_client()
    r = c.get(f"/?token={TOKEN}")
    assert r.status_code == 302 and "token" not in r.headers["Location"]
    return c


def csrf(c) -> str:
    with c.session_transaction() as s:
        return s["csrf"]


def page(c, url: str) -> str:
    r = c.get(url, follow_redirects=True)
    assert r.status_code == 200, r.data[:500]
    return r.get_data(as_text=True)


def first_page(c, query: str = "") -> tuple[str, str]:
    """(the URL of the queue's first page, its HTML)."""
    r = c.get("/review" + query)
    assert r.status_code == 302
    url = r.headers["Location"]
    return url, page(c, url)


def field(html: str, name: str, form: str = "decide") -> str:
    block = html[html.index(f'id="{form}"'):]
    return re.search(rf'name="{name}" value="([^"]*)"', block).group(1)


def shown_segment(html: str) -> int:
    return int(re.search(r'data-segment="(\d+)"', html).group(1))


def decide(c, url: str, html: str, action: str = "confirm", **form) -> object:
    data = {"csrf_token": csrf(c), "segment_id": str(shown_segment(html)), "version": field(html, "version"),
            "action": action, **form}
    return c.post(url, data=data)


# -- safety ------------------------------------------------------------------------------------
def test_every_request_needs_the_token(review):
    project, _ = review
    app = create_app(project.path, token=TOKEN, coder="anna")
    c = app.test_client()
    for url in ("/", "/review", "/results", "/reconcile", "/static/app.css", "/explain/2"):
        assert c.get(url).status_code == 403, url
    assert c.get("/review?token=wrong").status_code == 403
    assert c.get(f"/review?token={TOKEN}", headers={"Host": "evil.example:80"}).status_code == 403
    r = c.get(f"/results?token={TOKEN}&study=vo-2025")
    assert r.status_code == 302 and r.headers["Location"] == "/results?study=vo-2025"  # the token leaves the URL
    assert c.get("/static/app.css").status_code == 200  # the cookie carries it from now on
    other = create_app(project.path, token=TOKEN, coder="anna").test_client()  # another server's session: no
    assert other.get("/review").status_code == 403


def test_every_write_needs_the_csrf_token(review):
    project, ids = review
    c = client(project)
    url, html = first_page(c)
    data = {"segment_id": str(shown_segment(html)), "version": field(html, "version"), "action": "accept_all"}
    assert c.post(url, data=data).status_code == 403
    assert c.post(url, data={**data, "csrf_token": "forged"}).status_code == 403
    assert c.post("/undo", data={"qid": "x", "n": "1", "version": "0"}).status_code == 403
    assert c.post("/coder", data={"coder": "mallory"}).status_code == 403
    assert project.history() == []
    assert decide(c, url, html, "accept_all").status_code == 302
    assert project.history() != []


def test_transcript_text_is_escaped_everywhere(project):
    ids = add_document(project, [("Interviewer", None, "Vraag <b>één</b>?"),
                                 ("R1", "R1", 'Het <script>alert("x")</script> nakijkwerk & de "tijd" \'scheelt\'.')])
    store_codebook(project)
    from qualcode.records import Suggestion

    text = project.segment(ids[1]).text
    start = text.index("nakijkwerk")
    with project.transaction():
        codings.write_suggestions(project.con, [Suggestion(ids[1], "workload", "risk", "keyword", "keywords.v1", {
            "matches": [{"text": "nakijkwerk", "start": start, "end": start + 10, "rule": "compound:<i>nakijk*",
                         "kind": "aspect"}]})], origin="keyword", segment_ids=ids,
            codebook_version=project.meta("codebook_version"))
    c = client(project, coder='<img src=x onerror="y">')
    url, html = first_page(c)
    assert "<script>alert" not in html and "<b>één</b>" not in html and "<img src=x" not in html
    assert "&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt;" in html
    assert "&amp; de &#34;tijd&#34; &#39;scheelt&#39;" in html
    assert "Vraag &lt;b&gt;één&lt;/b&gt;?" in html  # the turn before, as context
    assert "compound &lt;i&gt;nakijk*" in html  # the rule that fired, escaped too
    assert '<mark class="code-1 " title="werkdruk → risico: compound &lt;i&gt;nakijk*">nakijkwerk</mark>' in html
    # a memo with markup comes back escaped
    r = decide(c, url, html, "memo", memo="<script>memo()</script> & zo")
    assert r.status_code == 302
    html = page(c, url)
    assert "&lt;script&gt;memo()&lt;/script&gt; &amp; zo" in html and "<script>memo()" not in html


@pytest.mark.slow  # explain runs the keyword pipeline (about 2 s to build)
def test_the_explanation_is_plain_text_as_qualcode_explain_gives_it(project):
    ids = add_document(project, [("R1", "R1", 'Het <script>x</script> nakijkwerk & "tijd".')])
    store_codebook(project)
    c = client(project)
    r = c.get(f"/explain/{ids[0]}")
    assert r.status_code == 200 and r.get_data(as_text=True) == project.explain(ids[0])
    assert r.headers["Content-Type"].startswith("text/plain")  # never rendered as HTML
    assert r.headers["X-Content-Type-Options"] == "nosniff"


def test_pages_load_nothing_from_elsewhere(review):
    project, _ = review
    c = client(project)
    for url in ("/review", "/results", "/reconcile"):
        html = page(c, url)
        assert not re.search(r'(src|href)="(https?:)?//', html), url
        r = c.get(url, follow_redirects=True)
        assert "default-src 'self'" in r.headers["Content-Security-Policy"]


# -- the review page -----------------------------------------------------------------------------
def test_the_page_shows_the_segment_its_context_evidence_and_progress(review):
    project, ids = review
    c = client(project)
    url, html = first_page(c)
    queue = project.review_queue("anna")
    assert shown_segment(html) == queue[0].segment.id  # the queue's order, as in the terminal
    assert f"1 van {len(queue)}" in html  # Dutch codebook: Dutch labels
    seg = project.segment(queue[0].segment.id)
    assert "Expert 1" in html and "expert" in html  # pseudonym and role
    assert seg.speaker in html
    # the weak-evidence segment (ids[2]) comes first: matched word highlighted with its rule, code with direction
    assert seg.id == ids[2]
    assert re.search(r'<mark class="code-2 " title="menselijke interactie → risico: word contact">contact</mark>', html)
    assert 'title="menselijke interactie → risico: cue &#39;minder&#39; (decrease)"' in html
    assert "menselijke interactie</strong>" in html and 'value="risk" selected' in html
    assert "Fragment" in html and "Bevestigen" in html
    # the turn before and after are shown as context
    before, after = project.neighbours(seg)
    assert before.text in html and after.text in html


def test_the_page_shows_where_the_segment_is_in_its_source_as_the_terminal_and_excel_review_do(review):
    project, ids = review
    with project.transaction():  # a timed segment, a table row, and one with neither
        project.con.execute("UPDATE segments SET start_time = 754.2, end_time = 782.9 WHERE id = ?", (ids[2],))
        project.con.execute("UPDATE segments SET source_row = 'W026' WHERE id = ?", (ids[1],))
    c = client(project)
    url, html = first_page(c)
    shown = {}
    for n in range(1, len(project.review_queue("anna")) + 1):
        html = page(c, url.rsplit("/", 1)[0] + f"/{n}")
        shown[shown_segment(html)] = re.search(r'<span id="when">([^<]*)</span>', html).group(1)
        labelled = '<span class="k">Tijd</span> <span id="when">' in html  # 'Tijd' only before a time
        assert labelled == (shown_segment(html) == ids[2])
        assert "erna ·" not in html  # 'daarna': in small capitals 'ERNA' read as a name
    position = project.segment(ids[3]).position
    assert shown[ids[2]] == "00:12:34–00:13:02"
    assert shown[ids[1]] == "rij W026"
    assert shown[ids[3]] == f"positie {position}"
    # the same words as the terminal and Excel review (one helper)
    from qualcode.review.queue import segment_when
    assert all(text == segment_when(project.segment(sid), "nl") for sid, text in shown.items())
    # and on the reconcile page
    project.decide("anna", [Decision(ids[2], "accept", "interaction", "risk")], done_segments=[ids[2]])
    project.decide("bob", [Decision(ids[2], "reject", "interaction", "risk")], done_segments=[ids[2]])
    row = page(client(project, coder="carla"), "/reconcile?a=anna&b=bob")
    assert '<span class="when">00:12:34–00:13:02</span>' in row[row.index(f'id="s{ids[2]}"'):]


def test_confirm_accepts_the_ticked_and_rejects_the_rest(review):
    project, ids = review
    c = client(project)
    url = c.get("/review").headers["Location"]
    n = project.review_queue("anna")
    order = [i.segment.id for i in n]
    # go to the segment with the two workload suggestions (ids[1])
    qid_url = url.rsplit("/", 1)[0]
    target = f"{qid_url}/{order.index(ids[1]) + 1}"
    html = page(c, target)
    assert shown_segment(html) == ids[1]
    r = decide(c, target, html, tick="workload|opportunity")
    assert r.status_code == 302 and r.headers["Location"].endswith(f"/{order.index(ids[1]) + 2}")
    assert state(project, "anna") == {("anna", ids[1], "workload", "opportunity"): "accepted",
                                      ("anna", ids[1], "workload", "risk"): "rejected"}
    log = project.history(ids[1], coder="anna")
    assert {e.source for e in log} == {"web"} and {e.action for e in log} == {"accept", "reject"}
    assert replayed_equals_store(project)
    html = page(c, r.headers["Location"])
    assert "Opgeslagen: 1 geaccepteerd, 1 afgewezen." in html
    assert re.search(r'werkdruk <span class="num">1/1</span>', html)  # progress per code
    assert re.search(r'menselijke interactie <span class="num">0/1</span>', html)
    # the CLI sees them at once: history and the matrix
    out = CliRunner().invoke(main, ["history", "--coder", "anna", "--project", str(project.path)]).output
    assert out.count(" web") == 2 and "workload" in out
    out = CliRunner().invoke(main, ["matrix", "--coder", "anna", "--format", "csv", "--project", str(project.path)])
    assert out.exit_code == 0
    assert "workload,werkdruk,opportunity,kans,1,1," in out.output and "workload,werkdruk,risk,risico,0,0," in out.output


def test_a_forged_form_is_refused_and_changes_nothing(review):
    project, ids = review
    c = client(project)
    url, html = first_page(c)
    for form in ({"dir:interaction|risk": "sideways"}, {"add": "nope|risk"}, {"add": "workload|up"},
                 {"version": "x"}, {"segment_id": "99999"}):
        r = decide(c, url, html, **form)
        assert r.status_code == 400 and "Traceback" not in r.get_data(as_text=True), form
    assert project.history() == []


def test_change_direction_add_code_accept_all_reject_all(review):
    project, ids = review
    c = client(project)
    url, html = first_page(c)  # ids[2]: interaction → risk
    r = decide(c, url, html, tick="interaction|risk", **{"dir:interaction|risk": "opportunity",
                                                          "add": "work_enjoyment|opportunity"})
    assert r.status_code == 302
    assert state(project, "anna") == {("anna", ids[2], "interaction", "risk"): "rejected",
                                      ("anna", ids[2], "interaction", "opportunity"): "accepted",
                                      ("anna", ids[2], "work_enjoyment", "opportunity"): "accepted"}
    html = page(c, r.headers["Location"])
    second = shown_segment(html)
    decide(c, r.headers["Location"], html, "accept_all")
    assert {(s, code, d) for s, code, d in accepted(project, "anna") if s == second} == \
        {(second, k[0], k[1]) for k in project.review_item("anna", second).suggested_keys}
    third_url = r.headers["Location"].rsplit("/", 1)[0] + "/3"
    html = page(c, third_url)
    third = shown_segment(html)
    decide(c, third_url, html, "reject_all")
    assert not any(s == third for s, _, _ in accepted(project, "anna"))
    assert third in project.decided_segments("anna")
    # a segment without suggestions: confirming with nothing ticked records it as decided (no code applies)
    fourth_url = third_url.rsplit("/", 1)[0] + "/4"
    html = page(c, fourth_url)
    fourth = shown_segment(html)
    assert "geen codes voorgesteld" in html
    decide(c, fourth_url, html)
    assert fourth in project.decided_segments("anna")
    assert project.review_queue("anna") == []
    assert "Einde van de rij" in page(c, fourth_url.rsplit("/", 1)[0] + "/5")
    assert replayed_equals_store(project)


def test_memo_skip_back_and_undo(review):
    project, ids = review
    c = client(project)
    url, html = first_page(c)
    sid = shown_segment(html)
    r = decide(c, url, html, "memo", memo="twijfel: contact of regie?")
    assert r.headers["Location"] == url  # a memo stays on the segment
    assert codings.memos(project.con, "anna") == {(sid, "anna"): "twijfel: contact of regie?"}
    html = page(c, url)
    assert "twijfel: contact of regie?</textarea>" in html
    decide(c, url, page(c, url), "memo", memo="")  # saved empty: deleted
    assert codings.memos(project.con, "anna") == {}
    # skip and back are links: nothing is written
    before = len(project.history())
    skip = re.search(r'href="([^"]+)" id="skip"', html).group(1)
    html2 = page(c, skip)
    back = re.search(r'href="([^"]+)" id="back"', html2).group(1)
    assert shown_segment(page(c, back)) == sid and len(project.history()) == before
    # undo takes back the last confirmed segment and shows it again
    r = decide(c, url, page(c, url), "accept_all")
    assert sid in project.decided_segments("anna")
    html = page(c, r.headers["Location"])
    r = c.post("/undo", data={"csrf_token": csrf(c), "qid": url.split("/")[2], "n": "2",
                              "version": field(html, "version", "undo-form")})
    assert r.status_code == 302 and r.headers["Location"] == url
    assert sid not in project.decided_segments("anna") and accepted(project, "anna") == set()
    assert [e.action for e in project.history(coder="anna")][-1] == "undo"
    assert replayed_equals_store(project)


def test_the_page_undoes_only_what_was_decided_in_the_browser(review):
    # One undo step of the terminal or Excel can be a whole workbook: the page leaves it to `qualcode undo`.
    project, ids = review
    project.decide("anna", [Decision(ids[3], "accept", "autonomy", "opportunity")], source="excel",
                   done_segments=[ids[3]])
    c = client(project)
    url, html = first_page(c)
    assert re.search(r'<button type="submit" form="undo-form" id="undo" disabled', html)
    before = state(project, "anna")
    r = c.post("/undo", data={"csrf_token": csrf(c), "qid": url.split("/")[2], "n": "1",
                              "version": field(html, "version", "undo-form")})
    assert r.status_code == 400 and "qualcode undo --coder anna" in r.get_data(as_text=True)
    assert state(project, "anna") == before
    decide(c, url, html, "accept_all")  # a decision made here can be undone here
    html = page(c, url.rsplit("/", 1)[0] + "/2")
    assert re.search(r'<button type="submit" form="undo-form" id="undo"\s*>', html)


def test_filters_by_code_case_and_only_suggested(review):
    project, ids = review
    c = client(project)
    _, html = first_page(c, "?f=1&code=workload&only_undecided=1")
    assert shown_segment(html) == ids[1] and "1 van 1" in html
    _, html = first_page(c, "?f=1&case=Expert+2&only_undecided=1")
    assert shown_segment(html) in (ids[3], ids[4]) and "1 van 2" in html
    _, html = first_page(c, "?f=1&case=Expert+2&only_suggested=1&only_undecided=1")
    assert shown_segment(html) == ids[3] and "1 van 1" in html
    r = c.get("/review?f=1&code=nope")
    assert r.status_code == 400 and "no code &#39;nope&#39; in the codebook" in r.get_data(as_text=True)
    # decided segments come back with "only undecided" off
    url, html = first_page(c)
    decide(c, url, html, "accept_all")
    _, html = first_page(c, "?f=1")
    assert "van 4" in html
    _, html = first_page(c, "?f=1&only_undecided=1")
    assert "van 3" in html


# -- two tabs, two coders -------------------------------------------------------------------------
def test_a_stale_page_is_refused_and_overwrites_nothing(review):
    project, ids = review
    server = create_app(project.path, token=TOKEN, coder="anna")
    tab1, tab2 = client(project, app=server), client(project, app=server)
    url1, html1 = first_page(tab1)
    url2, html2 = first_page(tab2)
    assert shown_segment(html1) == shown_segment(html2)
    assert decide(tab2, url2, html2, "reject_all").status_code == 302
    after_tab2 = state(project, "anna")
    r = decide(tab1, url1, html1, "accept_all")
    assert r.status_code == 409
    assert "Er is niets opgeslagen" in r.get_data(as_text=True)
    assert state(project, "anna") == after_tab2  # tab 2's decision stands
    # a memo and an undo from the stale tab are refused too
    assert decide(tab1, url1, html1, "memo", memo="x").status_code == 409
    stale_undo = {"csrf_token": csrf(tab1), "qid": url1.split("/")[2], "n": "1",
                  "version": field(html1, "version", "undo-form")}
    assert tab1.post("/undo", data=stale_undo).status_code == 409
    assert state(project, "anna") == after_tab2
    # after a reload, the page carries the new version and the decision goes through
    html1 = page(tab1, url1)
    assert decide(tab1, url1, html1, "accept_all").status_code == 302


def test_two_tabs_deciding_at_the_same_moment_one_wins_the_other_is_told(review):
    # Two threads, two connections (one per server thread), the same page version posted at
    # once: BEGIN IMMEDIATE serialises them, so one decision is stored and the other refused.
    import threading

    project, ids = review
    server = create_app(project.path, token=TOKEN, coder="anna")
    tabs = [client(project, app=server), client(project, app=server)]
    for _ in range(3):
        shown_pages = [first_page(tab) for tab in tabs]
        assert shown_segment(shown_pages[0][1]) == shown_segment(shown_pages[1][1])
        barrier, statuses = threading.Barrier(2), []

        def post(tab, url_html, action, barrier=barrier, statuses=statuses):
            barrier.wait()
            statuses.append(decide(tab, *url_html, action).status_code)

        threads = [threading.Thread(target=post, args=(tab, shown, action))
                   for tab, shown, action in zip(tabs, shown_pages, ("accept_all", "reject_all"))]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        assert sorted(statuses) == [302, 409]
        sid = shown_segment(shown_pages[0][1])
        batches = {e.batch for e in project.history(sid, coder="anna")}
        assert len(batches) == 1  # one decision, never a mix of both
    assert replayed_equals_store(project)


def test_two_coders_see_only_their_own_decisions(review):
    project, ids = review
    server = create_app(project.path, token=TOKEN)  # one server, two coders who each give their name
    anna, bob = client(project, app=server), client(project, app=server)
    for c, name in ((anna, "anna"), (bob, "bob")):
        assert c.post("/coder", data={"csrf_token": csrf(c), "coder": name}).status_code == 302
    url, html = first_page(anna)
    decide(anna, url, html, "accept_all")
    url_b, html_b = first_page(bob)
    assert shown_segment(html_b) == shown_segment(html)  # bob's queue is his own: the segment is still open
    assert "checked" not in html_b[html_b.index('id="entries"'):html_b.index('class="add"')]
    assert "anna accepteerde" not in html_b
    _, html_b = first_page(bob, "?f=1&only_undecided=1&show_others=1")
    assert "anna accepteerde: menselijke interactie → risico" in html_b
    decide(bob, url_b, html_b, "reject_all")
    assert accepted(project, "anna") == {(ids[2], "interaction", "risk")} and accepted(project, "bob") == set()
    assert {e.coder for e in project.history(ids[2])} == {"anna", "bob"}


def test_a_coder_chooses_a_name_on_the_first_page(review):
    project, _ = review
    c = client(project, coder=None)
    r = c.get("/review")
    assert r.status_code == 302 and r.headers["Location"].startswith("/coder")
    r = c.post("/coder", data={"csrf_token": csrf(c), "coder": "keyword", "next": "/review"})
    assert r.status_code == 400 and "gereserveerd voor qualcode" in r.get_data(as_text=True)
    r = c.post("/coder", data={"csrf_token": csrf(c), "coder": " carla ", "next": "/review"})
    assert r.status_code == 302 and r.headers["Location"] == "/review"
    assert ">carla</strong>" in page(c, "/review")


def test_reconcile_lists_disagreements_and_records_the_settling_decision(review):
    project, ids = review
    project.decide("anna", [Decision(ids[2], "accept", "interaction", "risk")], done_segments=[ids[2]])
    project.decide("bob", [Decision(ids[2], "reject", "interaction", "risk"),
                           Decision(ids[2], "add", "work_enjoyment", "opportunity")], done_segments=[ids[2]])
    c = client(project, coder="carla")
    html = page(c, "/reconcile?a=anna&b=bob")
    assert "1 fragment verschilt, 1 nog niet beslist." in html
    row = html[html.index(f'id="s{ids[2]}"'):]
    assert "menselijke interactie → risico" in row and "werkplezier → kans" in row
    version = re.search(r'name="version" value="(\d+)"', row).group(1)
    form = {"csrf_token": csrf(c), "a": "anna", "b": "bob", "study": "", "segment_id": str(ids[2]),
            "version": version}
    r = c.post("/reconcile", data={**form, "choice": "first"})
    assert r.status_code == 302
    assert accepted(project, RECONCILED) == {(ids[2], "interaction", "risk")}
    assert codings.memos(project.con, RECONCILED)[(ids[2], RECONCILED)] == "settled by carla: took anna's codings"
    # the same (now stale) form again is refused; a fresh one can edit the settled set
    assert c.post("/reconcile", data={**form, "choice": "second"}).status_code == 409
    html = page(c, "/reconcile?a=anna&b=bob")
    assert "1 fragment verschilt, 0 nog niet beslist." in html
    version = re.search(r'name="version" value="(\d+)"', html[html.index(f'id="s{ids[2]}"'):]).group(1)
    r = c.post("/reconcile", data={**form, "version": version, "choice": "edit",
                                   "tick": ["interaction|risk", "work_enjoyment|opportunity"]})
    assert accepted(project, RECONCILED) == {(ids[2], "interaction", "risk"), (ids[2], "work_enjoyment", "opportunity")}
    assert {e.source for e in project.history(ids[2], coder=RECONCILED)} == {"reconcile"}


# -- results -------------------------------------------------------------------------------------
def test_results_show_the_matrix_of_the_store_and_link_each_cell_to_its_passages(review):
    project, ids = review
    c = client(project)
    html = page(c, "/results")  # nothing decided yet: the machine suggestions, marked as such
    from qualcode.outputs.i18n import words

    w = words(project.codebook())
    suggested = project.analyse(include_suggested=True, per_cell=None, presence=False, auto_compare=False)
    assert 'name="suggested" value="1" checked' in html
    assert w.cell(suggested.cell("workload", "risk")) in html and suggested.cell("workload", "risk").suggested == 1
    project.decide("anna", [Decision(ids[1], "accept", "workload", "opportunity"),
                            Decision(ids[2], "accept", "interaction", "risk")], done_segments=[ids[1], ids[2]])
    html = page(c, "/results")
    analysis = project.analyse(coder="anna", per_cell=None, presence=False, auto_compare=False)
    cell = analysis.cell("workload", "opportunity")
    assert cell.segments == 1 and w.cell(cell) in html
    link = re.search(r'<a href="([^"]+code=workload&amp;direction=opportunity[^"]*)">', html).group(1)
    passages = page(c, link.replace("&amp;", "&"))
    assert project.segment(ids[1]).text in passages and project.segment(ids[2]).text not in passages
    assert "werkdruk → kans: 1 fragment" in passages
    # refreshed on load: a new decision shows at once
    project.decide("anna", [Decision(ids[3], "accept", "workload", "opportunity")], done_segments=[ids[3]])
    cell = project.analyse(coder="anna", per_cell=None, presence=False, auto_compare=False).cell("workload", "opportunity")
    assert cell.segments == 2 and w.cell(cell) in page(c, "/results")


def test_english_codebook_gives_english_pages(project):
    ids = add_document(project)
    store_codebook(project, "codebook: test\nlanguage: en\ncodes:\n  - id: workload\n    label: workload\n"
                            "    keywords: {words: [tijd]}\n")
    c = client(project)
    _, html = first_page(c)
    assert "Confirm" in html and "Bevestigen" not in html and f"1 of {len(project.review_queue('anna'))}" in html
    assert ids


# -- the command ---------------------------------------------------------------------------------
def test_serve_has_help_with_an_example_and_refuses_a_busy_port(review):
    project, _ = review
    r = CliRunner().invoke(main, ["serve", "--help"])
    assert r.exit_code == 0 and "qualcode serve --coder anna" in r.output and "127.0.0.1" in r.output
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        r = CliRunner().invoke(main, ["serve", "--port", str(port), "--project", str(project.path)])
    assert r.exit_code == 1
    assert r.output.startswith(f"Error: port {port} on 127.0.0.1 cannot be used") and "--port" in r.output
    r = CliRunner().invoke(main, ["serve", "--project", str(project.path.parent / "none.qualcode")])
    assert r.exit_code == 1 and "Error:" in r.output and "no project here" in r.output
    r = CliRunner().invoke(main, ["serve", "--study", "nope", "--project", str(project.path)])
    assert r.exit_code == 1 and "Error: no study 'nope'" in r.output and "vo-2025" in r.output
    r = CliRunner().invoke(main, ["serve", "--coder", "reconciled", "--project", str(project.path)])
    assert r.exit_code == 1 and "reserved" in r.output


def test_the_server_binds_the_local_machine_only(review):
    from qualcode.web.server import HOST, start

    project, _ = review
    running = start(project.path, port=0)
    try:
        assert HOST == "127.0.0.1" and running.url.startswith(f"http://127.0.0.1:{running.port}/?token=")
        assert running.server.socket.getsockname()[0] == "127.0.0.1"
        assert len(running.url.split("token=")[1]) >= 32
    finally:
        running.close()


def test_every_template_and_asset_ships_in_the_package():
    import configparser

    root = Path(__file__).resolve().parent.parent
    config = configparser.ConfigParser()
    config.read(root / "setup.cfg", encoding="utf-8")
    globs = [g.strip() for g in config["options.package_data"]["qualcode.web"].splitlines() if g.strip()]
    web = root / "qualcode" / "web"
    files = {p.relative_to(web).as_posix() for p in web.rglob("*")
             if p.is_file() and p.suffix != ".py" and "__pycache__" not in p.parts}
    shipped = {p.relative_to(web).as_posix() for g in globs for p in web.glob(g) if p.is_file()}
    assert files and files == shipped


def test_the_cli_does_not_import_the_web_stack_until_serve_runs():
    code = ("import sys, qualcode.cli; from click.testing import CliRunner; "
            "CliRunner().invoke(qualcode.cli.main, ['--help']); "
            "print(sorted(m for m in ('flask', 'waitress', 'jinja2', 'qualcode.web') if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True,
                         cwd=str(Path(__file__).resolve().parent.parent))
    assert out.stdout.strip() == "[]"
