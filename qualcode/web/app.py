"""The Flask application: review, reconcile and results pages over one project file.

Every request opens the project (one SQLite connection per request, so two tabs or two
coders never share one) and closes it afterwards. Every write goes through
``qualcode.Project`` (the same decision core and log as the terminal and Excel faces,
source ``web``) inside one transaction that first checks the page's version of the
segment: a stale page is refused with 409 and told to reload, never overwriting.
"""
from __future__ import annotations

import secrets
import threading
from collections import OrderedDict
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

from flask import Flask, abort, flash, g, redirect, render_template, request, session, url_for
from werkzeug.exceptions import HTTPException
from werkzeug.wrappers import Response

from qualcode.errors import NotFoundError, QualcodeError, UsageError
from qualcode.records import DIRECTIONS
from qualcode.store.codings import MACHINE_CODERS, RECONCILED, Decision
from qualcode.web import security, views
from qualcode.web.text import PageWords

MAX_QUEUES = 64  # review queues kept in memory (one per filter a coder chose); older ones are rebuilt


class StalePage(Exception):
    """The segment changed since the page was rendered: nothing was written."""


@dataclass(frozen=True)
class Filters:
    code: str | None = None
    study: str | None = None
    case: str | None = None  # a pseudonym
    only_suggested: bool = False
    only_undecided: bool = True
    show_others: bool = False

    def args(self) -> dict[str, str]:
        out = {"f": "1"}
        for name in ("code", "study", "case"):
            if getattr(self, name):
                out[name] = getattr(self, name)
        for name in ("only_suggested", "only_undecided", "show_others"):
            if getattr(self, name):
                out[name] = "1"
        return out


@dataclass
class Queue:
    """One coder's review queue under one filter, in the order of ``review_queue``, kept while the server runs."""

    qid: str
    coder: str
    filters: Filters
    ids: list[int]
    reasons: list[str]
    codes: list[frozenset[str]]  # the codes suggested on each segment (for the progress per code)


class Queues:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._queues: OrderedDict[str, Queue] = OrderedDict()

    def add(self, queue: Queue) -> None:
        with self._lock:
            self._queues[queue.qid] = queue
            while len(self._queues) > MAX_QUEUES:
                self._queues.popitem(last=False)

    def get(self, qid: str, coder: str) -> Queue | None:
        with self._lock:
            queue = self._queues.get(qid)
        return queue if queue is not None and queue.coder == coder else None


