"""Pattern detectors for personal data and case references in Swedish text.

Each ``find_*`` function returns ``Hit``s with offsets into the text it was given. Detectors are pure
functions of the text (and, for personnummer, a reference date), with precompiled patterns, so the
tagging engine can run them on every item.

Health and social-services terms are words rather than patterns; they live in the lexicons under
``smarchive/retention/rules/lexicons/`` (so a municipality can extend them) and ``find_sensitive_terms`` runs them.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import date


@dataclass(frozen=True, slots=True)
class Hit:
    """One detector finding: what kind, the text as written, and where."""

    kind: str  # personnummer, samordningsnummer, phone, email, case_number, address, url, health, ...
    text: str
    start: int
    end: int
    value: str = ""  # normalised form, e.g. "19850709-9805" or "+46701234567"


# --- personnummer and samordningsnummer -------------------------------------------------------------

# YYMMDD or YYYYMMDD, an optional separator ("-", "+" or a space), then NNNC; never inside a longer
# run of digits.
_PNR_RE = re.compile(r"(?<![\d])(\d{2})?(\d{2})(\d{2})(\d{2})([-+ ]?)(\d{3})(\d)(?![\d])")

# A bare ten-digit number starting with 0 shortly after a phone word ("ring mig på 0701234569") is a
# telephone number, even when its digits also form a valid personnummer (070123-4569 is both). A
# personnummer word in the same window wins: missing an identity number is the worse mistake.
_PHONE_CUE_RE = re.compile(r"\b(ring|ringa|tel|telefon|telefonnummer|mobil|mobilnr|mobilnummer|sms|swish)\b")
_PNR_CUE_RE = re.compile(r"(personnummer|personnr|pnr|samordningsnummer|född|födelse)")
# The writer says the number is an identity number ("mitt personnummer är 850412-1235"): then a wrong check
# digit is a typo in the writer's own identity number, still personal data to take down (a birth date
# alone, "född 1987...", is not enough: that cue is left out here).
_PNR_SAID_RE = re.compile(r"(personnummer|personnr|pnr|samordningsnummer)\W{0,3}(?:\w+\W+){0,3}$")
_PNR_SAID_WINDOW = 40  # characters before the number searched for the cue


_HAS_ANY_DIGIT = re.compile(r"\d")
_MIN_PNR_DIGITS = 9  # the fewest digits of any personnummer reading: the date in words (1 + 4) + the last four
_SIX_DIGITS = re.compile(r"\d{6}")  # every personnummer has its date digits in one run: a cheap pre-check


def luhn_ok(digits: str) -> bool:
    """The Luhn check used for the last digit of a personnummer (over the ten-digit form)."""
    total = 0
    for i, ch in enumerate(digits):
        d = int(ch) * (2 if i % 2 == 0 else 1)
        total += d - 9 if d > 9 else d
    return total % 10 == 0


def _valid_date(year: int, month: int, day: int) -> bool:
    if not 1 <= month <= 12 or day < 1:
        return False
    try:
        date(year, month, day)
    except ValueError:
        return False
    return True


def _resolve_year(century: str | None, yy: int, month: int, day: int, sep: str, ref: date) -> int:
    """Full birth year. Twelve digits state the century; ten digits imply the most recent century
    not in the future, and a "+" separator means the person has turned 100."""
    if century is not None:
        return int(century) * 100 + yy
    year = (ref.year // 100) * 100 + yy
    if (year, month, day) > (ref.year, ref.month, ref.day):
        year -= 100
    if sep == "+":
        year -= 100
    return year


def _check_personnummer(m: re.Match[str], ref: date, luhn: bool = True) -> Hit | None:
    century, yy, mm, dd, sep, serial, check = m.groups()
    ten = _digits(yy + mm + dd + serial + check)
    return _check_parts(century and _digits(century), ten, sep, ref, m.group(0), m.start(), m.end(), luhn)


def _said_to_be_personnummer(text: str, start: int) -> bool:
    """A personnummer word ends at most three words before ``start`` ("mitt personnummer är 8504...")."""
    return _PNR_SAID_RE.search(text[max(0, start - _PNR_SAID_WINDOW):start].lower()) is not None


def _check_parts(century: str | None, ten: str, sep: str, ref: date, text: str, start: int, end: int,
                 luhn: bool = True) -> Hit | None:
    """A Hit if ``ten`` (YYMMDDNNNC, with ``century`` from a twelve-digit form) is a valid identity number:
    a real date not after ``ref`` (day + 60 for a samordningsnummer) and a correct Luhn digit. With
    ``luhn=False`` a wrong check digit is accepted and marked in the value ("... (check digit wrong)")."""
    yy, mm, dd = ten[0:2], ten[2:4], ten[4:6]
    month, day = int(mm), int(dd)
    kind = "personnummer"
    if 61 <= day <= 91:  # samordningsnummer: birth day + 60
        kind, day = "samordningsnummer", day - 60
    if century is not None and century not in ("18", "19", "20"):
        return None
    year = _resolve_year(century, int(yy), month, day, sep, ref)
    if not _valid_date(year, month, day) or date(year, month, day) > ref:
        return None
    typo = not luhn_ok(ten)
    if typo and luhn:
        return None
    separator = "+" if sep == "+" else "-"
    value = f"{year:04d}{mm}{dd}{separator}{ten[6:]}" + (" (check digit wrong)" if typo else "")
    return Hit(kind, text, start, end, value)


def _looks_like_phone(text: str, m: re.Match[str]) -> bool:
    if m.group(1) is not None or m.group(5) or not m.group(0).startswith("0"):
        return False
    return _phone_context(text, m.start())


def _phone_context(text: str, start: int) -> bool:
    before = text[max(0, start - 30):start].lower()
    if _PNR_CUE_RE.search(before):
        return False
    return _PHONE_CUE_RE.search(before) is not None


# People write identity numbers in many ways: "681230 - 10 49", "73 08 29 44 17", "921103\n2769",
# "170603 – 2487", "19600117 3829", "850709 och sista fyra är 9805". The parts are runs of digits joined
# by separators (spaces, any dash, slash, full stop, plus, line breaks) or, between the date and the last
# four, by a few words. Date + Luhn validation keeps random digit groups out.
_DIGIT_RUN_RE = re.compile(r"\d+")
_SEPARATOR_GAP_RE = re.compile(r"[ \t\r\n\u00a0\-\u2010-\u2015\u2212/.+:]{1,4}")
_WORD_GAP_RE = re.compile(r"[^\d]{1,60}")
_MAX_GAP_WORDS = 6
_MONTHS = {m: i for i, m in enumerate(("januari", "februari", "mars", "april", "maj", "juni", "juli", "augusti",
                                         "september", "oktober", "november", "december"), 1)}
_DATE_WORDS_RE = re.compile(r"\b(\d{1,2})(?::e|e)?\s+(" + "|".join(_MONTHS) + r")\s+((?:18|19|20)\d{2})\b",
                            re.IGNORECASE)


def _digits(run: str) -> str:
    """ASCII digits for any Unicode decimal digits (Arabic-Indic digits are digits too)."""
    return run if run.isascii() else "".join(str(int(ch)) for ch in run)


def _gap_ok(gap: str, before: str, run: str) -> bool:
    """May two digit runs be parts of one number? A short separator always; words only between a
    complete date (6 or 8 digits) and a final four."""
    if _SEPARATOR_GAP_RE.fullmatch(gap):
        return True
    return (len(before) in (6, 8) and len(run) == 4 and _WORD_GAP_RE.fullmatch(gap) is not None
            and len(gap.split()) <= _MAX_GAP_WORDS + 1)


def _split_personnummer(text: str, ref: date) -> list[Hit]:
    runs = [(m.start(), m.end(), _digits(m.group(0))) for m in _DIGIT_RUN_RE.finditer(text)]
    hits: list[Hit] = []
    for i, (start, _, first) in enumerate(runs):
        if hits and start < hits[-1].end:
            continue
        joined, end, seps = first, runs[i][1], ""
        found: Hit | None = None
        for j in range(i + 1, len(runs)):
            gap = text[end:runs[j][0]]
            if len(joined) >= 12 or not _gap_ok(gap, joined, runs[j][2]):
                break
            seps += gap.strip() or " "
            joined, end = joined + runs[j][2], runs[j][1]
            if len(joined) in (10, 12):  # a twelve-digit reading beats the ten-digit one inside it
                found = _check_joined(text, start, end, joined, seps, ref) or found
        if found is not None:
            hits.append(found)
    return hits


def _check_joined(text: str, start: int, end: int, joined: str, seps: str, ref: date) -> Hit | None:
    century, ten = (joined[:2], joined[2:]) if len(joined) == 12 else (None, joined)
    hit = _check_parts(century, ten, "+" if "+" in seps else "-", ref, text[start:end], start, end)
    if hit is None or (joined.startswith("0") and _phone_context(text, start)):
        return None
    return hit


# A four-digit year in running text ("budget för 2027", "inför 2025", "2026–2027") is a year, not the last
# four of an identity number: an event's date in words is often followed by one (gen17).
_YEAR_IN_TEXT_RE = re.compile(r"(?:\b(?:för|inför|år|året|budget|budgeten|budgetåret|till|från|sedan|sen|mellan|"
                              r"under|efter|före|läsåret|verksamhetsåret|hösten|våren|sommaren|vintern)\s+"
                              r"|\d{4}\s?[-\u2010-\u2015]\s?)$", re.IGNORECASE)


def _year_in_text(text: str, start: int, four: str) -> bool:
    return 1800 <= int(four) <= 2099 and _YEAR_IN_TEXT_RE.search(text[max(0, start - 20):start]) is not None


def _date_in_words(text: str, ref: date) -> list[Hit]:
    """The birth date in words and the last four nearby ("sista fyra ... 4574, jag är född 19 mars 1979");
    not a year named in the text ("17 juni 2026 – budget för 2027")."""
    hits = []
    for m in _DATE_WORDS_RE.finditer(text):
        day, month, year = int(m.group(1)), _MONTHS[m.group(2).lower()], int(m.group(3))
        lo, hi = max(0, m.start() - 80), min(len(text), m.end() + 80)
        for four in re.finditer(r"(?<!\d)\d{4}(?!\d)", text[lo:hi]):
            if lo + four.start() == m.start(3) or _year_in_text(text, lo + four.start(), four.group(0)):
                continue
            ten = f"{year % 100:02d}{month:02d}{day:02d}{four.group(0)}"
            hit = _check_parts(str(year // 100), ten, "-", ref, m.group(0), m.start(), m.end())
            if hit is not None:
                s, e = min(m.start(), lo + four.start()), max(m.end(), lo + four.end())
                hits.append(Hit(hit.kind, text[s:e], s, e, hit.value))
                break
    return hits


def _pnr_matches(text: str) -> Iterator[re.Match[str]]:
    """The matches of _PNR_RE.finditer(text), trying the pattern only where a run of digits starts (no digit
    before it: where every match starts). The pattern opens with a look-behind, so finditer tried it at
    every position of the text (issue #14: 6.4 of 19 us a text with nine digits or more)."""
    end = 0  # where the last match ended: finditer goes on from there
    for run in _DIGIT_RUN_RE.finditer(text):
        if run.start() >= end:
            m = _PNR_RE.match(text, run.start())  # the look-behind still sees the text before
            if m is not None:
                end = m.end()
                yield m


def find_personnummer(text: str, ref: date | None = None) -> list[Hit]:
    """Personnummer and samordningsnummer, 10 or 12 digits, however written: compact, with "-", "+",
    a space, an en dash, in pairs or groups, over a line break, with words between the date and the last
    four, or the birth date in words and the last four nearby.

    A hit needs a real date (day + 60 for a samordningsnummer, century from 12 digits or "+"), not
    after ``ref`` (default: today), and a correct Luhn check digit.
    """
    # Every reading needs at least 9 digits (10 or 12 in one number, or a day, a four-digit year and
    # the last four): most texts with a digit have fewer, and this one C-level count skips them.
    if not text or len(_HAS_ANY_DIGIT.findall(text)) < _MIN_PNR_DIGITS:
        return []
    ref = ref or date.today()
    hits = []
    if _SIX_DIGITS.search(text) is not None:
        for m in _pnr_matches(text):
            hit = _check_personnummer(m, ref)
            if hit is None and _said_to_be_personnummer(text, m.start()):
                hit = _check_personnummer(m, ref, luhn=False)  # a typo in a number the writer calls one
            if hit is not None and not _looks_like_phone(text, m):
                hits.append(hit)
    for hit in (*_split_personnummer(text, ref), *_date_in_words(text, ref)):
        if not any(h.start < hit.end and hit.start < h.end for h in hits):
            hits.append(hit)
    hits.sort(key=lambda h: h.start)
    return hits


# --- telephone numbers -----------------------------------------------------------------------------

# +46 / 0046 / 0, then 7-9 more digits, allowing the usual spaces and dashes (070-123 45 67,
# 019-21 10 00, +46 (0)70 123 45 67, 0771-123 123).
_PHONE_RE = re.compile(
    r"(?<![\w+])(?:(?:\+46|0046)[ -]?(?:\(0\)[ -]?)?|0)[1-9](?:[ -]?\d){6,9}(?![\d])"
)


def find_phone_numbers(text: str) -> list[Hit]:
    """Swedish telephone numbers: national (0...) or international (+46, 0046), 8-10 digits nationally."""
    hits = []
    for m in _PHONE_RE.finditer(text):
        digits = re.sub(r"\D", "", m.group(0))
        if digits.startswith("0046"):
            digits = digits[4:]
        elif digits.startswith("46") and m.group(0).startswith("+"):
            digits = digits[2:]
        national = digits if digits.startswith("0") else "0" + digits
        if not 8 <= len(national) <= 10:
            continue
        hits.append(Hit("phone", m.group(0), m.start(), m.end(), "+46" + national[1:]))
    return hits


# --- payment card numbers ---------------------------------------------------------------------------

# 13-19 digits, written together or in groups of 4 (or 4-6-5) with spaces or dashes; major card ranges
# start with 2-6. The Luhn check keeps order, invoice and OCR numbers out.
_CARD_RE = re.compile(r"(?<![\d])[2-6]\d{3}(?:[ -]?\d{2,6}){2,4}(?![\d])")


# Issuer ranges (the first digits) and the lengths each issues: (prefix range low, high, lengths). A Luhn
# check alone lets one random 13-19 digit number in ten through (an avgiftsnummer "2024061508337" was read
# as a card and the comment proposed for removal); a card number also starts where a card network issues
# and has that network's length.
_CARD_RANGES: tuple[tuple[str, str, frozenset[int]], ...] = (
    ("4", "4", frozenset((13, 16, 19))),                  # Visa
    ("51", "55", frozenset((16,))),                       # Mastercard
    ("2221", "2720", frozenset((16,))),                   # Mastercard 2-series
    ("34", "34", frozenset((15,))), ("37", "37", frozenset((15,))),  # American Express
    ("300", "305", frozenset(range(14, 20))), ("36", "36", frozenset(range(14, 20))),  # Diners Club
    ("38", "39", frozenset(range(14, 20))),
    ("3528", "3589", frozenset(range(16, 20))),           # JCB
    ("6011", "6011", frozenset(range(16, 20))), ("644", "649", frozenset(range(16, 20))),  # Discover
    ("65", "65", frozenset(range(16, 20))),
    ("62", "62", frozenset(range(16, 20))),               # UnionPay
    ("50", "50", frozenset(range(12, 20))), ("56", "69", frozenset(range(12, 20))),  # Maestro
)


def _card_issued(digits: str) -> bool:
    """Does a card network issue numbers with this start and this length?"""
    return any(low <= digits[:len(low)] <= high and len(digits) in lengths for low, high, lengths in _CARD_RANGES)


def find_card_numbers(text: str) -> list[Hit]:
    """Payment card numbers: 13-19 digits in a card network's range and length, Luhn-valid."""
    hits = []
    for m in _CARD_RE.finditer(text):
        digits = re.sub(r"\D", "", m.group(0))
        if 13 <= len(digits) <= 19 and _card_issued(digits) and _luhn_any(digits):
            hits.append(Hit("card", m.group(0), m.start(), m.end(), "*" * (len(digits) - 4) + digits[-4:]))
    return hits


def _luhn_any(digits: str) -> bool:
    """Luhn over a number of any length: double every second digit from the right."""
    total = 0
    for i, ch in enumerate(reversed(digits)):
        d = int(ch) * (2 if i % 2 else 1)
        total += d - 9 if d > 9 else d
    return total % 10 == 0


# --- bank accounts: bankgiro, plusgiro, clearing + account, IBAN ------------------------------------

# A bank account number is only a number next to a word that says so: without the word, "5050-1055"
# is as likely an order or invoice number. The cue comes first, the number within a few characters.
_BANK_CUE = (r"(?<!\w)(?:(bankgiro|bg)|(plusgiro|postgiro|pg)|(clearing(?:nummer|nr)?|clnr|kontonummer|kontonr|"
             r"bankkonto|konto(?:t)?)|(iban))(?:\s*(?:nr|nummer|nummret)?\.?)?[\s:.\-]{0,4}(?:är\s+|till\s+)?")
_BANK_RE = re.compile(_BANK_CUE + r"(\d[\d \-,.]{3,30}\d|se\s?\d{2}(?:\s?\d{4}){5})", re.IGNORECASE)
_BANK_HINT = re.compile(r"giro|bg|pg|konto|clearing|clnr|iban")  # searched in the lower-cased text


def find_bank_accounts(text: str) -> list[Hit]:
    """Bank account numbers after a word that names them (issue #14): bankgiro (7-8 digits, Luhn),
    plusgiro (2-8 digits, Luhn), clearing + account ("8327-9, 123 456 789-0": 4-5 digit clearing and
    7-10 digit account; banks' own check digits are not verified, so the cue word is required) and a
    Swedish IBAN (SE + 22 digits, mod 97). ``value`` keeps the kind and the last four digits only."""
    if _BANK_HINT.search(text.lower()) is None:  # lower() and a plain search beat an IGNORECASE search
        return []
    hits = []
    for m in _BANK_RE.finditer(text):
        number = m.group(5).rstrip(",. -")
        digits = re.sub(r"\D", "", number)
        kind = ("bankgiro" if m.group(1) else "plusgiro" if m.group(2) else
                "iban" if m.group(4) or number[:2].lower() == "se" else "konto")
        if not _bank_number_ok(kind, digits, number):
            continue
        start = m.start(5)
        hits.append(Hit("bank_account", text[start:start + len(number)], start, start + len(number),
                        f"{kind} *{digits[-4:]}"))
    return hits


def _bank_number_ok(kind: str, digits: str, number: str) -> bool:
    if kind == "bankgiro":
        return 7 <= len(digits) <= 8 and _luhn_any(digits)
    if kind == "plusgiro":
        return 2 <= len(digits) <= 8 and _luhn_any(digits)
    if kind == "iban":
        if len(digits) != 22:
            return False
        moved = digits[2:] + "2814" + digits[:2]  # S=28, E=14, then the check digits
        return int(moved) % 97 == 1
    # Clearing + account: 11-15 digits in all, in at least two groups (clearing, then the account).
    return 11 <= len(digits) <= 15 and bool(re.search(r"[ ,\-]", number))


# --- e-mail and links ------------------------------------------------------------------------------

_EMAIL_RE = re.compile(r"(?<![\w.+-])[\w.+-]+@[\w-]+(?:\.[\w-]+)*\.[a-zA-Z]{2,}\b")
# The domain endings of a bare domain ("exempel.se", "shadesdeal.biz"): the common ones and those spam uses.
_TLDS = r"(?:se|com|nu|net|org|io|ly|eu|info|biz|shop|store|online|site|xyz|app|top|club|dk|fi|uk)"
_URL_RE = re.compile(
    r"\b(?:https?://\S+|www\.[\w-]+(?:\.[\w-]+)+\S*|[\w-]+(?:\.[\w-]+)*\." + _TLDS
    + r"(?:/[^\s]*)?)(?![\w@])",
    re.IGNORECASE,
)


# Every link the pattern accepts contains one of these ("://", "www.", a dot and a domain ending): a cheap
# pre-check before the full pattern. Written to start at ":" or ".", so the regex engine skips to those
# characters in C rather than trying three alternatives at every position.
_URL_HINT = re.compile(r"://|\.(?:(?<=www\.)|" + _TLDS + r"\b)", re.IGNORECASE)


def find_emails(text: str) -> list[Hit]:
    """E-mail addresses."""
    if "@" not in text:
        return []
    return [Hit("email", m.group(0), m.start(), m.end(), m.group(0).lower()) for m in _EMAIL_RE.finditer(text)]


def find_urls(text: str) -> list[Hit]:
    """Links: http(s) URLs, www. hosts and bare domains (bit.ly/x, exempel.se). Not e-mail domains."""
    if "." not in text or _URL_HINT.search(text) is None:
        return []
    hits = []
    for m in _URL_RE.finditer(text):
        if m.start() > 0 and text[m.start() - 1] == "@":
            continue
        url = m.group(0).rstrip(".,;:!?)")
        hits.append(Hit("url", url, m.start(), m.start() + len(url), url.lower()))
    return hits


# --- case numbers (diarienummer) ------------------------------------------------------------------

# A registry prefix in capitals (BN, KS, GSN), a year, a serial: "BN 2024-00123", "KS 2023/456".
# The lookahead rejects dates such as "ABC 2024-01-15".
_DNR_PREFIXED_RE = re.compile(
    r"(?<![\w])([A-ZÅÄÖ]{2,5})[ -]?((?:19|20)\d{2})[-/:.](\d{1,6})(?![\w]|[-/:.]\d)"
)
# After the word dnr / diarienummer the prefix is optional: "Dnr 2023.1456", "dnr: 23/456".
_DNR_KEYWORD_RE = re.compile(
    r"\b(?:dnr|diarienr|diarienummer)[.:]?\s*((?:[A-ZÅÄÖ]{2,5}[ -]?)?(?:(?:19|20)\d{2}|\d{2})[-/:.]\d{1,6})"
    r"(?![\w]|[-/:.]\d)",
    re.IGNORECASE,
)
# A reference or case-number word works the same with a four-digit year ("ref 2024/254" of a job advert,
# "ärendenummer 2024-118"): a year and a serial the writer names a reference is their case, whoever
# registered it. Two-digit years are left out here: "ref 12/3" may be a date.
_REF_KEYWORD_RE = re.compile(
    r"\b(?:ref|ref\.?nr|referens|referensnr|referensnummer|ärendenr|ärendenummer)[.:]?\s*"
    r"((?:[A-ZÅÄÖ]{2,5}[ -]?)?(?:19|20)\d{2}[-/:.]\d{1,6})(?![\w]|[-/:.]\d)",
    re.IGNORECASE,
)


# Cheap pre-checks. Every pattern needs a four-digit year or a dnr word (_DNR_HINT), the keyword patterns
# their words (dnr, diarie; ref, ärende). Written with the letters re.IGNORECASE takes for each ("ı" and "İ"
# for "i" too), so they find what an IGNORECASE "dnr|diarie" finds; but as plain characters, which the regex
# engine skips to in C, where an IGNORECASE pattern (or one opening on \b) is tried at every position
# (issue #14: the year-or-dnr check was 2.2 us a text with a digit, a quarter of all texts).
_DNR_WORD_REST = "(?:[nN][rR]|[iIıİ][aA][rR][iIıİ][eE])"  # after the "d" of dnr, diarie
_DNR_WORD = re.compile(rf"d{_DNR_WORD_REST}|D{_DNR_WORD_REST}")
_REF_WORD = re.compile(r"[rR][eE][fF]|[äÄ][rR][eE][nN][dD][eE]")
_DNR_HINT = re.compile(rf"19\d\d|20\d\d|d{_DNR_WORD_REST}|D{_DNR_WORD_REST}")


def find_case_numbers(text: str) -> list[Hit]:
    """Registry (diarie) numbers such as ``BN 2024-00123``, ``KS 2023/456``, ``Dnr 2023.1456``."""
    if _DNR_HINT.search(text) is None:
        return []
    hits: list[Hit] = []
    for word, keyword_re in ((_DNR_WORD, _DNR_KEYWORD_RE), (_REF_WORD, _REF_KEYWORD_RE)):
        if word.search(text) is not None:
            hits += [Hit("case_number", m.group(1), m.start(1), m.end(1), m.group(1).upper())
                     for m in keyword_re.finditer(text)]
    taken = {(h.start, h.end) for h in hits}
    for m in _DNR_PREFIXED_RE.finditer(text):
        prefix, year, serial = m.groups()
        if len(serial) == 4 and 0 < int(serial) - int(year) <= 10:
            continue  # "SD 2022-2026": a span of years, not a case number
        if any(s <= m.start() < e for s, e in taken):
            continue
        hits.append(Hit("case_number", m.group(0), m.start(), m.end(), f"{prefix} {year}-{serial}"))
    hits.sort(key=lambda h: h.start)
    return hits


# --- street addresses ----------------------------------------------------------------------------

_STREET_ENDINGS = ("gatan", "gata", "vägen", "väg", "gränd", "gränden", "torget", "torg", "stigen", "allén", "backen",
                   "leden", "platsen", "plan", "stråket", "esplanaden", "promenaden", "kajen")
_STREET_SUFFIX = "(?:" + "|".join(_STREET_ENDINGS) + ")"
_ADDRESS_RE = re.compile(
    r"(?<![\w])((?:(?:Norra|Södra|Östra|Västra|Stora|Lilla|Gamla|Nya)\s)?[A-ZÅÄÖ][a-zåäöéü]*" + _STREET_SUFFIX
    + r")\s(\d{1,4})(?:\s?([A-Ha-h])(?![\w]))?(?:,?\s+(\d{3}\s?\d{2})\s+([A-ZÅÄÖ][a-zåäö]+))?(?![\d])"
)


# The cheap pre-check: a street ending, a space, a digit. Found as a space and a digit (rare) with a
# street ending just before: a regex of the endings tried at every position was the detector's cost.
_SPACE_DIGIT = re.compile(r"\s\d")


def _address_hint(text: str) -> bool:
    for m in _SPACE_DIGIT.finditer(text):  # a loop, not any() over a generator: 0.3 us less a text
        if text.endswith(_STREET_ENDINGS, 0, m.start()):
            return True
    return False


def find_addresses(text: str) -> list[Hit]:
    """Swedish street addresses: a capitalised street name with a street ending and a house number
    ("Hagagatan 14", "Lövstagatan 3A", "Västra Nobelgatan 3, 702 11 Örebro")."""
    if not _address_hint(text):
        return []
    return [Hit("address", m.group(0), m.start(), m.end(), " ".join(m.group(0).split()))
            for m in _ADDRESS_RE.finditer(text)]


# --- all detectors ---------------------------------------------------------------------------------

_HAS_DIGIT = re.compile(r"\d")

DETECTORS: dict[str, Callable[[str], list[Hit]]] = {
    "personnummer": find_personnummer,
    "phone": find_phone_numbers,
    "email": find_emails,
    "url": find_urls,
    "case_number": find_case_numbers,
    "address": find_addresses,
    "card": find_card_numbers,
    "bank_account": find_bank_accounts,
}
# Detectors that can only fire when the text has a digit: skipping them is most of the speed.
_NEEDS_DIGIT = {"personnummer", "phone", "case_number", "address", "card", "bank_account"}
# The fewest digits a hit can have, where more than one: a phone number 8 ("0" + [1-9] + 6 more in
# _PHONE_RE), a card number 13 (find_card_numbers), a personnummer 9 (_MIN_PNR_DIGITS). One count of the
# text's digits then skips most detectors on the many texts with a date or a price (issue #14, speed).
_MIN_DIGITS = {**dict.fromkeys(_NEEDS_DIGIT, 1), "personnummer": _MIN_PNR_DIGITS, "phone": 8, "card": 13}


# An identity or card number wins over a phone reading of the same digits (leaving it open is the
# worse mistake); a card number wins over an identity-number reading of some of its digits.
_STRONGER_THAN = {"personnummer": ("phone",), "samordningsnummer": ("phone",),
                  "card": ("phone", "personnummer", "samordningsnummer"),
                  "bank_account": ("phone", "personnummer", "samordningsnummer", "card")}


# The detectors to run, in DETECTORS order, each with the fewest digits it needs; see _plan.
_Plan = tuple[tuple[int, str, Callable[[str], list[Hit]]], ...]
_PLANS: dict[tuple[frozenset[str] | None, bool], _Plan] = {}


def _plan(only: set[str] | frozenset[str] | None, digits: bool) -> _Plan:
    """The detectors named in ``only`` (None: all); for a text without ``digits`` only those that need none.
    Worked out once per set of names (the engine passes one frozenset), not per text (issue #14: the
    name and digit checks of eight detectors on every text, three in four of which have no digit)."""
    names = only if only is None or isinstance(only, frozenset) else frozenset(only)
    plan = _PLANS.get((names, digits))
    if plan is None:
        plan = tuple((_MIN_DIGITS.get(name, 0), name, func) for name, func in DETECTORS.items()
                     if names is None or name in names)
        if not digits:
            plan = tuple(step for step in plan if step[0] == 0)
        _PLANS[(names, digits)] = plan
    return plan


def count_digits(text: str) -> int:
    """The number of decimal digits (``\\d``) in the text."""
    return len(_HAS_DIGIT.findall(text))


def find_all(text: str, ref: date | None = None, only: set[str] | frozenset[str] | None = None,
             digits: int | None = None) -> list[Hit]:
    """Run every pattern detector (or those named in ``only``); hits sorted by position. ``digits``: the
    text's count_digits, if the caller has it already.

    ``personnummer`` also yields samordningsnummer. Where a phone hit covers the same digits as a
    personnummer hit, the personnummer is kept: treating an identity number as a phone number would
    leave sensitive data open.
    """
    if not text:
        return []
    if digits is None:
        digits = count_digits(text)
    hits: list[Hit] = []
    for need, name, func in _plan(only, digits > 0):
        if digits >= need:
            hits.extend(find_personnummer(text, ref) if name == "personnummer" else func(text))
    if not hits:  # most texts: nothing to sort or resolve
        return hits
    strong = _STRONGER_THAN
    spans = [(h.start, h.end, strong[h.kind]) for h in hits if h.kind in strong]
    if spans:
        hits = [h for h in hits
                if not any(h.kind in weaker and s < h.end and h.start < e for s, e, weaker in spans)]
    hits.sort(key=lambda h: (h.start, h.end))
    return hits
