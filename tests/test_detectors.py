"""Detectors: personnummer/samordningsnummer validation, phones, e-mail, case numbers, addresses."""

from __future__ import annotations

import random
from datetime import date

import pytest

from smarchive.retention.detectors import (
    find_addresses,
    find_all,
    find_case_numbers,
    find_emails,
    find_personnummer,
    find_phone_numbers,
    find_urls,
    luhn_ok,
)
from smarchive.retention.tag import find_sensitive_terms

REF = date(2025, 6, 1)


def luhn_digit(nine: str) -> str:
    """Independent check-digit computation (not the module's) for building test numbers."""
    total = 0
    for i, ch in enumerate(nine):
        d = int(ch) * (2 if i % 2 == 0 else 1)
        total += d - 9 if d > 9 else d
    return str((10 - total % 10) % 10)


def make(yymmdd: str, serial: str) -> str:
    return yymmdd + serial + luhn_digit(yymmdd + serial)


VALID = make("850709", "980")  # 850709980x


@pytest.mark.parametrize(
    "text, value",
    [
        (f"{VALID[:6]}-{VALID[6:]}", f"1985{VALID[2:6]}-{VALID[6:]}"),
        (VALID, f"1985{VALID[2:6]}-{VALID[6:]}"),
        (f"19{VALID[:6]}-{VALID[6:]}", f"1985{VALID[2:6]}-{VALID[6:]}"),
        (f"19{VALID}", f"1985{VALID[2:6]}-{VALID[6:]}"),
        (f"{VALID[:6]} {VALID[6:]}", f"1985{VALID[2:6]}-{VALID[6:]}"),
    ],
)
def test_personnummer_formats(text: str, value: str) -> None:
    hits = find_personnummer(f"Mitt nummer: {text}.", REF)
    assert [(h.kind, h.value) for h in hits] == [("personnummer", value)]
    assert hits[0].start == len("Mitt nummer: ") and hits[0].text == text


def test_plus_separator_means_a_hundred_years_old() -> None:
    pnr = make("221103", "456")
    hits = find_personnummer(f"{pnr[:6]}+{pnr[6:]}", REF)
    assert hits[0].value == f"19221103+{pnr[6:]}"
    hyphen = find_personnummer(f"{pnr[:6]}-{pnr[6:]}", REF)
    assert hyphen[0].value.startswith("2022")  # same digits with "-": born 2022


def test_samordningsnummer_day_plus_sixty() -> None:
    snr = make("901275", "234")  # 15 December 1990
    hits = find_personnummer(f"samordningsnummer {snr[:6]}-{snr[6:]}", REF)
    assert [(h.kind, h.value) for h in hits] == [("samordningsnummer", f"19901275-{snr[6:]}")]
    bad = make("901295", "234")  # day 35: neither a date nor a samordningsnummer
    assert find_personnummer(bad, REF) == []


def test_twelve_digit_century_and_leap_day() -> None:
    leap = make("000229", "123")
    assert find_personnummer(f"20{leap}", REF)  # 2000-02-29 exists
    assert find_personnummer(f"19{leap}", REF) == []  # 1900-02-29 does not
    assert find_personnummer(f"21{leap}", REF) == []  # century 21: not a personnummer


def test_rejects_bad_check_digit_bad_date_future_and_embedded() -> None:
    wrong = VALID[:-1] + str((int(VALID[-1]) + 1) % 10)
    assert find_personnummer(wrong, REF) == []
    assert find_personnummer(make("851332", "123"), REF) == []  # month 13
    assert find_personnummer("20" + make("300101", "123"), REF) == []  # born in 2030
    assert find_personnummer("1" + VALID, REF) == []  # part of a longer digit run
    assert find_personnummer(VALID + "7", REF) == []