def create_app(project_path: str | Path, *, token: str | None = None, coder: str | None = None,
               study: str | None = None) -> Flask:
    """The web face of one project file; ``token`` is required on every request (a random one by default)."""
    from qualcode.project import Project

    project_path = Path(project_path)
    coder = coder.strip() if coder and coder.strip() else None
    if coder in (*MACHINE_CODERS, RECONCILED):
        raise UsageError(f"{coder!r} is reserved for qualcode's own decisions; pass another --coder")
    with Project.open(project_path) as checked:  # a missing or broken project fails here, before serving
        if study is not None and study not in checked.studies():
            raise NotFoundError(f"no study {study!r} in {project_path}; the studies are: "
                                f"{', '.join(checked.studies()) or 'none'}")
    app = Flask(__name__)
    app.config.update(
        SECRET_KEY=secrets.token_bytes(32),
        QUALCODE_TOKEN=token or security.new_token(),
        QUALCODE_PROJECT=project_path,
        QUALCODE_CODER=coder,
        QUALCODE_STUDY=study,
        # One cookie name per server, so two servers on one machine (other ports) do not log each other out.
        SESSION_COOKIE_NAME=f"qualcode_{secrets.token_hex(4)}",
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Strict",
        MAX_CONTENT_LENGTH=1_000_000,
    )
    queues = Queues()

    # -- every request -------------------------------------------------------------------------
    @app.before_request
    def _guard() -> Response | None:
        return security.check_request(app.config["QUALCODE_TOKEN"])

    @app.after_request
    def _headers(response: Response) -> Response:
        response.headers["Content-Security-Policy"] = (
            "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
            "form-action 'self'; frame-ancestors 'none'; base-uri 'none'")
        response.headers["X-Content-Type-Options"] = "nosniff"
        response.headers["Referrer-Policy"] = "no-referrer"
        response.headers["Cache-Control"] = "no-store"
        return response

    codebooks: dict[str | None, Any] = {}  # parsed once per codebook version (parsing takes tens of ms)
    # One connection per server thread, kept between requests: opening and closing one per
    # request cost more than the page (closing the last connection checkpoints the WAL).
    # SQLite connections never cross threads; each read outside a transaction sees the
    # latest commit, and every write is its own BEGIN IMMEDIATE transaction.
    # (A thread's connection closes with the thread: waitress ends its threads when it stops.)
    local = threading.local()

    def project() -> Any:
        if "project" not in g:
            kept = getattr(local, "project", None)
            if kept is None:
                kept = local.project = Project.open(app.config["QUALCODE_PROJECT"])
            g.project = kept
            version = g.project.meta("codebook_version")
            if version not in codebooks:
                codebooks[version] = g.project.codebook(version) if version else g.project.codebook()
            g.codebook = codebooks[version]
            g.words = PageWords(g.codebook)
        return g.project

    def words() -> PageWords:
        project()
        return g.words

    def render(template: str, status: int = 200, **context: Any) -> tuple[str, int]:
        w = words()
        return render_template(template, w=w, coder=session.get("coder"), csrf=security.csrf_token(),
                               language=w.language, **context), status

    @app.errorhandler(QualcodeError)
    def _qualcode_error(exc: QualcodeError) -> tuple[str, int]:
        return render("message.html", 400, title=words().page("error"), message=str(exc))

    @app.errorhandler(StalePage)
    def _stale(exc: StalePage) -> tuple[str, int]:
        return render("message.html", 409, title=words().page("error"), message=words().page("stale"),
                      reload=str(exc) or None)

    @app.errorhandler(403)
    def _forbidden(exc: HTTPException) -> tuple[str, int, dict[str, str]]:
        csrf = request.method not in ("GET", "HEAD") and session.get("token") == app.config["QUALCODE_TOKEN"]
        key = "csrf" if csrf else "forbidden"
        # No project is opened for a stranger: the page is plain English and Dutch.
        from qualcode.web.text import PAGE_TEXT

        text = f"{PAGE_TEXT['en'][key]}\n{PAGE_TEXT['nl'][key]}"
        return text, 403, {"Content-Type": "text/plain; charset=utf-8"}

    def current_coder() -> str | None:
        name = session.get("coder") or app.config["QUALCODE_CODER"]
        if name and not session.get("coder"):
            session["coder"] = name
        return name

    def need_coder() -> str:
        name = current_coder()
        if not name:
            abort(redirect(url_for("choose_coder", next=request.full_path)))
        return str(name)

    # -- pages ---------------------------------------------------------------------------------
    @app.get("/")
    def index() -> Response:
        return redirect(url_for("review_start"))

    @app.route("/coder", methods=["GET", "POST"])
    def choose_coder() -> Any:
        error = None
        if request.method == "POST":
            name = (request.form.get("coder") or "").strip()
            if not name:
                error = words().page("coder_missing")
            elif name in MACHINE_CODERS or name == RECONCILED:
                error = words().page("coder_reserved", name=name)
            elif len(name) > 80:
                error = words().page("coder_too_long")
            else:
                session["coder"] = name
                target = request.form.get("next") or ""
                return redirect(target if target.startswith("/") and not target.startswith("//") else "/")
        return render("coder.html", 400 if error else 200, error=error, next=request.values.get("next", ""),
                      known=[c for c in project().coders() if c != RECONCILED])

    def filters_from(args: Any) -> Filters:
        if args.get("f"):
            return Filters(code=args.get("code") or None, study=args.get("study") or None,
                           case=args.get("case") or None, only_suggested=bool(args.get("only_suggested")),
                           only_undecided=bool(args.get("only_undecided")), show_others=bool(args.get("show_others")))
        return Filters(study=app.config["QUALCODE_STUDY"])

    def build_queue(coder: str, filters: Filters) -> Queue:
        p = project()
        from qualcode.review.queue import check_code

        check_code(g.codebook, filters.code)
        if filters.study and filters.study not in p.studies():
            raise NotFoundError(f"no study {filters.study!r} in the project; the studies are: "
                                f"{', '.join(p.studies()) or 'none'}")
        items = p.review_queue(coder, code=filters.code, study=filters.study, include_decided=not filters.only_undecided)
        if filters.case:
            items = [i for i in items if i.case_label == filters.case]
        if filters.only_suggested:
            items = [i for i in items if i.suggestions]
        queue = Queue(secrets.token_urlsafe(6), coder, filters, [i.segment.id for i in items], [i.reason for i in items],
                      [frozenset(s.code for s in i.suggestions) for i in items])
        queues.add(queue)
        return queue

    @app.get("/review")
    def review_start() -> Response:
        coder = need_coder()
        queue = build_queue(coder, filters_from(request.args))
        return redirect(url_for("review_page", qid=queue.qid, n=1))

    def queue_or_rebuild(qid: str, coder: str) -> Queue | None:
        return queues.get(qid, coder)

    @app.get("/review/<qid>/<int:n>")
    def review_page(qid: str, n: int) -> Any:
        coder = need_coder()
        queue = queue_or_rebuild(qid, coder)
        if queue is None:  # the server restarted, or another coder's link: start the queue afresh
            return redirect(url_for("review_start"))
        p, codebook, w = project(), g.codebook, words()
        decided = p.decided_segments(coder)
        progress = []
        for code in codebook.code_ids:
            with_code = [sid for sid, codes in zip(queue.ids, queue.codes) if code in codes]
            progress.append({"code": code, "label": w.code(code), "colour": views.colour(codebook, code),
                             "total": len(with_code), "decided": sum(sid in decided for sid in with_code)})
        common = {"queue": queue, "filters": queue.filters, "total": len(queue.ids), "n": n, "progress": progress,
                  "decided_total": sum(sid in decided for sid in queue.ids), "studies": p.studies(),
                  "case_names": sorted({c.pseudonym for c in p.cases()}),
                  "codes": [(c, w.code(c)) for c in codebook.code_ids]}
        common["undo_version"], common["undo_source"] = views.undo_target(p, coder)
        if not 1 <= n <= len(queue.ids):
            return render("review.html", item=None, **common)
        sid = queue.ids[n - 1]
        item = p.review_item(coder, sid, code=queue.filters.code, show_others=queue.filters.show_others,
                             reason=queue.reasons[n - 1])
        from qualcode.review.queue import segment_when

        entries = views.entries_for(item, codebook)
        cases = {c.case_id: c for c in p.cases()}
        case = cases.get(item.segment.case_id) if item.segment.case_id else None
        others: dict[str, list[tuple[str, str]]] = {}
        for row in item.others:
            if row.status == "accepted":
                others.setdefault(row.coder or "?", []).append((row.code, row.direction))
        return render(
            "review.html", item=item, segment=item.segment, case=case,
            pieces=views.highlight(item.segment.text, item.suggestions, codebook, w),
            entries=views.entry_views(item, entries, codebook, w),
            version=views.segment_version(p, sid, [coder]),
            others=[(name, views.codings_text(w, keys, codebook)) for name, keys in sorted(others.items())],
            directions=[(d, w.direction(d)) for d in DIRECTIONS], time=segment_when(item.segment, w.language),
            timed=item.segment.start_time is not None or item.segment.end_time is not None,
            reason=views.reason_text(w, item.reason),
            **common)

    def entries_from_form(item: Any, form: Any, action: str) -> list[Any]:
        """The coder's entries as the page left them: ticks, changed directions, added codes (terminal rules)."""
        from qualcode.review.terminal import Entry

        codebook = g.codebook
        entries = views.entries_for(item, codebook)
        ticked = set(form.getlist("tick"))
        for e in entries:
            e.ticked = f"{e.code}|{e.direction}" in ticked
        for e in list(entries):
            new = form.get(f"dir:{e.code}|{e.direction}")
            if not new or new == e.direction:
                continue
            if new not in DIRECTIONS:
                raise UsageError(f"direction must be one of {', '.join(DIRECTIONS)}")
            other = next((o for o in entries if o is not e and o.key == (e.code, new)), None)
            if other is not None:  # that direction is listed already: tick it instead
                other.ticked, e.ticked, e.new_direction = True, False, None
            else:
                e.new_direction, e.ticked = new, True
        for added in form.getlist("add"):
            code, _, direction = added.partition("|")
            if code not in codebook.code_ids or direction not in DIRECTIONS:
                raise UsageError(f"no code {code!r} with direction {direction!r} in the codebook")
            same = next((e for e in entries if e.key == (code, direction)), None)
            if same is not None:
                same.ticked = True
            else:
                entries.append(Entry(code, direction, ticked=True))
        if action in ("accept_all", "reject_all"):
            for e in entries:
                e.ticked = action == "accept_all"
        return entries

    def page_version(form: Any) -> int:
        try:
            return int(form.get("version", ""))
        except ValueError:
            raise UsageError("the form has no version of the segment; reload the page") from None

    @app.post("/review/<qid>/<int:n>")
    def review_decide(qid: str, n: int) -> Response:
        from qualcode.review.terminal import decisions_from

        coder = need_coder()
        p = project()
        queue = queue_or_rebuild(qid, coder)
        try:
            sid = int(request.form.get("segment_id", ""))
        except ValueError:
            raise UsageError("the form names no segment; reload the page") from None
        here = url_for("review_page", qid=qid, n=n)
        code_filter = queue.filters.code if queue else None
        action = request.form.get("action", "confirm")
        if action not in ("confirm", "accept_all", "reject_all", "memo"):
            raise UsageError(f"unknown action {action!r}")
        version = page_version(request.form)
        with p.transaction():  # BEGIN IMMEDIATE: the check and the write see the same state
            if views.segment_version(p, sid, [coder]) != version:
                raise StalePage(here)
            if action == "memo":
                text = (request.form.get("memo") or "").strip()
                counts = p.decide(coder, [Decision(sid, "memo", memo=text or None)], source="web",
                                  valid_codes=g.codebook.code_ids)
            else:
                item = p.review_item(coder, sid, code=code_filter)
                decisions = decisions_from(sid, entries_from_form(item, request.form, action))
                counts = p.decide(coder, decisions, source="web", done_segments=[] if code_filter else [sid],
                                  valid_codes=g.codebook.code_ids)
        changed = ", ".join(words().page(f"count_{name}", n=number) for name, number in counts.items() if number)
        flash(words().page("saved", what=changed or words().page("nothing_saved")))
        if action == "memo" or queue is None:
            return redirect(here)
        return redirect(url_for("review_page", qid=qid, n=n + 1))

    @app.post("/undo")
    def undo() -> Response:
        coder = need_coder()
        p = project()
        qid, n = request.form.get("qid", ""), int(request.form.get("n", "1") or 1)
        queue = queue_or_rebuild(qid, coder)
        here = url_for("review_page", qid=qid, n=n) if queue else url_for("review_start")
        version = page_version(request.form)
        with p.transaction():
            latest, source = views.undo_target(p, coder)
            if latest != version:
                raise StalePage(here)
            if source is not None and source != "web":
                raise UsageError(words().page("undo_elsewhere", source=source, coder=coder))
            undone = p.undo(coder)
        segments = sorted({e.segment_id for e in undone})
        changes = [e for e in undone if e.action != "segment_done"]
        flash(words().page("undone", n=len(changes), segments=", ".join(f"#{s}" for s in segments)))
        if queue is not None and segments and segments[0] in queue.ids:
            return redirect(url_for("review_page", qid=qid, n=queue.ids.index(segments[0]) + 1))
        return redirect(here)

    @app.get("/explain/<int:segment_id>")
    def explain(segment_id: int) -> tuple[str, int, dict[str, str]]:
        text = project().explain(segment_id)
        return text, 200, {"Content-Type": "text/plain; charset=utf-8"}

    # -- reconcile -----------------------------------------------------------------------------
    @app.get("/reconcile")
    def reconcile_page() -> Any:
        coder = need_coder()
        p, codebook, w = project(), g.codebook, words()
        humans = [c for c in p.coders() if c != RECONCILED]
        a, b = request.args.get("a") or "", request.args.get("b") or ""
        if not (a and b) and len(humans) >= 2:
            others = [c for c in humans if c != coder]
            a, b = (coder, others[0]) if coder in humans else (humans[0], humans[1])
        study = request.args.get("study") or app.config["QUALCODE_STUDY"]
        context: dict[str, Any] = {"humans": humans, "a": a, "b": b, "study": study, "studies": p.studies(),
                                   "disputes": None}
        if len(humans) < 2:
            return render("reconcile.html", **context)
        from qualcode.review.queue import segment_when

        first, second = p.check_coders([a, b])
        rows = []
        for d in p.disputes(first, second, study=study):
            union = sorted(d.first | d.second, key=lambda k: (list(codebook.code_ids).index(k[0])
                                                                if k[0] in codebook.code_ids else 99,
                                                                DIRECTIONS.index(k[1])))
            rows.append({"d": d, "when": segment_when(d.segment, w.language),
                         "first": views.codings_text(w, d.first, codebook),
                         "second": views.codings_text(w, d.second, codebook),
                         "settled": None if d.settled is None else views.codings_text(w, d.settled, codebook),
                         "union": [{"key": f"{c}|{dr}", "label": f"{w.code(c)} → {w.direction(dr)}",
                                    "colour": views.colour(codebook, c),
                                    "ticked": (c, dr) in (d.settled if d.settled is not None else d.first & d.second),
                                    "who": w.page("both") if (c, dr) in d.first and (c, dr) in d.second
                                    else w.page("only", coder=first if (c, dr) in d.first else second)}
                                   for c, dr in union],
                         "version": views.segment_version(p, d.segment.id, [first, second, RECONCILED])})
        context.update(a=first, b=second, disputes=rows, open=sum(r["d"].settled is None for r in rows),
                       codes=[(c, w.code(c)) for c in codebook.code_ids],
                       directions=[(dr, w.direction(dr)) for dr in DIRECTIONS])
        return render("reconcile.html", **context)

    @app.post("/reconcile")
    def reconcile_settle() -> Response:
        coder = need_coder()
        p, codebook = project(), g.codebook
        first, second = p.check_coders([request.form.get("a", ""), request.form.get("b", "")])
        study = request.form.get("study") or None
        sid = int(request.form.get("segment_id", "0") or 0)
        back = url_for("reconcile_page", a=first, b=second, study=study or None) + f"#s{sid}"
        version = page_version(request.form)
        choice = request.form.get("choice", "")
        with p.transaction():
            if views.segment_version(p, sid, [first, second, RECONCILED]) != version:
                raise StalePage(back)
            dispute = next((d for d in p.disputes(first, second, study=study) if d.segment.id == sid), None)
            if dispute is None:
                raise StalePage(back)
            if choice == "first":
                chosen, how = set(dispute.first), f"took {first}'s codings"
            elif choice == "second":
                chosen, how = set(dispute.second), f"took {second}'s codings"
            elif choice == "edit":
                chosen = set()
                for key in [*request.form.getlist("tick"), *request.form.getlist("add")]:
                    code, _, direction = key.partition("|")
                    if code not in codebook.code_ids or direction not in DIRECTIONS:
                        raise UsageError(f"no code {code!r} with direction {direction!r} in the codebook")
                    chosen.add((code, direction))
                how = "edited"
            else:
                raise UsageError(f"unknown choice {choice!r}: take the first's, the second's, or the ticked codes")
            p.settle(dispute, chosen, how=how, settled_by=coder)
        flash(words().page("saved", what=f"#{sid} {words().page('settled')}"))
        return redirect(back)

    # -- results -------------------------------------------------------------------------------
    def selection_from(args: Any) -> dict[str, Any]:
        p = project()
        coders = p.coders()
        who = args.get("who")
        if who is None:
            me = current_coder()
            who = f"coder:{me}" if me in coders else ("reconciled" if coders else "")
        suggested = bool(args.get("suggested")) if args.get("f") else not coders
        study = args.get("study") or app.config["QUALCODE_STUDY"]
        return {"who": who, "suggested": suggested, "study": study or None}

    def analysis_for(sel: dict[str, Any]) -> Any:
        who = sel["who"]
        return project().analyse(coder=who[6:] if who.startswith("coder:") else None, reconciled=who == "reconciled",
                                 include_suggested=sel["suggested"], study=sel["study"], per_cell=None,
                                 presence=False, auto_compare=False)

    def selection_args(sel: dict[str, Any], **extra: Any) -> str:
        args = {"f": "1", "who": sel["who"], **({"suggested": "1"} if sel["suggested"] else {}),
                **({"study": sel["study"]} if sel["study"] else {}), **extra}
        return urlencode(args)

    @app.get("/results")
    def results() -> Any:
        p, w = project(), words()
        sel = selection_from(request.args)
        coders = p.coders()
        context: dict[str, Any] = {"sel": sel, "coders": [c for c in coders if c != RECONCILED],
                                   "studies": p.studies(), "scopes": None, "error": None,
                                   "at": datetime.now().strftime("%H:%M:%S")}
        try:
            analysis = analysis_for(sel)
        except QualcodeError as exc:  # e.g. nothing decided yet: say so on the page, with the choices
            context["error"] = str(exc)
            return render("results.html", **context)
        scopes = []
        for scope in analysis.scopes():
            rows = []
            for code in scope.codes:
                cells = []
                for d in scope.directions:
                    cell = scope.cell(code, d)
                    cells.append({"text": w.cell(cell), "segments": cell.segments, "share": cell.share_of_cases,
                                  "href": url_for("passages") + "?" + selection_args(
                                      dict(sel, study=scope.study or sel["study"]), code=code, direction=d)})
                rows.append({"label": w.code(code), "cells": cells})
            scopes.append({"title": w.scope_title(scope), "line": w.scope_line(scope),
                           "directions": [w.direction(d) for d in scope.directions], "rows": rows})
        context["scopes"] = scopes
        context["legend"] = w("cell_legend")
        return render("results.html", **context)

    @app.get("/passages")
    def passages() -> Any:
        w = words()
        sel = selection_from(request.args)
        code, direction = request.args.get("code", ""), request.args.get("direction", "")
        from qualcode.review.queue import check_code

        check_code(g.codebook, code)
        if direction not in DIRECTIONS:
            raise UsageError(f"direction must be one of {', '.join(DIRECTIONS)}")
        analysis = analysis_for(sel)
        found = analysis.passages_for(code, direction)
        return render("passages.html", sel=sel, passages=found, source=w.source,
                      title=w.page("passages_title", aspect=w.code(code), direction=w.direction(direction), n=len(found)),
                      back=url_for("results") + "?" + selection_args(sel))

    app.extensions["qualcode_queues"] = queues
    return app

