"""Redaction for `smarchive cull`: what of a captured payload belongs to a culled item, and its removal.

HTML and JSON payloads are parsed with positions. Each JSON object and HTML element is *owned* by the
item whose id is one of its plain values / attribute values (innermost wins: a comment node owns its
body, its reply nodes own theirs). Inside a culled item's own node, strings holding its text or equal
to its author's name become "[gallrad]"; inside a preserved item's node nothing is touched, so a
preserved "Tack!" stays while a culled "Tack!" goes. Outside any item's node only texts no preserved
item contains are replaced (whole strings from 6 characters, substrings from 12). Everything else of
the payload stays byte-identical.
"""

from __future__ import annotations

import html
import json
import re
from collections.abc import Iterable
from dataclasses import dataclass

MARK = "[gallrad]"
UNSCOPED_WHOLE_MIN = 6  # outside any item's node, a whole string equal to a culled text is replaced from this length
UNSCOPED_PART_MIN = 12  # ... and a culled text inside a longer string from this length


@dataclass
class Culled:
    texts: tuple[str, ...]
    authors: tuple[str, ...]


class Redactor:
    """Decides, string by string, what of a payload belongs to a culled item (see the module docstring)."""

    PRIORITY = ("legacy_fbid", "item_id", "post_id", "id")

    def __init__(self, culled: dict[str, Culled], known_ids: set[str], preserved_texts: Iterable[str]):
        self.culled = culled
        self.known = {i for i in known_ids | set(culled) if i and len(i) >= 4}
        preserved = list(preserved_texts)
        texts = sorted({t for c in culled.values() for t in c.texts if t and t.strip()}, key=len, reverse=True)
        self.unambiguous = [t for t in texts if not any(t in p for p in preserved)]
        self.ambiguous = [t for t in texts if t not in self.unambiguous]
        self.replaced = 0
        self.left_ambiguous = 0

    def owner(self, candidates: list[tuple[str, str]]) -> str | None:
        """The item a JSON object / HTML element belongs to: one of its own plain values is a known id."""
        hits = [(name, value) for name, value in candidates if value in self.known]
        if not hits:
            return None
        for key in self.PRIORITY:
            for name, value in hits:
                if name == key:
                    return value
        return hits[0][1]

    def value(self, value: str, owner: str | None, loose: bool = False) -> str | None:
        """The redacted string, or None if nothing of it is culled content."""
        if MARK in value and not value.replace(MARK, "").strip():
            return None
        if owner is not None:
            item = self.culled.get(owner)
            if item is None:
                return None  # a preserved item's own content: never touched
            new = value
            for text in sorted(item.texts, key=len, reverse=True):
                if text and text in new:
                    new = new.replace(text, MARK)
            stripped = value.strip()
            if new == value and stripped:
                if stripped in item.authors:
                    new = MARK
                elif loose:  # a DOM text node: a cut ("…") or split part of the text
                    part = stripped.rstrip("…").strip()
                    if part and (len(part) >= 3 or part == stripped) and any(part in t for t in item.texts):
                        new = MARK
            if new != value:
                self.replaced += 1
                return new
            return None
        new = value
        for text in self.unambiguous:
            if (new.strip() == text and len(text) >= UNSCOPED_WHOLE_MIN) or (len(text) >= UNSCOPED_PART_MIN
                                                                              and text in new):
                new = new.replace(text, MARK)
        for text in self.ambiguous:
            if new.strip() == text or (len(text) >= UNSCOPED_PART_MIN and text in new):
                self.left_ambiguous += 1
        if new != value:
            self.replaced += 1
            return new
        return None

    def loose_text(self, text: str) -> str:
        """A payload that could not be parsed: replace only unambiguous texts, in their escaped forms too."""
        for t in self.unambiguous:
            if len(t) < UNSCOPED_PART_MIN:
                continue
            for form in {t, json.dumps(t)[1:-1], json.dumps(t, ensure_ascii=False)[1:-1], html.escape(t),
                         html.escape(t, quote=False)}:
                if form in text:
                    self.replaced += text.count(form)
                    text = text.replace(form, MARK)
        return text


# --- JSON with positions


_J_STR = re.compile(r'"(?:[^"\\]|\\.)*"', re.S)
_J_NUM = re.compile(r"-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?")
_J_WS = re.compile(r"[ \t\n\r]*")
_J_LIT = ("true", "false", "null")