def test_phone_cue_keeps_phone_numbers_out_but_not_identity_numbers() -> None:
    phone = make("070123", "456")  # 0701234569: a valid phone and a valid personnummer
    assert find_personnummer(f"Ring mig på {phone} ikväll", REF) == []
    assert find_personnummer(f"Personnummer: {phone}", REF)
    assert find_personnummer(f"{phone}", REF)  # no cue: the identity number wins


def test_lookalikes_are_not_personnummer() -> None:
    text = ("Ring 019-21 10 00, orgnr 212000-1850, vi ses 2024-06-15, född 19870412, "
            "dnr BN 2024-00123, kundnummer 1234567890")
    assert find_personnummer(text, REF) == []


def _reference_valid(digits: str, sep: str) -> bool:
    """An independent validator used to build the random invalid set."""
    century = digits[:2] if len(digits) == 12 else None
    ten = digits[-10:]
    yy, mm, dd = int(ten[:2]), int(ten[2:4]), int(ten[4:6])
    if dd > 60:
        dd -= 60
    if century is not None:
        if century not in ("18", "19", "20"):
            return False
        year = int(century) * 100 + yy
    else:
        year = 2000 + yy
        if (year, mm, dd) > (REF.year, REF.month, REF.day):
            year -= 100
        if sep == "+":
            year -= 100
    try:
        born = date(year, mm, dd)
    except ValueError:
        return False
    return born <= REF and luhn_digit(ten[:9]) == ten[9]


def test_no_false_hits_on_10000_random_invalid_strings() -> None:
    rng = random.Random(1748)
    checked = 0
    while checked < 10_000:
        length = rng.choice((10, 12))
        digits = "".join(rng.choice("0123456789") for _ in range(length))
        if length == 12 and rng.random() < 0.7:
            digits = rng.choice(("19", "20")) + digits[2:]  # make the date part the thing that fails
        sep = rng.choice(("", "-", "+", " "))
        if _reference_valid(digits, sep):
            continue
        text = f"{digits[:-4]}{sep}{digits[-4:]}"
        assert find_personnummer(f"nr {text} här", REF) == [], text
        checked += 1


def test_random_valid_numbers_are_all_found() -> None:
    rng = random.Random(112)
    for _ in range(2_000):
        born = date(1930, 1, 1).toordinal() + rng.randrange(30_000)
        d = date.fromordinal(born)
        day = d.day + (60 if rng.random() < 0.2 else 0)
        yymmdd = f"{d.year % 100:02d}{d.month:02d}{day:02d}"
        pnr = make(yymmdd, f"{rng.randrange(1000):03d}")
        text = rng.choice((f"{pnr[:6]}-{pnr[6:]}", pnr, f"{d.year // 100}{pnr[:6]}-{pnr[6:]}"))
        hits = find_personnummer(f"x {text} y", REF)
        assert len(hits) == 1 and hits[0].value.startswith(f"{d.year:04d}"), text


@pytest.mark.parametrize(
    "text, value",
    [
        ("Ring 019-21 10 00 idag", "+4619211000"),
        ("mobil 070-123 45 67.", "+46701234567"),
        ("tel +46 70 123 45 67", "+46701234567"),
        ("0046 8 123 456 78", "+46812345678"),
        ("+46 (0)70-123 45 67", "+46701234567"),
        ("Servicecenter 0771-12 34 56", "+46771123456"),
    ],
)
def test_phone_numbers(text: str, value: str) -> None:
    hits = find_phone_numbers(text)
    assert [h.value for h in hits] == [value]
    assert text[hits[0].start:hits[0].end] == hits[0].text


def test_not_phone_numbers() -> None:
    assert find_phone_numbers("Vi ses 2024-06-15 kl 14, dnr KS 2023/456, 45 minuter") == []


def test_emails_and_urls() -> None:
    text = "Mejla servicecenter@orebro.se eller se www.orebro.se/sommarjobb och bit.ly/xyz123."
    assert [(h.text, h.start) for h in find_emails(text)] == [("servicecenter@orebro.se", 6)]
    assert [h.text for h in find_urls(text)] == ["www.orebro.se/sommarjobb", "bit.ly/xyz123"]


