"""The workbench as a Starlette application: pages over the manifest (DuckDB, read in place), decisions
written as archive records, users and roles from users.toml, an audit log.

Access rule, applied in SQL on every query that can show an item (search and its facet counts, item pages,
threads, worklists, exports, media): a reader sees only items whose access as it stands (an archivist's
decision, else the rules' tag) is not `restricted`; anything else answers 404, as if it did not exist.
"""

from __future__ import annotations

import contextlib
import csv
import io
import json
import os
import re
import secrets
import threading
import time
from collections import Counter, OrderedDict
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path
from urllib.parse import quote, urlencode

import duckdb
import pyarrow as pa
import pyarrow.parquet as pq
from jinja2 import Environment, FileSystemLoader, select_autoescape
from markupsafe import Markup, escape
from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware
from starlette.middleware.sessions import SessionMiddleware
from starlette.requests import Request
from starlette.responses import FileResponse, HTMLResponse, PlainTextResponse, RedirectResponse, Response
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles

from smarchive.archive import decisions
from smarchive.archive.decisions import EFFECTIVE
from smarchive.archive.ledger import new_session_id, recording
from smarchive.archive.query import SUMMARY_SQL, connect
from smarchive.archive.search import GAPS_SQL, search, search_params
from smarchive.archive.sql import LATE_MATERIALIZATION
from smarchive.archive.store import is_sha256
from smarchive.errors import SmarchiveError
from smarchive.model import STOCKHOLM
from smarchive.workbench import audit, replay, users
from smarchive.workbench.i18n import LANGUAGES, translate

HERE = Path(__file__).parent
PAGE_SIZE = 50
# At most this many DuckDB queries at once (each with DB_THREADS threads): twenty people opening pages together
# queue for a moment instead of each query fighting the others for memory and cores.
QUERIES = threading.BoundedSemaphore(4)
DB_THREADS = 2
THREAD_SHOWN = 500  # items of a thread shown on an item page
STATE_SECONDS = 0.1  # how long a look at the manifest's folders serves (a change elsewhere shows after this)
CACHE_ENTRIES = 256  # answers kept (overview counts, worklist and search pages), newest first
# where a kept page part's forms carry the session's CSRF token (filled in per request; random: in no text)
CSRF_SLOT = f"csrf-slot-{secrets.token_hex(16)}"
RESTRICTED = f"{EFFECTIVE['access']} = 'restricted'"
WORKLISTS = {  # name -> the items still open on it (decisions taken into account)
    "needs-review": EFFECTIVE["needs_review"],
    "register": f"list_contains({EFFECTIVE['actions']}, 'register') AND diarienummer IS NULL",
    "remove": f"list_contains({EFFECTIVE['actions']}, 'remove') AND removed_from_platform_at IS NULL",
    "cull": f"{EFFECTIVE['retention']} = 'cull-eligible' AND NOT {EFFECTIVE['needs_review']} "
            f"AND {EFFECTIVE['cull_from']} <= current_date",
}
LIST_COLUMNS = ("item_id, platform, account, year, item_type, published_at, author, text, tag_rule_ids, "
                f"{EFFECTIVE['category']} AS category, {EFFECTIVE['retention']} AS retention, "
                f"{EFFECTIVE['cull_from']} AS cull_from, {EFFECTIVE['actions']} AS actions, "
                f"{EFFECTIVE['access']} AS access, {EFFECTIVE['needs_review']} AS needs_review, "
                "diarienummer, removed_from_platform_at")
# What a search keeps of every result: the key, the time order and the facets (the text is read for a page only)
KEY_COLUMNS = ("item_id, platform, account, year, item_type, published_at, "
               f"{EFFECTIVE['category']} AS category, {EFFECTIVE['access']} AS access, "
               f"{EFFECTIVE['needs_review']} AS needs_review")
FACETS = ("year", "platform", "account", "item_type", "category", "needs_review", "access")
EXPORT_COLUMNS = ["item_id", "platform", "account", "year", "item_type", "published_local", "author", "text",
                  "category", "retention", "cull_from", "actions", "access", "needs_review", "rule_ids",
                  "diarienummer"]


@dataclass
class Settings:
    archive: Path
    users_file: Path
    storage: object  # smarchive.archive.store.Storage
    categories: dict[str, str]  # id -> title
    secret: str
    secure_cookies: bool = False
    replay_dir: Path | None = None  # ReplayWeb.page's ui.js, sw.js, LICENSE (scripts/setup.sh); None: no replay
    # the two origins as browsers reach them (scheme://host:port, no slash at the end): the workbench's, and the
    # replay's (make_replay_app: ReplayWeb.page's frames, sw.js and the WACZs, no sessions). "": no replay origin
    workbench_url: str = ""
    replay_url: str = ""


def session_secret(archive: Path) -> str:
    """The key that signs session cookies: made once, kept in the archive's workbench folder (mode 0600),
    never in the repository. Deleting it logs everyone out."""
    path = archive / "workbench" / "session.key"
    if not path.is_file():
        path.parent.mkdir(parents=True, exist_ok=True)
        with os.fdopen(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600), "w", encoding="ascii") as f:
            f.write(secrets.token_urlsafe(48))
    return path.read_text(encoding="ascii").strip()


def local_time(moment: datetime | None) -> str:
    return moment.astimezone(STOCKHOLM).strftime("%Y-%m-%d %H:%M %Z") if moment else ""


def safe_next(target: str | None) -> str:
    """Only a path of this site: no scheme, no host, no `//` or `/\\` (browsers read both as another host)."""
    if not target or not target.startswith("/") or target.startswith(("//", "/\\")) or any(
            c in target for c in "\r\n\t\\"):
        return "/"
    return target


def highlight(text: str, words: list[str]) -> Markup:
    """The text with every word that starts with one of `words` marked (as the word index matches)."""
    if not words:
        return escape(text)
    pattern = re.compile(r"(?<![^\W_])(?:" + "|".join(re.escape(w) for w in words) + r")[^\W_]*", re.IGNORECASE)
    out, last = [], 0
    for m in pattern.finditer(text):
        out += [escape(text[last:m.start()]), Markup("<mark>") + escape(m.group(0)) + Markup("</mark>")]
        last = m.end()
    out.append(escape(text[last:]))
    return Markup("").join(out)