class _JsonSpans:
    """A JSON reader that keeps where each string is, so it can be replaced in place."""

    def __init__(self, text: str, pos: int = 0):
        self.s = text
        self.i = pos

    def ws(self) -> None:
        self.i = _J_WS.match(self.s, self.i).end()

    def value(self, depth: int = 0):
        if depth > 400:
            raise ValueError("too deep")
        self.ws()
        c = self.s[self.i:self.i + 1]
        if c == "{":
            self.i += 1
            pairs = []
            self.ws()
            if self.s.startswith("}", self.i):
                self.i += 1
                return ("o", pairs)
            while True:
                self.ws()
                key = self.value(depth + 1)
                if key[0] != "s":
                    raise ValueError("object key is not a string")
                self.ws()
                if not self.s.startswith(":", self.i):
                    raise ValueError("':' expected")
                self.i += 1
                pairs.append((key[3], self.value(depth + 1)))
                self.ws()
                if self.s.startswith(",", self.i):
                    self.i += 1
                elif self.s.startswith("}", self.i):
                    self.i += 1
                    return ("o", pairs)
                else:
                    raise ValueError("',' or '}' expected")
        if c == "[":
            self.i += 1
            items = []
            self.ws()
            if self.s.startswith("]", self.i):
                self.i += 1
                return ("a", items)
            while True:
                items.append(self.value(depth + 1))
                self.ws()
                if self.s.startswith(",", self.i):
                    self.i += 1
                elif self.s.startswith("]", self.i):
                    self.i += 1
                    return ("a", items)
                else:
                    raise ValueError("',' or ']' expected")
        if c == '"':
            m = _J_STR.match(self.s, self.i)
            if not m:
                raise ValueError("unterminated string")
            self.i = m.end()
            return ("s", m.start(), m.end(), json.loads(m.group()))
        m = _J_NUM.match(self.s, self.i)
        if m and m.end() > self.i:
            self.i = m.end()
            return ("p", m.group())
        for lit in _J_LIT:
            if self.s.startswith(lit, self.i):
                self.i += len(lit)
                return ("p", lit)
        raise ValueError(f"unexpected {c!r} at {self.i}")


def parse_json_documents(text: str, start: int = 0, end: int | None = None) -> list | None:
    """Every JSON value in text[start:end] (one, or several one after another), or None if it is not JSON."""
    end = len(text) if end is None else end
    reader = _JsonSpans(text[:end], start)
    reader.ws()
    if text.startswith("for (;;);", reader.i):
        reader.i += len("for (;;);")
    docs = []
    try:
        while True:
            reader.ws()
            if reader.i >= end:
                return docs or None
            docs.append(reader.value())
    except (ValueError, RecursionError):
        return None


def redact_json(text: str, docs: list, redactor: Redactor, owner: str | None, in_script: bool = False,
                edits: list | None = None) -> list:
    """Edits (start, end, replacement) for the culled strings in parsed JSON documents."""
    edits = [] if edits is None else edits

    def encode(new: str, raw: str) -> str:
        out = json.dumps(new, ensure_ascii="\\u" in raw)
        if in_script:
            out = out.replace("</", "<\\/").replace("\u2028", "\\u2028").replace("\u2029", "\\u2029")
        return out

    def walk(node, current: str | None) -> None:
        kind = node[0]
        if kind == "o":
            plain = [(k, v[3] if v[0] == "s" else v[1]) for k, v in node[1] if v[0] in ("s", "p")]
            mine = redactor.owner(plain) or current
            for _, child in node[1]:
                walk(child, mine)
        elif kind == "a":
            for child in node[1]:
                walk(child, current)
        elif kind == "s":
            new = redactor.value(node[3], current)
            if new is not None:
                edits.append((node[1], node[2], encode(new, text[node[1]:node[2]])))

    for doc in docs:
        walk(doc, owner)
    return edits


def apply_edits(text: str, edits: list[tuple[int, int, str]]) -> str:
    out, pos = [], 0
    for start, end, replacement in sorted(edits):
        if start < pos:
            continue
        out.append(text[pos:start])
        out.append(replacement)
        pos = end
    out.append(text[pos:])
    return "".join(out)


# --- HTML with positions

_H_TAG = re.compile(
    r"<!--.*?-->|<![^>]*>|<\?[^>]*>|</(?P<end>[A-Za-z][\w:-]*)\s*>"
    r"|<(?P<start>[A-Za-z][\w:-]*)(?P<attrs>(?:[^>\"']|\"[^\"]*\"|'[^']*')*)>", re.S)
_H_ATTR = re.compile(r"([^\s\"'>/=]+)(?:\s*=\s*(\"[^\"]*\"|'[^']*'|[^\s\"'=<>`]+))?")
VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "param", "source", "track", "wbr"}
RAW_TEXT = {"script", "style", "textarea", "title"}
URL_ATTRS = {"href", "src", "srcset", "poster", "action", "data-progressive"}