def test_bare_shop_domains_are_links() -> None:
    """Spam names its shop by a bare domain on the endings spammers use (.biz, .shop, .online, ...)."""
    text = "🔥 Solglasögon 89 kr 🔥 shadesdeal.biz, mer på deals.shop/sol och bästa-pris.online"
    assert [h.text for h in find_urls(text)] == ["shadesdeal.biz", "deals.shop/sol", "bästa-pris.online"]


@pytest.mark.parametrize(
    "text, found",
    [
        ("Angående BN 2024-00123, när?", "BN 2024-00123"),
        ("ärende KS 2023/456.", "KS 2023/456"),
        ("Dnr 2023.1456: vi överklagar", "2023.1456"),
        ("dnr: SN 2024-00871", "SN 2024-00871"),
        ("GSN 2024-0345 gäller skolskjuts", "GSN 2024-0345"),
        ("Jag sökte tjänsten (ref 2024/254) och undrar", "2024/254"),
        ("ärendenummer 2024-118 gäller vår ansökan", "2024-118"),
    ],
)
def test_case_numbers(text: str, found: str) -> None:
    hits = find_case_numbers(text)
    assert [h.text for h in hits] == [found]
    assert text.index(found) == hits[0].start


def test_not_case_numbers() -> None:
    assert find_case_numbers("Vi ses 2024-06-15. SD 2022-2026. ABC 2024-01-15. kl 2023") == []
    assert find_case_numbers("ref 12/3, referens 2024-06-15, referens till 2024") == []  # a date is no reference


def test_addresses() -> None:
    text = "Bor på Hagagatan 14, flyttar till Västra Nobelgatan 3A, 702 11 Örebro i maj."
    hits = find_addresses(text)
    assert [h.text for h in hits] == ["Hagagatan 14", "Västra Nobelgatan 3A, 702 11 Örebro"]
    assert text[hits[1].start:hits[1].end] == hits[1].text
    assert find_addresses("hela vägen 5 km bort") == []


def test_find_all_prefers_personnummer_over_phone_on_same_digits() -> None:
    pnr = make("811218", "987")
    hits = find_all(f"Mitt nummer {pnr[:6]}-{pnr[6:]} och mejl a@b.se", REF)
    assert [h.kind for h in hits] == ["personnummer", "email"]


def test_sensitive_terms_come_from_the_lexicons() -> None:
    hits = find_sensitive_terms("Min son har ADHD och vi har försörjningsstöd")
    assert {(h.kind, h.text) for h in hits} == {("health", "ADHD"), ("social_services", "försörjningsstöd")}


def test_luhn() -> None:
    assert luhn_ok("8112189876") is (luhn_digit("811218987") == "6")


def test_pre_checks_agree_with_the_full_patterns(monkeypatch) -> None:
    """The cheap pre-checks (six digits, a year or dnr, a domain ending, a street ending and a number)
    must never hide a hit the full pattern finds: results with and without them are the same."""
    import re

    import smarchive.retention.detectors as d

    rng = random.Random(7)
    pieces = ["BN 2024-00123", "dnr 23/456", "KS 2023/45", "Hagagatan 14", "Västra Nobelgatan 3, 702 11 Örebro",
              "www.exempel.se", "https://x.io/a", "bit.ly/xyz", "exempel.nu", "811218-9876", "198112189876",
              "070-123 45 67", "hej", "2024", "ring", "vägen", "5", ".", " ", "a@b.se", "ref 2024/254",
              "Ärendenummer 2024-118", "DIARIENR 2021/4"]
    texts = [" ".join(rng.choice(pieces) for _ in range(rng.randint(1, 5))) for _ in range(2000)]
    ref = date(2025, 1, 1)
    with_checks = [d.find_all(t, ref) for t in texts]
    for name in ("_SIX_DIGITS", "_URL_HINT", "_DNR_HINT", "_DNR_WORD", "_REF_WORD"):
        monkeypatch.setattr(d, name, re.compile(""))
    monkeypatch.setattr(d, "_address_hint", lambda text: True)
    assert with_checks == [d.find_all(t, ref) for t in texts]
    assert sum(map(len, with_checks)) > 2000


