"""Text as the platforms' exports spell it, made right without ever damaging text that was right.

Meta's exports (Facebook, Instagram) write every non-ASCII character as its UTF-8 *bytes*, each escaped as
`\\u00XX`: "ø" (C3 B8) arrives as "Ã¸", "…" as "â\\x80¦", an emoji as four such characters. The repair takes
a string whose characters all fit in one byte, reads those bytes as UTF-8, and keeps the result only if they
decode: correctly written Swedish or Danish (å = E5, ø = F8 on their own) is never valid UTF-8 as bytes, and
text with any character above U+00FF (an emoji, a smart quote, Arabic) is never touched.
"""

from __future__ import annotations

import re

# A lead byte of a UTF-8 sequence followed by a continuation byte: what mojibake always contains.
MOJIBAKE = re.compile("[\u00c2-\u00f4][\u0080-\u00bf]")


def repair(text: str) -> tuple[str, bool]:
    """The text with Meta's byte-escaping undone, and whether anything was repaired."""
    if not text or not MOJIBAKE.search(text):
        return text, False
    try:
        fixed = text.encode("latin-1").decode("utf-8")
    except (UnicodeEncodeError, UnicodeDecodeError):
        return text, False
    return fixed, fixed != text


class Repairs:
    """Counts the strings repaired while reading one export (for the report)."""

    def __init__(self) -> None:
        self.count = 0

    def __call__(self, value: object) -> str:
        if not isinstance(value, str):
            return "" if value is None else str(value)
        fixed, changed = repair(value)
        self.count += changed
        return fixed


def unquote_lines(text: str) -> str:
    """LinkedIn's Shares.csv wraps each line of a text in double quotes ("line one"\\n""\\n"line two"; quotes
    inside a line are left single); the first and last quote may be missing where the CSV quoting ate them.
    Strip them only when every line carries them, so a text that merely starts with a quotation keeps it (a
    one-line text wholly in quotes is taken as wrapped: LinkedIn wraps nearly every text)."""
    lines = text.split("\n")
    if len(lines) < 2:
        if len(text) >= 2 and text[0] == text[-1] == '"':
            return text[1:-1]
        return text
    inner = lines[1:-1]
    first, last = lines[0], lines[-1]
    wrapped = all(len(line) >= 2 and line[0] == line[-1] == '"' for line in inner)
    if not (wrapped and first.endswith('"') and last.startswith('"') and len(first) >= 1 and len(last) >= 1):
        return text
    first = first[1:-1] if first.startswith('"') and len(first) >= 2 else first[:-1]
    last = last[1:-1] if last.endswith('"') and len(last) >= 2 else last[1:]
    return "\n".join([first, *(line[1:-1] for line in inner), last])