def redact_html(text: str, redactor: Redactor) -> str:
    """The HTML with every culled text node, attribute and embedded JSON string replaced."""
    return _HtmlRedaction(text, redactor).run()


class _HtmlRedaction:
    """One pass over an HTML document with positions: a stack of open elements and their owners."""

    def __init__(self, text: str, redactor: Redactor) -> None:
        self.text, self.redactor = text, redactor
        self.edits: list[tuple[int, int, str]] = []
        self.stack: list[tuple[str, str | None]] = []  # (element name, owning item id)
        self.pos = 0

    def run(self) -> str:
        while True:
            m = _H_TAG.search(self.text, self.pos)
            until = m.start() if m else len(self.text)
            if until > self.pos:
                self.data(self.pos, until, self.stack[-1][1] if self.stack else None)
            if not m:
                return apply_edits(self.text, self.edits)
            self.pos = m.end()
            if m.group("end"):
                self.end_tag(m.group("end").lower())
            elif m.group("start"):
                self.start_tag(m)

    def data(self, start: int, end: int, owner: str | None) -> None:
        raw = self.text[start:end]
        if not raw.strip():
            return
        new = self.redactor.value(html.unescape(raw), owner, loose=True)
        if new is not None:
            self.edits.append((start, end, html.escape(new, quote=False)))

    def end_tag(self, name: str) -> None:
        """Close the innermost open element of that name (and whatever was left open inside it)."""
        for n in range(len(self.stack) - 1, -1, -1):
            if self.stack[n][0] == name:
                del self.stack[n:]
                return

    def start_tag(self, m: re.Match) -> None:
        name = m.group("start").lower()
        attrs = _attributes(m)
        mine = self.redactor.owner([(n, v) for n, v, _, _ in attrs]) or (self.stack[-1][1] if self.stack else None)
        for attr_name, value, start, end in attrs:
            new = None if attr_name in URL_ATTRS else self.redactor.value(value, mine)
            if new is not None:
                self.edits.append((start, end, '"' + html.escape(new, quote=True) + '"'))
        self_closing = m.group("attrs").rstrip().endswith("/")
        if name in RAW_TEXT and not self_closing:
            self.raw_text(name, attrs, mine)
        elif name not in VOID and not self_closing:
            self.stack.append((name, mine))

    def raw_text(self, name: str, attrs: list[tuple[str, str, int, int]], owner: str | None) -> None:
        """Script, style, textarea, title: their content is not HTML. JSON in a script is redacted as JSON."""
        close = re.compile(rf"</{name}\s*>", re.I).search(self.text, self.pos)
        content_end = close.start() if close else len(self.text)
        if name == "script":
            kind = next((v for n, v, _, _ in attrs if n == "type"), "").lower()
            docs = parse_json_documents(self.text, self.pos, content_end) if "json" in kind else None
            if docs is not None:
                redact_json(self.text, docs, self.redactor, owner, in_script=True, edits=self.edits)
        elif name != "style":
            self.data(self.pos, content_end, owner)
        self.pos = close.end() if close else len(self.text)


def _attributes(m: re.Match) -> list[tuple[str, str, int, int]]:
    """(name, unescaped value, start, end of the quoted value) of each attribute with a value."""
    attrs = []
    base = m.start("attrs")
    for a in _H_ATTR.finditer(m.group("attrs")):
        if a.group(2) is None:
            continue
        quoted = a.group(2)
        value = html.unescape(quoted[1:-1] if quoted[:1] in "\"'" else quoted)
        attrs.append((a.group(1).lower(), value, base + a.start(2), base + a.end(2)))
    return attrs


def redact_payload(payload: bytes, content_type: str, redactor: Redactor) -> bytes | None:
    """The payload without culled content, or None if nothing in it is culled (or it is not text)."""
    ct = content_type.lower()
    if not any(k in ct for k in ("html", "json", "javascript", "text/plain", "xml")) and ct:
        return None
    try:
        text = payload.decode("utf-8")
    except UnicodeDecodeError:
        return None
    stripped = text.lstrip()
    if "html" in ct or stripped.startswith("<"):
        new = redact_html(text, redactor)
    else:
        docs = parse_json_documents(text)
        if docs is not None:
            new = apply_edits(text, redact_json(text, docs, redactor, None))
        elif "javascript" in ct:
            return None  # script code: not searched (see Limitations in docs/retention.md)
        else:
            new = redactor.loose_text(text)
    return None if new == text else new.encode("utf-8")
