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
    edits: list[tuple[int, int, str]] = []
    stack: list[tuple[str, str | None]] = []
    pos = 0

    def data(start: int, end: int, owner: str | None) -> None:
        raw = text[start:end]
        if not raw.strip():
            return
        new = redactor.value(html.unescape(raw), owner, loose=True)
        if new is not None:
            edits.append((start, end, html.escape(new, quote=False)))

    while True:
        m = _H_TAG.search(text, pos)
        current = stack[-1][1] if stack else None
        if (m.start() if m else len(text)) > pos:
            data(pos, m.start() if m else len(text), current)
        if not m:
            break
        pos = m.end()
        if m.group("end"):
            name = m.group("end").lower()
            for n in range(len(stack) - 1, -1, -1):
                if stack[n][0] == name:
                    del stack[n:]
                    break
            continue
        if not m.group("start"):
            continue
        name = m.group("start").lower()
        attrs = []
        base = m.start("attrs")
        for a in _H_ATTR.finditer(m.group("attrs")):
            if a.group(2) is None:
                continue
            quoted = a.group(2)
            value = html.unescape(quoted[1:-1] if quoted[:1] in "\"'" else quoted)
            attrs.append((a.group(1).lower(), value, base + a.start(2), base + a.end(2)))
        mine = redactor.owner([(n, v) for n, v, _, _ in attrs]) or current
        for attr_name, value, start, end in attrs:
            if attr_name in URL_ATTRS:
                continue
            new = redactor.value(value, mine)
            if new is not None:
                edits.append((start, end, '"' + html.escape(new, quote=True) + '"'))
        self_closing = m.group("attrs").rstrip().endswith("/")
        if name in RAW_TEXT and not self_closing:
            close = re.compile(rf"</{name}\s*>", re.I).search(text, pos)
            content_end = close.start() if close else len(text)
            if name == "script":
                kind = next((v for n, v, _, _ in attrs if n == "type"), "").lower()
                if "json" in kind:
                    docs = parse_json_documents(text, pos, content_end)
                    if docs is not None:
                        redact_json(text, docs, redactor, mine, in_script=True, edits=edits)
            elif name != "style":
                data(pos, content_end, mine)
            pos = close.end() if close else len(text)
        elif name not in VOID and not self_closing:
            stack.append((name, mine))
    return apply_edits(text, edits)


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