# --- identity numbers as people write them (issue #14) ----------------------------------------------

PNR = "811218" + "987" + luhn_digit("811218987")  # 10 digits, valid by date and check digit


@pytest.mark.parametrize("written", [
    f"{PNR[:6]} – {PNR[6:]}",                                    # en dash with spaces
    f"{PNR[:6]}—{PNR[6:]}",                                      # em dash
    " ".join(PNR[i:i + 2] for i in range(0, 10, 2)),             # in pairs
    f"19{PNR[:6]} {PNR[6:]}",                                     # 12 digits and a space
    "19 " + " ".join(PNR[i:i + 2] for i in range(0, 10, 2)),      # 12 digits in pairs
    f"{PNR[:6]}\n{PNR[6:]}",                                     # over a line break
    f"{PNR[:6]} - {PNR[6:8]} {PNR[8:]}",                          # last four split in pairs
    f"{PNR[:6]}/{PNR[6:]}",                                      # slash
    f"{PNR[:6]}.{PNR[6:]}",                                      # full stop
    f"{PNR[:6]} och de sista fyra är {PNR[6:]}",                  # words between the parts
])
def test_personnummer_however_written(written: str) -> None:
    text = f"Hej, mitt nummer {written} tack"
    hits = find_personnummer(text, REF)
    assert [h.value for h in hits] == [f"19{PNR[:6]}-{PNR[6:]}"]
    assert hits[0].text == written == text[hits[0].start:hits[0].end]


def test_birth_date_in_words_and_last_four() -> None:
    text = f"Sista fyra är {PNR[6:]}, jag är född 18 december 1981. Fel faktura."
    hits = find_personnummer(text, REF)
    assert [h.value for h in hits] == [f"19{PNR[:6]}-{PNR[6:]}"]
    assert text[hits[0].start:hits[0].end] == hits[0].text


def test_a_year_in_running_text_is_not_the_last_four() -> None:
    # gen17: an event's date in words followed by a year ("budget för 2027") is no identity number, even when
    # date + year pass the check digit (2026-06-17 + 2027 does); a last four told as such still is.
    ref = date(2026, 12, 6)
    assert find_personnummer("Fullmäktige 17 juni 2026 – budget för 2027 och skattesatsen.", ref) == []
    assert find_personnummer("Mötet 17 juni 2026, planen gäller 2026–2027.", ref) == []
    hits = find_personnummer("Sista fyra är 2027, jag är född 17 juni 2026.", ref)
    assert [h.value for h in hits] == ["20260617-2027"]


def test_split_forms_reject_wrong_check_digits_and_other_numbers() -> None:
    bad = PNR[:9] + str((int(PNR[9]) + 1) % 10)
    assert find_personnummer(f"{bad[:6]} – {bad[6:]}", REF) == []
    assert find_personnummer(" ".join(bad[i:i + 2] for i in range(0, 10, 2)), REF) == []
    assert find_personnummer("Jag är född 12 03 85 och har bott här hela livet", REF) == []
    assert find_personnummer("Fakturan på 1 245 kr kom 2024-03-01, beställning 5512 3409", REF) == []
    # words between parts only join a complete date to a final four
    assert find_personnummer(f"{PNR[:4]} kronor och {PNR[4:]} till", REF) == []