def snippet(text: str, words: list[str], width: int = 240) -> str:
    """Some text around the first match (whole text when short)."""
    if len(text) <= width:
        return text
    low = text.lower()
    first = min([i for i in (low.find(w) for w in words) if i >= 0] or [0])
    start = max(0, first - width // 3)
    return ("…" if start else "") + text[start:start + width] + "…"


def evidence_marked(text: str, evidence: list[dict] | None) -> Markup:
    """The text with each piece of evidence marked at its offsets (rule id in the title)."""
    spans = sorted((e["start"], e["end"], e["rule_id"], e.get("name") or "") for e in evidence or []
                   if e.get("start") is not None and e.get("end") is not None
                   and 0 <= e["start"] < e["end"] <= len(text))
    out, last = [], 0
    for start, end, rule, name in spans:
        if start < last:  # overlapping evidence: the first mark covers it
            continue
        out += [escape(text[last:start]),
                Markup('<mark class="evidence" title="{}">').format(f"{rule}: {name}") + escape(text[start:end])
                + Markup("</mark>")]
        last = end
    out.append(escape(text[last:]))
    return Markup("").join(out)


def month_chart(rows: list[tuple[str, int]]) -> Markup:
    """Items per month as an inline SVG bar chart (no script, no external file)."""
    if not rows:
        return Markup("")
    width, height, bar = 720, 180, max(8, 700 // max(len(rows), 1) - 4)
    top = max(n for _, n in rows) or 1
    parts = [f'<svg class="chart" role="img" viewBox="0 0 {width} {height + 40}" width="{width}" '
             f'height="{height + 40}" xmlns="http://www.w3.org/2000/svg">']
    for i, (month, n) in enumerate(rows):
        h = round(n / top * height)
        x = 10 + i * (bar + 4)
        parts.append(f'<g><title>{escape(month)}: {n}</title><rect x="{x}" y="{height - h + 10}" width="{bar}" '
                     f'height="{h}" fill="#2b6cb0"/><text x="{x + bar / 2}" y="{height + 25}" font-size="9" '
                     f'text-anchor="middle">{escape(month[2:])}</text><text x="{x + bar / 2}" '
                     f'y="{height - h + 6}" font-size="9" text-anchor="middle">{n}</text></g>')
    parts.append("</svg>")
    return Markup("".join(parts))


class Workbench:
    def __init__(self, settings: Settings):
        self.s = settings
        self._cache: OrderedDict = OrderedDict()
        self._lock = threading.Lock()
        self._computing: dict[tuple, threading.Lock] = {}
        self._wacz_logged: dict[tuple[str, str], float] = {}  # (user, WACZ) -> when its reading was last audited
        self._con: duckdb.DuckDBPyConnection | None = None
        self._con_state: int | None = None
        self._state: tuple[float, int] | None = None
        self.templates = Environment(loader=FileSystemLoader(HERE / "templates"),
                                     autoescape=select_autoescape(["html"]))
        self.templates.globals.update(local_time=local_time, json_list=lambda v: ", ".join(v or []), enc=quote_path)

    # ------------------------------------------------------------------ plumbing

    def db(self) -> duckdb.DuckDBPyConnection:
        """A cursor of the connection for the archive as it is now. The connection (its views, the Parquet
        footers it has read) is made once per archive state and shared by every page: defining the views
        opens every manifest file, which costs more than most page queries themselves. Close the cursor."""
        state = self.state()
        with self._lock:
            if self._con is None or self._con_state != state:
                # the old connection stays open for the cursors still reading it; it goes when they do
                self._con, self._con_state = connect(self.s.archive), state
                self._con.execute(f"SET threads = {DB_THREADS}")  # several pages at once share the cores
            base = self._con
        cursor = base.cursor()
        cursor.execute(f"SET late_materialization_max_rows = {LATE_MATERIALIZATION}")  # a per-session setting
        return cursor

    def state(self) -> int:
        """The fingerprint of the manifest (`fingerprint`), looked at most every STATE_SECONDS: a page asks
        several times, twenty people at once ask many times. A decision made here forgets it at once."""
        now = time.monotonic()
        with self._lock:
            if self._state is not None and now - self._state[0] < STATE_SECONDS:
                return self._state[1]
        value = self.fingerprint()
        with self._lock:
            self._state = (now, value)
        return value

    def forget_state(self) -> None:
        with self._lock:
            self._state = None

    def fingerprint(self) -> int:
        """A fingerprint of what the pages show: the time of every folder of the manifest. The manifest's files
        are written atomically (a new name, then a rename) and removed, never changed in place, so a run, a cull,
        a reindex or a decision changes the time of the folder it writes in, and every cached answer is then
        stale. Folders, not files: a page asks this several times, and an archive holds thousands of files."""
        found = []
        pending = [self.s.archive / "manifest"]
        while pending:
            folder = pending.pop()
            try:
                found.append((str(folder), folder.stat().st_mtime_ns))
                pending += [Path(e.path) for e in os.scandir(folder) if e.is_dir(follow_symlinks=False)]
            except FileNotFoundError:  # removed while looked at: the next look sees the change
                found.append((str(folder), None))
        return hash(tuple(sorted(found, key=lambda f: f[0])))

    def warm(self) -> None:
        """Open the connection and compute the overview before the first person asks (server start)."""
        try:
            for role in ("archivist", "reader"):
                self.overview_data(users.User("warm-up", role))
        except Exception:  # noqa: BLE001 (a warm-up that fails leaves the first request to compute, as before)
            pass

    def cached(self, key: tuple, compute) -> list[dict]:  # noqa: ANN001 (a function of no arguments -> rows)
        """The answer to `key` for the archive as it is now: computed once, then served to everyone asking the same
        until the archive changes (many people opening the overview at 9 o'clock cost one query)."""
        key = (self.state(), *key)
        with self._lock:
            computing = self._computing.setdefault(key, threading.Lock())
        with computing:  # one computes, the others asking the same at that moment wait for its answer
            with self._lock:
                value = self._cache.get(key)
                if value is not None:
                    self._cache.move_to_end(key)
            if value is None:
                value = compute()
                with self._lock:
                    self._cache[key] = value
                    self._computing.pop(key, None)
                    while len(self._cache) > CACHE_ENTRIES:
                        self._cache.popitem(last=False)
        return [dict(r) for r in value]  # pages add keys to their rows: never to the kept ones

    def rows(self, sql: str, params: dict | None = None) -> list[dict]:
        def compute() -> list[dict]:
            with QUERIES:
                con = self.db()
                try:
                    return con.sql(sql, params=params or None).to_arrow_table().to_pylist()
                finally:
                    con.close()

        return self.cached(("rows", sql, tuple(sorted((params or {}).items()))), compute)

    def user(self, request: Request) -> users.User | None:
        name = request.session.get("user")
        return users.current(self.s.users_file, name) if name else None

    def need_user(self, request: Request) -> users.User:
        user = self.user(request)
        if user is None:
            request.session.pop("user", None)
            target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
            raise HTTPException(303, headers={"Location": "/login?" + urlencode({"next": target})})
        return user

    @staticmethod
    def csrf(request: Request) -> str:
        if "csrf" not in request.session:
            request.session["csrf"] = secrets.token_urlsafe(32)
        return request.session["csrf"]

    async def form(self, request: Request) -> dict:
        """The posted form, refused (403) unless it carries this session's CSRF token."""
        form = dict(await request.form())
        token = str(form.get("csrf") or request.headers.get("x-csrf-token") or "")
        expected = request.session.get("csrf")
        if not expected or not secrets.compare_digest(token.encode(), expected.encode()):
            raise HTTPException(403, "CSRF token missing or wrong")
        return form

    def lang(self, request: Request) -> str:
        lang = request.session.get("lang", "sv")
        return lang if lang in LANGUAGES else "sv"

    def page(self, request: Request, template: str, status: int = 200, **context) -> HTMLResponse:
        lang = self.lang(request)
        html = self.templates.get_template(template).render(
            t=lambda key: translate(lang, key), lang=lang, user=self.user(request), csrf=self.csrf(request),
            path=request.url.path + (f"?{request.url.query}" if request.url.query else ""),
            worklists=list(WORKLISTS), categories=self.s.categories, **context)
        return HTMLResponse(html, status)

    @staticmethod
    def visible(user: users.User) -> str:
        """The SQL condition a user's items meet (TRUE for those who may see restricted items)."""
        return "TRUE" if user.sees_restricted else f"NOT coalesce({RESTRICTED}, FALSE)"

    def audit(self, user: users.User, action: str, **what: object) -> None:
        audit.log(self.s.archive, user.name, user.role, action, **what)

    # ------------------------------------------------------------------ pages

    def login_page(self, request: Request) -> Response:
        return self.page(request, "login.html", next=safe_next(request.query_params.get("next")), failed=False)

    async def login(self, request: Request) -> Response:
        form = await self.form(request)
        target = safe_next(str(form.get("next") or "/"))
        user = await run_in_threadpool(users.authenticate, self.s.users_file, str(form.get("user", "")),
                                       str(form.get("password", "")))  # argon2 takes its time: not on the loop
        if user is None:
            return self.page(request, "login.html", 401, next=target, failed=True)
        lang = self.lang(request)
        request.session.clear()  # a new session on login (no fixation)
        request.session.update({"user": user.name, "csrf": secrets.token_urlsafe(32), "lang": lang})
        self.audit(user, "login")
        return RedirectResponse(target, 303)

    async def logout(self, request: Request) -> Response:
        await self.form(request)
        request.session.clear()
        # the replay's service worker keeps what it read of WACZs in the browser (IndexedDB, caches) on the replay
        # origin: its /logout page (outside the service worker's scope /replay/, which would answer for it) clears
        # that origin's storage (Clear-Site-Data counts for the origin that
        # answers it) and comes back to the login, so the next person at this browser finds nothing of it
        target = f"{self.s.replay_url}/logout" if self.s.replay_url else "/login"
        return RedirectResponse(target, 303, headers={"Clear-Site-Data": '"cache", "storage"'})

    async def language(self, request: Request) -> Response:
        form = await self.form(request)
        if form.get("lang") in LANGUAGES:
            request.session["lang"] = form["lang"]
        return RedirectResponse(safe_next(str(form.get("next") or "/")), 303)

    def open_counts(self, user: users.User) -> dict[str, int]:
        sums = ", ".join(f"count(*) FILTER (WHERE {cond}) AS \"{name}\"" for name, cond in WORKLISTS.items())
        return self.rows(f"SELECT {sums} FROM items WHERE {self.visible(user)}")[0]

    def overview(self, request: Request) -> Response:
        user = self.need_user(request)
        return self.page(request, "overview.html", **self.overview_data(user))

    def overview_data(self, user: users.User) -> dict:
        if user.sees_restricted:
            summary_sql = "SELECT * FROM account_summary"
        else:  # a reader's counts leave restricted items out, so they are counted from the items
            summary_sql = SUMMARY_SQL.format(source=f"SELECT * FROM items WHERE {self.visible(user)}")
        summary = self.rows(f"SELECT year, platform, account, sum(items)::BIGINT AS items, sum(posts)::BIGINT AS posts,"
                            " sum(comments)::BIGINT AS comments, sum(replies)::BIGINT AS replies, "
                            "sum(media)::BIGINT AS media, sum(to_register)::BIGINT AS to_register, "
                            "sum(to_remove)::BIGINT AS to_remove, sum(cull_eligible)::BIGINT AS cull_eligible, "
                            f"sum(needs_review)::BIGINT AS needs_review FROM ({summary_sql}) GROUP BY ALL ORDER BY ALL")
        months = self.rows("SELECT strftime(timezone('Europe/Stockholm', published_at), '%Y-%m') AS month, "
                           f"count(*) AS n FROM items WHERE {self.visible(user)} GROUP BY 1 ORDER BY 1")
        runs = self.rows("SELECT run_id, year, started_at, finished_at, items, accounts_failed, accounts_incomplete,"
                         " warnings, errors FROM runs ORDER BY started_at DESC LIMIT 20")
        return {"summary": summary, "runs": runs, "open": self.open_counts(user),
                "chart": month_chart([(m["month"], m["n"]) for m in months])}

    def search_sql(self, user: users.User, columns: str) -> str:
        """The saved search's SQL (archive/search.py gives the hits' items as search_items), with the access rule
        applied before anything is counted or shown."""
        return (f"SELECT {columns} FROM (SELECT i.* FROM search_items i "
                "WHERE $phrase IS NULL OR contains(lower(i.text), lower($phrase))) "
                f"WHERE {self.visible(user)} ORDER BY published_at, item_id, platform")

    def search_query(self, sql: str, text: str, year: int | None, limit: int | None = None,
                     offset: int = 0) -> pa.Table:
        with QUERIES:
            con = self.db()
            try:
                return search(con, sql, {"text": text, "year": year}, limit, offset)
            finally:
                con.close()

    def search_results(self, user: users.User, text: str, year: int | None) -> tuple[list[dict], list[str]]:
        """Every result with its text (an export)."""
        words = search_params(text)["words"]
        sql = self.search_sql(user, LIST_COLUMNS)
        found = self.cached(("search", sql, text, year),
                            lambda: self.search_query(sql, text, year).to_pylist())
        return found, words

    @staticmethod
    def facet_value(row: dict, facet: str) -> str:
        value = row.get(facet)
        return ("ja" if value else "nej") if facet == "needs_review" else str(value)

    def search_page(self, request: Request) -> Response:
        user = self.need_user(request)
        q = request.query_params
        text = (q.get("q") or "").strip()
        chosen = {f: q.get(f) for f in FACETS if q.get(f)}
        page = max(1, int(q.get("page") or 1)) if (q.get("page") or "1").isdigit() else 1
        part, error = {"html": "", "restricted": []}, None
        if text:
            try:
                part = self.search_part(user, self.lang(request), text, chosen, page)
            except SmarchiveError as e:
                error = str(e)
        if part["restricted"]:
            self.audit(user, "search-restricted", q=text, items=part["restricted"])
        return self.page(request, "search.html", q=text, error=error, results_html=part["html"],
                         gaps=self.search_gaps() if text else [])

    def search_gaps(self) -> list[str]:
        """Items files search could not read by their word index (search.index_gaps): said on every search,
        found once per archive state (when the connection is made) and kept."""
        return [r["gap"] for r in self.rows(GAPS_SQL)]

    def search_part(self, user: users.User, lang: str, text: str, chosen: dict[str, str], page: int) -> dict:
        """A search page's results and facets as HTML, with the restricted items shown: rendered once per
        archive state and kept, since marking the words and rendering the facets cost more than the lookup."""
        def compute() -> list[dict]:
            view = self.search_view(user, text, chosen)
            total = view["keys"].num_rows
            shown = self.rows_of(user, view["keys"].slice((page - 1) * PAGE_SIZE, PAGE_SIZE))
            return [self.results_part(lang, text, chosen, shown, total=total, page=page, facets=view["facets"],
                                      pages=(total + PAGE_SIZE - 1) // PAGE_SIZE)]

        key = ("search-page", self.visible(user), lang, text, tuple(sorted(chosen.items())), page)
        if not chosen and not self.is_cached(self.view_key(user, text, chosen)):
            return self.first_part(user, lang, text, page)
        return self.cached(key, compute)[0]

    def first_part(self, user: users.User, lang: str, text: str, page: int) -> dict:
        """A search page before its whole result is counted: the page's rows from the word index's first hits
        (as `smarchive query --saved search` pages them); the facets and the total come after, from
        /search/facets, since counting every hit of a common word at 10 M items takes seconds."""
        def compute() -> list[dict]:
            found = self.search_query(self.search_sql(user, LIST_COLUMNS), text, None, PAGE_SIZE + 1,
                                      (page - 1) * PAGE_SIZE).to_pylist()
            return [self.results_part(lang, text, {}, found[:PAGE_SIZE], total=None, page=page, facets=None,
                                      pages=None, more=len(found) > PAGE_SIZE)]

        return self.cached(("search-first", self.visible(user), lang, text, page), compute)[0]

    def results_part(self, lang: str, text: str, chosen: dict[str, str], shown: list[dict], **page: object) -> dict:
        """A page of search results as HTML, its words marked, with the restricted items it shows (for the audit).
        `page`: the template's total, page, facets, pages and `more` (facets and total None before they are
        counted)."""
        words = search_params(text)["words"]
        for r in shown:
            r["marked"] = highlight(snippet(r["text"] or "", words), words)
        html = self.templates.get_template("search_results.html").render(
            t=lambda key: translate(lang, key), results=shown, chosen=chosen,
            query=lambda **more: urlencode({"q": text, **chosen, **more}), **page)
        return {"html": Markup(html), "restricted": [r["item_id"] for r in shown if r["access"] == "restricted"]}

    def search_facets(self, request: Request) -> Response:
        """The facets and total of a search (htmx fills them into a first page): the whole result counted."""
        user = self.need_user(request)
        text = (request.query_params.get("q") or "").strip()
        if not text:
            raise HTTPException(404)
        lang = self.lang(request)
        try:
            view = self.search_view(user, text, {})
        except SmarchiveError as e:
            return HTMLResponse(f'<p class="error">{escape(str(e))}</p>')
        html = self.templates.get_template("search_facets.html").render(
            t=lambda key: translate(lang, key), facets=view["facets"], chosen={}, total=view["keys"].num_rows, oob=True,
            query=lambda **more: urlencode({"q": text, **more}))
        return HTMLResponse(html)

    def is_cached(self, key: tuple) -> bool:
        key = (self.state(), *key)  # state() takes the lock itself
        with self._lock:
            return key in self._cache

    def view_key(self, user: users.User, text: str, chosen: dict[str, str]) -> tuple:
        return ("search-view", self.visible(user), text, tuple(sorted(chosen.items())))

    def search_view(self, user: users.User, text: str, chosen: dict[str, str]) -> dict:
        """The results of a search narrowed by the chosen facets (their keys and facet columns only, in time
        order: no text is read but for a phrase's check), and the facet counts: computed once per archive
        state, so the next page (or the next person) reads only its page's rows (`rows_of`)."""
        def compute() -> list[dict]:
            sql = self.search_sql(user, KEY_COLUMNS)
            keys = self.cached(("search-keys", sql, text), lambda: [{"t": self.search_query(sql, text, None)}])[0]["t"]
            for facet, value in chosen.items():
                keys = keys.filter(self.facet_mask(keys.column(facet), facet, value))
            facets = {f: self.facet_counts(keys.column(f), f) for f in FACETS}
            return [{"keys": keys, "facets": facets}]

        return self.cached(self.view_key(user, text, chosen), compute)[0]

    @classmethod
    def facet_counts(cls, column: pa.ChunkedArray, facet: str) -> list[tuple[str, int]]:
        counts: Counter = Counter()
        for pair in column.value_counts().to_pylist():
            counts[cls.facet_value({facet: pair["values"]}, facet)] += pair["counts"]
        return sorted(counts.items())

    @classmethod
    def facet_mask(cls, column: pa.ChunkedArray, facet: str, value: str) -> pa.ChunkedArray:
        """The rows whose facet value (as facet_value shows it) is `value`."""
        import pyarrow.compute as pc

        wanted = [v for v in column.unique().to_pylist() if cls.facet_value({facet: v}, facet) == value]
        mask = pc.is_in(column, value_set=pa.array([v for v in wanted if v is not None], column.type))
        return pc.or_(pc.fill_null(mask, False), pc.is_null(column)) if None in wanted else pc.fill_null(mask, False)

    def rows_of(self, user: users.User, keys: pa.Table) -> list[dict]:
        """The list rows (text included) of the items `keys` names, in its order: only the row groups of their
        time span are read (items files are in time order)."""
        if not keys.num_rows:
            return []
        times = keys.column("published_at")
        found = self.rows(f"SELECT {LIST_COLUMNS} FROM items WHERE published_at BETWEEN $a AND $b "
                          "AND item_id IN (SELECT unnest(string_split($ids, chr(31)))) "
                          f"AND {self.visible(user)}",
                          {"a": min(times.to_pylist()), "b": max(times.to_pylist()),
                           "ids": "\x1f".join(keys.column("item_id").to_pylist())})
        by_key = {(r["platform"], r["item_id"]): r for r in found}
        return [by_key[k] for k in zip(keys.column("platform").to_pylist(), keys.column("item_id").to_pylist(),
                                       strict=True) if k in by_key]

    def item_row(self, user: users.User, platform: str, item_id: str) -> dict:
        rows = self.rows(f"SELECT * FROM items WHERE platform = $p AND item_id = $id AND {self.visible(user)}",
                         {"p": platform, "id": item_id})
        if not rows:
            raise HTTPException(404)
        return rows[0]

    def item_page(self, request: Request) -> Response:
        user = self.need_user(request)
        platform, item_id = request.path_params["platform"], request.path_params["item_id"]
        item = self.item_row(user, platform, item_id)
        current = decisions.current_tag(item)
        if current["access"] == "restricted":
            self.audit(user, "view-restricted", platform=platform, item_id=item_id)
        thread = self.thread(user, item)
        coverage = self.rows("SELECT * FROM coverage WHERE platform = $p AND post_id = $post ORDER BY run_id, kind",
                             {"p": platform, "post": item["post_id"] or item_id})
        past = self.rows(decisions.HISTORY_SQL, {"id": item_id, "platform": platform})
        return self.page(request, "item.html", item=item, thread_html=thread["html"], hidden=thread["hidden"],
                         more=thread["more"], current=current, coverage=coverage, history=past,
                         today=date.today().isoformat(),
                         replayable=self.may_read_wacz(user, item["year"], item["account"]))

    def thread(self, user: users.User, item: dict) -> dict:
        """The item's thread as HTML (a thread of thousands in its first THREAD_SHOWN items, the post first, the
        item always among them), with the counts of items not shown: rendered once per archive state and kept,
        since rendering hundreds of messages costs more than reading them."""
        item_id = item["item_id"]
        where = {"p": item["platform"], "post": item["post_id"] or item_id, "id": item_id}

        def compute() -> list[dict]:
            rows = sorted(self.rows("SELECT * FROM items WHERE platform = $p AND post_id = $post AND "
                                    f"{self.visible(user)} ORDER BY item_id = $id DESC, item_id = $post DESC, "
                                    f"published_at, item_id LIMIT {THREAD_SHOWN}", where),
                          key=lambda r: (r["item_id"] != where["post"], r["published_at"], r["item_id"]))
            counts = self.rows(f"SELECT count(*) AS total, count(*) FILTER (WHERE {self.visible(user)}) AS visible "
                               "FROM items WHERE platform = $p AND post_id = $post",
                               {"p": where["p"], "post": where["post"]})[0]
            for r in rows:
                r["marked"] = evidence_marked(r["text"] or "", r["tag_evidence"]) if r["item_id"] == item_id \
                    else escape(r["text"] or "")
            html = Markup(self.templates.get_template("thread.html").render(thread=nest(rows), item=item))
            return [{"html": html, "hidden": counts["total"] - counts["visible"],
                     "more": counts["visible"] - len(rows)}]

        return self.cached(("thread", self.visible(user), where["p"], item_id), compute)[0]

    def media(self, request: Request) -> Response:
        user = self.need_user(request)
        sha = request.path_params["sha256"]
        if not is_sha256(sha):
            raise HTTPException(404)
        rows = self.rows(f"SELECT item_id, platform, {EFFECTIVE['access']} AS access, "
                         "list_filter(media, lambda m: m.sha256 = $sha)[1].content_type AS content_type "
                         f"FROM items WHERE list_contains(media_sha256, $sha) AND {self.visible(user)}", {"sha": sha})
        if not rows:
            raise HTTPException(404)
        if all(r["access"] == "restricted" for r in rows):
            self.audit(user, "media-restricted", sha256=sha, items=[r["item_id"] for r in rows])
        try:
            data = self.s.storage.get(sha)
        except (FileNotFoundError, SmarchiveError):
            raise HTTPException(404) from None
        kind = rows[0]["content_type"] or "application/octet-stream"
        return Response(data, media_type=kind, headers={"X-Content-SHA256": sha, "Content-Security-Policy": "sandbox",
                                                        "Cache-Control": "private, max-age=3600"})

    def screenshot(self, request: Request) -> Response:
        from smarchive.archive.warc import read_record_at

        user = self.need_user(request)
        item = self.item_row(user, request.path_params["platform"], request.path_params["item_id"])
        if item["screenshot_offset"] is None or not item["warc_file"]:
            raise HTTPException(404)
        warc = (self.s.archive / item["warc_file"]).resolve()
        if not warc.is_relative_to(self.s.archive.resolve()) or not warc.is_file():
            raise HTTPException(404)
        headers, body = read_record_at(warc, item["screenshot_offset"])
        if headers.get("WARC-Record-ID") != item["screenshot_record_id"]:
            raise HTTPException(404)  # the WARC was rewritten (a cull): the offset no longer holds it
        if decisions.current_tag(item)["access"] == "restricted":
            self.audit(user, "screenshot-restricted", platform=item["platform"], item_id=item["item_id"])
        return Response(body, media_type="image/png", headers={"Cache-Control": "private, max-age=3600"})

    # ------------------------------------------------------------------ "as it looked" (ReplayWeb.page)

    def wacz_holds_restricted(self, year: int, account: str) -> bool:
        """Whether the account's WACZ of the year holds a restricted item: it holds every page of the account
        captured that year, so one restricted comment makes the whole file one a reader may not have."""
        return self.rows(f"SELECT count(*) FILTER (WHERE coalesce({RESTRICTED}, FALSE)) AS n FROM items "
                         "WHERE year = $y AND account = $a", {"y": year, "a": account})[0]["n"] > 0

    def may_read_wacz(self, user: users.User, year: int, account: str) -> bool:
        return user.sees_restricted or not self.wacz_holds_restricted(year, account)

    def replay_page(self, request: Request) -> Response:
        user = self.need_user(request)
        item = self.item_row(user, request.path_params["platform"], request.path_params["item_id"])
        if not self.may_read_wacz(user, item["year"], item["account"]):
            raise HTTPException(404)  # a reader, and the account's WACZ holds restricted items: as if none
        if decisions.current_tag(item)["access"] == "restricted":
            self.audit(user, "replay-restricted", platform=item["platform"], item_id=item["item_id"])
        wacz = replay.wacz_file(self.s.archive, str(item["year"]), item["account"])
        url, stamp = replay.target(item)
        # the WACZ on the replay origin, with a token for this user, account and year (that origin has no session)
        grant = replay.token(self.s.secret, user.name, item["year"], item["account"])
        source = (f"{self.s.replay_url}/wacz/{item['year']}/{quote_path(item['account'])}.wacz?"
                  + urlencode({"token": grant}))
        response = self.page(request, "replay.html", item=item, url=url, ts=stamp,
                             installed=replay.installed(self.s.replay_dir) and bool(self.s.replay_url),
                             version=replay.version(self.s.replay_dir), replay_base=f"{self.s.replay_url}/replay/",
                             source=source if wacz else None)
        # this page alone may frame anything, and only the replay origin
        frames = self.s.replay_url or NONE
        response.headers["Content-Security-Policy"] = f"{policy(self.s.replay_url)}; frame-src {frames}"
        return response

    def wacz(self, request: Request) -> Response:
        """The account's WACZ on the replay origin, with HTTP Range (ReplayWeb.page reads the parts it needs), for
        the holder of a token the workbench made (no session here): for those who see restricted items, and for a
        reader only when it holds none. No token, a wrong or expired one, one for another account or year: 403."""
        year, account = request.path_params["year"], request.path_params["account"]
        name = replay.check(self.s.secret, request.query_params.get("token") or "", year, account)
        user = users.current(self.s.users_file, name) if name else None
        if user is None:
            raise HTTPException(403)
        path = replay.wacz_file(self.s.archive, year, account)
        if path is None or not self.may_read_wacz(user, int(year), account):
            raise HTTPException(404)
        if user.sees_restricted and self.wacz_holds_restricted(int(year), account):
            self.audit_wacz(user, path)
        return FileResponse(path, media_type="application/wacz+zip",
                            headers={"Cache-Control": "private, no-store", "Content-Security-Policy": "sandbox"})

    def audit_wacz(self, user: users.User, path: Path) -> None:
        """A replay reads a WACZ in dozens of Range requests: the audit log gets one line per user and file
        every ten minutes, not one per request."""
        key, now = (user.name, str(path)), time.monotonic()
        with self._lock:
            if now - self._wacz_logged.get(key, -3600.0) < 600:
                return
            self._wacz_logged[key] = now
        self.audit(user, "wacz-restricted", wacz=str(path.relative_to(self.s.archive.resolve())))

    def replay_frame(self, request: Request) -> Response:
        """The page the replay frame opens at /replay/ of the replay origin before the service worker answers for it
        (its first load; afterwards sw.js serves the same page itself): ReplayWeb.page's app, framed by the
        workbench's origin only. It holds nothing of the archive: the WACZ needs its token."""
        if not replay.installed(self.s.replay_dir):
            raise HTTPException(404)
        policy = replay.FRAME_CSP.format(workbench=self.s.workbench_url or "'none'")
        return HTMLResponse(replay.FRAME_HTML, headers={"Cache-Control": "no-cache",
                                                        "Content-Security-Policy": policy})

    def replay_logout(self, request: Request) -> Response:
        """Where the workbench's logout passes: the replay origin's storage (the service worker, what it kept of
        WACZs) cleared, then back to the workbench's login (a fixed address: no redirect to elsewhere)."""
        login = escape(f"{self.s.workbench_url}/login")
        return HTMLResponse(f'<!doctype html><meta http-equiv="refresh" content="0;url={login}">'
                            f'<a href="{login}">login</a>\n',
                            headers={"Clear-Site-Data": '"cache", "storage"', "Cache-Control": "no-store"})

    def replay_asset(self, request: Request) -> Response:
        """ui.js, sw.js and the licence, unmodified, from where setup put them: all three on the replay origin
        (sw.js from /replay/ so that its scope covers the replay frames under /replay/), ui.js and the licence on
        the workbench too (its "as it looked" page draws the <replay-web-page> element with ui.js)."""
        name = request.path_params["name"]
        if name not in request.scope["app"].state.replay_assets or not replay.installed(self.s.replay_dir):
            raise HTTPException(404)
        kind = {"ui.js": "text/javascript", "sw.js": "text/javascript"}.get(name, "text/plain")
        return FileResponse(self.s.replay_dir / name, media_type=kind,  # type: ignore[operator]
                            headers={"Cache-Control": "no-cache"})

    def worklist_rows(self, user: users.User, name: str, year: int | None, limit: int | None,
                      offset: int = 0) -> list[dict]:
        bound = f" LIMIT {int(limit)} OFFSET {int(offset)}" if limit is not None else ""
        return self.rows(f"SELECT {LIST_COLUMNS} FROM items WHERE ({WORKLISTS[name]}) AND {self.visible(user)} "
                         "AND ($year IS NULL OR year = $year) ORDER BY published_at, item_id, platform" + bound,
                         {"year": year})

    @staticmethod
    def year_param(request: Request) -> int | None:
        year = request.query_params.get("year") or ""
        return int(year) if year.isdigit() else None

    def worklist(self, request: Request) -> Response:
        user = self.need_user(request)
        name = request.path_params["name"]
        if name not in WORKLISTS:
            raise HTTPException(404)
        year = self.year_param(request)
        page_no = int(request.query_params.get("page", "1")) if request.query_params.get("page", "1").isdigit() else 1
        page_no = max(1, page_no)
        part = self.worklist_part(request, user, name, year, page_no)
        if part["restricted"]:
            self.audit(user, "worklist-restricted", worklist=name, items=part["restricted"])
        open_now = self.open_counts(user)[name]
        rows_html = Markup(part["html"].replace(CSRF_SLOT, self.csrf(request)))
        return self.page(request, "worklist.html", name=name, rows_html=rows_html, year=year, page=page_no,
                         total=open_now, pages=(open_now + PAGE_SIZE - 1) // PAGE_SIZE)

    def worklist_part(self, request: Request, user: users.User, name: str, year: int | None, page_no: int) -> dict:
        """A worklist page's rows and their decision forms as HTML, with the restricted items shown: rendered once
        per archive state and kept (CSRF_SLOT where the session's token goes). Rendering fifty forms costs more
        than reading the rows: twenty people at once otherwise queue for the interpreter (p95 up to 350 ms)."""
        lang, today = self.lang(request), date.today().isoformat()
        path = request.url.path + (f"?{request.url.query}" if request.url.query else "")

        def compute() -> list[dict]:
            rows = self.worklist_rows(user, name, year, PAGE_SIZE, (page_no - 1) * PAGE_SIZE)
            for r in rows:
                r["marked"] = escape(snippet(r["text"] or "", []))
            html = self.templates.get_template("worklist_rows.html").render(
                t=lambda key: translate(lang, key), rows=rows, user=user, categories=self.s.categories, today=today,
                path=path, csrf=CSRF_SLOT, name=name)
            return [{"html": html, "restricted": [r["item_id"] for r in rows if r["access"] == "restricted"]}]

        key = ("worklist-page", self.visible(user), user.role, lang, today, path, name, year, page_no)
        return self.cached(key, compute)[0]

    def export(self, request: Request) -> Response:
        user = self.need_user(request)
        what, fmt = request.path_params["what"], request.path_params["fmt"]
        if fmt not in ("csv", "parquet"):
            raise HTTPException(404)
        if what == "search":
            text = (request.query_params.get("q") or "").strip()
            try:
                rows, _ = self.search_results(user, text, None)
            except SmarchiveError as e:
                raise HTTPException(400, str(e)) from None
            chosen = {f: request.query_params.get(f) for f in FACETS if request.query_params.get(f)}
            rows = [r for r in rows if all(self.facet_value(r, f) == v for f, v in chosen.items())]
        elif what in WORKLISTS:
            rows = self.worklist_rows(user, what, self.year_param(request), None)
        else:
            raise HTTPException(404)
        self.audit(user, "export", what=what, format=fmt, rows=len(rows),
                   restricted=[r["item_id"] for r in rows if r["access"] == "restricted"])
        out = [{"item_id": r["item_id"], "platform": r["platform"], "account": r["account"], "year": r["year"],
                "item_type": r["item_type"], "published_local": local_time(r["published_at"]),
                "author": r["author"], "text": r["text"], "category": r["category"], "retention": r["retention"],
                "cull_from": r["cull_from"].isoformat() if r["cull_from"] else "", "actions": list(r["actions"] or []),
                "access": r["access"], "needs_review": bool(r["needs_review"]),
                "rule_ids": list(r["tag_rule_ids"] or []), "diarienummer": r["diarienummer"] or ""} for r in rows]
        name = f"smarchive-{what}-{datetime.now(UTC):%Y%m%dT%H%M%SZ}.{fmt}"
        headers = {"Content-Disposition": f'attachment; filename="{name}"'}
        if fmt == "parquet":
            buffer = io.BytesIO()
            pq.write_table(pa.Table.from_pylist(out) if out else pa.table({c: [] for c in EXPORT_COLUMNS}), buffer)
            return Response(buffer.getvalue(), media_type="application/vnd.apache.parquet", headers=headers)
        text_out = io.StringIO(newline="")
        writer = csv.DictWriter(text_out, fieldnames=EXPORT_COLUMNS, delimiter=";", lineterminator="\r\n")
        writer.writeheader()
        for r in out:
            writer.writerow({**r, "actions": json.dumps(r["actions"], ensure_ascii=False),
                             "rule_ids": json.dumps(r["rule_ids"], ensure_ascii=False),
                             "needs_review": "ja" if r["needs_review"] else ""})
        return Response(("\ufeff" + text_out.getvalue()).encode("utf-8"), media_type="text/csv; charset=utf-8",
                        headers=headers)

    async def decide(self, request: Request) -> Response:
        # on the event loop, one at a time: the fixity ledger's recording is one per process
        user = self.need_user(request)
        form = await self.form(request)
        kind = str(form.get("kind", ""))
        if not user.may(kind):
            raise HTTPException(403, f"role {user.role} may not record a {kind or 'decision'}")
        item = self.item_row(user, request.path_params["platform"], request.path_params["item_id"])
        try:
            decision = self.decision_of(item, user, kind, form)
            with recording(self.s.archive, new_session_id("workbench")):
                decisions.record(self.s.archive, decision)
            self.forget_state()
        except (SmarchiveError, ValueError) as e:
            message = str(e).splitlines()[0]
            if request.headers.get("hx-request"):
                return HTMLResponse(f'<span class="error">{escape(message)}</span>', 400)
            return PlainTextResponse(message, 400)
        self.audit(user, "decision", kind=kind, platform=item["platform"], item_id=item["item_id"],
                   decision_id=decision.decision_id)
        if request.headers.get("hx-request"):
            return HTMLResponse(f'<span class="recorded">{escape(translate(self.lang(request), "recorded"))}</span>')
        return RedirectResponse(safe_next(str(form.get("next") or "/")), 303)

    def decision_of(self, item: dict, user: users.User, kind: str, form: dict) -> decisions.Decision:
        reason = str(form.get("reason") or "")
        if kind == "registered":
            return decisions.registered(item, user.name, user.role, str(form.get("diarienummer") or ""), reason)
        if kind == "removed":
            when = datetime.fromisoformat(str(form.get("removed_at") or ""))
            return decisions.removed(item, user.name, user.role,
                                     when if when.tzinfo else when.replace(tzinfo=STOCKHOLM), reason)
        if form.get("confirm"):
            return decisions.review(item, user.name, user.role, reason)
        category = str(form.get("category") or "") or None
        if category is not None and category not in self.s.categories:
            raise SmarchiveError(f"unknown category {category!r}")
        cull_from = str(form.get("cull_from") or "")
        actions = [a for a in decisions.ACTIONS if form.get(f"action_{a}")]
        return decisions.review(item, user.name, user.role, reason, category=category,
                                retention=str(form.get("retention") or "") or None,
                                cull_from=date.fromisoformat(cull_from) if cull_from else None,
                                actions=actions, access=str(form.get("access") or "") or None)


def nest(thread: list[dict]) -> list[dict]:
    """The thread in reading order with a depth: the post, each comment followed by its replies."""
    children: dict[str | None, list[dict]] = {}
    ids = {r["item_id"] for r in thread}
    for r in thread:
        parent = r["parent_id"] if r["parent_id"] in ids else None
        children.setdefault(parent, []).append(r)
    out: list[dict] = []

    def walk(parent: str | None, depth: int) -> None:
        for r in children.get(parent, []):
            r["depth"] = depth
            out.append(r)
            walk(r["item_id"], depth + 1)

    walk(None, 0)
    return out


NONE = "'none'"
CSP = ("default-src 'self'; img-src 'self' data:; style-src 'self' 'unsafe-inline'; frame-ancestors 'none'; "
       "form-action 'self'")


def policy(replay_url: str) -> str:
    """The workbench pages' Content-Security-Policy. The logout form's answer sends the browser on to the replay
    origin's /logout, and form-action counts for redirects after a form: it names that origin."""
    return f"{CSP} {replay_url}" if replay_url else CSP


def cross_site(request: Request, replay_url: str) -> bool:
    """Whether a browser sent this request on behalf of another origin's page: the replay origin's (its Origin), or
    any other page's fetch, frame, image or script (Fetch Metadata: `Sec-Fetch-Site` other than same-origin or
    none). A link followed from elsewhere (a top-level navigation) still opens a page; requests without these
    headers (no browser's) are left to the session and the CSRF token. Note 127.0.0.1:8780 and :8781 are one
    *site*, so SameSite=Strict alone sends the session cookie along from the replay origin."""
    origin = request.headers.get("origin")
    if replay_url and origin == replay_url:
        return True
    site = request.headers.get("sec-fetch-site")
    if site in (None, "same-origin", "none"):
        return False
    return not (request.headers.get("sec-fetch-mode") == "navigate" and request.method in ("GET", "HEAD")
                and request.headers.get("sec-fetch-dest") == "document")


async def security_headers(request: Request, call_next):  # noqa: ANN001, ANN201 (Starlette middleware)
    started = time.perf_counter()
    replay_url = request.app.state.settings.replay_url
    if cross_site(request, replay_url):
        response: Response = PlainTextResponse("cross-origin request refused", 403)
    else:
        response = await call_next(request)
    # the server's own time for the page (benchmarks/workbench.py reads it; browsers show it in their tools)
    response.headers["Server-Timing"] = f"app;dur={(time.perf_counter() - started) * 1000:.1f}"
    response.headers.setdefault("Content-Security-Policy", policy(replay_url))
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Referrer-Policy"] = "same-origin"
    response.headers["X-Frame-Options"] = "DENY"  # the workbench is framed by nobody, the replay origin neither
    return response


async def replay_headers(request: Request, call_next):  # noqa: ANN001, ANN201 (Starlette middleware)
    """The replay origin's answers: not to be sniffed, and framed by nobody except its frame page (its own CSP
    names the workbench's origin)."""
    response = await call_next(request)
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Referrer-Policy"] = "no-referrer"
    # the policy of a page or worker here is ReplayWeb.page's frame's (sw.js takes the policy it is served with: it
    # fetches the WACZ from this origin), framed by nobody except that frame page, which names the workbench
    response.headers.setdefault("Content-Security-Policy", replay.FRAME_CSP.format(workbench=NONE))
    return response


async def http_error(request: Request, exc: HTTPException) -> Response:
    if exc.status_code == 303:
        return RedirectResponse(exc.headers["Location"], 303)
    return PlainTextResponse(str(exc.detail), exc.status_code)


def make_app(settings: Settings) -> Starlette:
    from starlette.middleware.base import BaseHTTPMiddleware

    bench = Workbench(settings)

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette):  # noqa: ANN202, ARG001 (Starlette's lifespan protocol)
        # the views and the overview ready before the first person comes, without holding up the start
        threading.Thread(target=bench.warm, name="workbench-warm-up", daemon=True).start()
        yield

    routes = [
        Route("/login", bench.login_page, methods=["GET"]),
        Route("/login", bench.login, methods=["POST"]),
        Route("/logout", bench.logout, methods=["POST"]),
        Route("/language", bench.language, methods=["POST"]),
        Route("/", bench.overview),
        Route("/search", bench.search_page),
        Route("/search/facets", bench.search_facets),
        Route("/item/{platform}/{item_id:path}", bench.item_page),
        Route("/as-it-looked/{platform}/{item_id:path}", bench.replay_page),
        Route("/replay/{name}", bench.replay_asset, methods=["GET", "HEAD"]),  # ui.js and LICENSE only
        Route("/decide/{platform}/{item_id:path}", bench.decide, methods=["POST"]),
        Route("/screenshot/{platform}/{item_id:path}", bench.screenshot),
        Route("/media/{sha256}", bench.media),
        Route("/worklist/{name}", bench.worklist),
        Route("/export/{what}.{fmt}", bench.export),
        Mount("/static", StaticFiles(directory=HERE / "static"), name="static"),
    ]
    middleware = [
        Middleware(SessionMiddleware, secret_key=settings.secret, session_cookie="smarchive_workbench",
                   max_age=8 * 3600, same_site="strict", https_only=settings.secure_cookies),
        Middleware(BaseHTTPMiddleware, dispatch=security_headers),
    ]
    app = Starlette(routes=routes, middleware=middleware, exception_handlers={HTTPException: http_error},
                    lifespan=lifespan)
    app.state.settings, app.state.replay_assets = settings, ("ui.js", "LICENSE")
    return app


def make_replay_app(settings: Settings) -> Starlette:
    """The replay origin (`smarchive serve --replay-port`): ReplayWeb.page's frame, ui.js, sw.js and licence, and
    the WACZs for a token. No session middleware: the workbench's cookie, which the browser sends here too, counts
    for nothing. A script in a replayed page runs on this origin and so cannot read the workbench's pages."""
    from starlette.middleware.base import BaseHTTPMiddleware

    bench = Workbench(settings)
    routes = [
        Route("/wacz/{year}/{account}.wacz", bench.wacz, methods=["GET", "HEAD"]),
        Route("/replay/", bench.replay_frame),
        Route("/logout", bench.replay_logout),
        Route("/replay/{name}", bench.replay_asset, methods=["GET", "HEAD"]),
    ]
    app = Starlette(routes=routes, middleware=[Middleware(BaseHTTPMiddleware, dispatch=replay_headers)],
                    exception_handlers={HTTPException: http_error})
    app.state.settings, app.state.replay_assets = settings, replay.ASSETS
    return app


def quote_path(value: str) -> str:
    return quote(value, safe="")
