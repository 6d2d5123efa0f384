"""Bank account numbers (issue #14): bankgiro, plusgiro, clearing + account and IBAN after a word that
names them are personal data in a visitor's comment (evidence with offsets, access restricted)."""

from __future__ import annotations

import pytest

from smarchive.retention.detectors import find_all, find_bank_accounts
from smarchive.retention.tag import RetentionEngine


def mod10(base: str) -> str:
    """base + the Luhn check digit (computed here, not by the module under test)."""
    for c in "0123456789":
        digits = base + c
        total = sum((d * 2 - 9 if d * 2 > 9 else d * 2) if i % 2 else d
                    for i, d in enumerate(int(x) for x in reversed(digits)))
        if total % 10 == 0:
            return digits
    raise AssertionError


BG = mod10("5050105")  # 8 digits
PG = mod10("478123")


@pytest.mark.parametrize("text, number, value", [
    (f"Sätt in pengarna på bankgiro {BG[:4]}-{BG[4:]} så löser vi det", f"{BG[:4]}-{BG[4:]}", f"bankgiro *{BG[-4:]}"),
    (f"BG: {BG[:4]}-{BG[4:]}", f"{BG[:4]}-{BG[4:]}", f"bankgiro *{BG[-4:]}"),
    (f"skicka till mitt pg {PG[:-1]}-{PG[-1]} tack", f"{PG[:-1]}-{PG[-1]}", f"plusgiro *{PG[-4:]}"),
    ("Betala tillbaka till mitt konto: 8327-9, 123 456 789-0 senast fredag", "8327-9, 123 456 789-0", "konto *7890"),
    ("mitt kontonummer är 6000 123456789 hos handelsbanken", "6000 123456789", "konto *6789"),
    ("IBAN SE45 5000 0000 0583 9825 7466", "SE45 5000 0000 0583 9825 7466", "iban *7466"),
])
def test_bank_account_after_its_word(text: str, number: str, value: str) -> None:
    hits = find_bank_accounts(text)
    assert [(h.text, text[h.start:h.end], h.value) for h in hits] == [(number, number, value)]


@pytest.mark.parametrize("text", [
    f"ordernummer {BG[:4]}-{BG[4:]}",                              # no bank word: an order number
    f"bankgiro {BG[:4]}-{BG[4:-1]}{(int(BG[-1]) + 1) % 10}",       # wrong check digit
    "Rudbecks har kontot den här veckan, 12 elever i 3B",            # "kontot" = the Instagram account
    "IBAN SE45 5000 0000 0583 9825 7467",                            # mod 97 wrong
    "konto 1234-5",                                                   # too short for clearing + account
])
def test_not_bank_accounts(text: str) -> None:
    assert [h for h in find_all(text) if h.kind == "bank_account"] == []


def test_bank_account_in_a_comment_restricts_and_is_evidence() -> None:
    engine = RetentionEngine.load()
    text = "Hej, återbetalningen av avgiften kan gå till mitt konto 8327-9, 123 456 789-0"
    tag = engine.tag({"id": "c", "item_type": "comment", "author_is_account": False, "text": text,
                      "published_at": "2024-05-01T10:00:00+02:00"})
    ev = [e for e in tag.evidence if e.name == "bank_account"]
    assert tag.access == "restricted" and tag.retention == "preserve" and ev
    assert text[ev[0].start:ev[0].end] == "8327-9, 123 456 789-0" and ev[0].term == "konto *7890"


def test_municipality_bankgiro_in_own_post_stays_open() -> None:
    engine = RetentionEngine.load()
    tag = engine.tag({"id": "p", "item_type": "post", "author_is_account": True,
                      "text": f"Insamlingen till Musikhjälpen: swisha eller bankgiro {BG[:4]}-{BG[4:]}",
                      "published_at": "2024-12-10T10:00:00+01:00"})
    assert tag.access == "open" and any(e.name == "bank_account" for e in tag.evidence)