def test_arabic_indic_digits_are_digits() -> None:
    arabic = PNR.translate(str.maketrans("0123456789", "٠١٢٣٤٥٦٧٨٩"))
    hits = find_personnummer(f"رقمي الشخصي {arabic[:6]}-{arabic[6:]}", REF)
    assert [h.value for h in hits] == [f"19{PNR[:6]}-{PNR[6:]}"]


def test_card_numbers_win_over_phone_and_identity_readings() -> None:
    card = "4539 1488 0343 6467"  # Luhn-valid test number
    hits = find_all(f"Betalade med kortet {card} två gånger", REF)
    assert [(h.kind, h.text) for h in hits] == [("card", card)]
    assert hits[0].value.endswith("6467") and "4539" not in hits[0].value
    assert "card" not in [h.kind for h in find_all("Ordernummer 4539 1488 0343 6468", REF)]  # Luhn fails
    # Luhn-valid but no card network issues it: 13 digits starting with 2 (an avgiftsnummer)
    assert "card" not in [h.kind for h in find_all("Avgiftsnr 2024061508337.", REF)]
    assert [h.kind for h in find_all("Amex 3782 822463 10005 och Mastercard 2223 0000 4840 0011", REF)] == ["card"] * 2


def test_a_number_the_writer_calls_a_personnummer_is_one_even_with_a_wrong_check_digit() -> None:
    """A typo in the writer's own identity number is still personal data to take down (heldout2 h2-116);
    without the word it stays out (an invoice number is not an identity number)."""
    hits = find_personnummer("Mitt personnummer är 850412-1235 om ni behöver det", REF)
    assert [(h.kind, h.text, h.value) for h in hits] == [("personnummer", "850412-1235",
                                                          "19850412-1235 (check digit wrong)")]
    assert find_personnummer("Fakturanr 8504121235 stämmer inte", REF) == []
    assert find_personnummer("Mitt personnummer har jag glömt men ordernr 850412-1235", REF) == []
    assert find_personnummer("Född 850412-1235", REF) == []  # a birth date word is not enough
    assert find_personnummer("personnummer 851312-1235", REF) == []  # no such date


def test_case_number_word_checks_take_the_letters_ignorecase_takes() -> None:
    """_DNR_WORD, _REF_WORD and _DNR_HINT spell out the letters re.IGNORECASE takes for each (so the regex
    engine can skip to them): with any character IGNORECASE takes for a letter of dnr, diarie, ref or ärende
    in that letter's place, they find what the IGNORECASE patterns find."""
    import re
    import sys

    import smarchive.retention.detectors as d

    words = ("dnr", "diarie", "ref", "ärende")
    letters = set("".join(words))
    any_letter = re.compile("[" + "".join(letters) + "]", re.IGNORECASE)
    taken = [chr(x) for x in range(sys.maxunicode + 1) if any_letter.fullmatch(chr(x))]
    checks = ((d._DNR_WORD, re.compile("dnr|diarie", re.IGNORECASE)),
              (d._REF_WORD, re.compile("ref|ärende", re.IGNORECASE)),
              (d._DNR_HINT, re.compile(r"(?:19|20)\d\d|dnr|diarie", re.IGNORECASE)))
    for word in words:
        for i in range(len(word)):
            for other in (*taken, "x", "-"):
                text = f"a {word[:i]}{other}{word[i + 1:]} b"
                for fast, reference in checks:
                    assert (fast.search(text) is None) == (reference.search(text) is None), (text, fast.pattern)


def test_pnr_matches_are_finditers() -> None:
    """_pnr_matches tries _PNR_RE only where a run of digits starts; it finds what finditer finds."""
    import smarchive.retention.detectors as d

    rng = random.Random(14)
    for _ in range(20_000):
        text = "".join(rng.choice("0123456789 -+a\n") for _ in range(rng.randint(0, 30)))
        assert ([m.span() + m.groups() for m in d._pnr_matches(text)]
                == [m.span() + m.groups() for m in d._PNR_RE.finditer(text)]), text
