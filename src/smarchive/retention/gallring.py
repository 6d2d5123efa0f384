"""The gallringsdokument of a cull: what was culled, under which decision and rule, by whom and when
(CSV for the registry, HTML to read and print), made from the cull's plan."""

from __future__ import annotations

import csv
import html
import io
import json
from collections import Counter
from collections.abc import Iterable
from datetime import datetime

from smarchive.model import STOCKHOLM


def local_time(moment: datetime | None) -> str:
    """Swedish time with the zone shown (CET or CEST): what a person reads."""
    return moment.astimezone(STOCKHOLM).strftime("%Y-%m-%d %H:%M %Z") if moment else ""


def _counts(plan: dict) -> tuple[Counter, Counter, Counter]:
    categories = Counter(i["category"] for i in plan["items"])
    rules = Counter(r for i in plan["items"] for r in i["rule_ids"])
    types = Counter(i["item_type"] for i in plan["items"])
    return categories, rules, types


ITEM_HEADINGS = ["Objekt-id", "Plattform", "Konto", "År", "Typ", "Publicerad (svensk tid)", "Kategori", "Regler",
                 "Gallringsbar från", "Textens SHA-256", "Mediefilernas SHA-256"]


def _item_cells(i: dict, csv_lists: bool = False) -> list[str]:
    """One culled item's cells; list cells are JSON arrays in the CSV (as in every CSV smarchive writes),
    joined for a person in the HTML."""
    rules = json.dumps(i["rule_ids"]) if csv_lists else ", ".join(i["rule_ids"])
    media = json.dumps(i["media_sha256"]) if csv_lists else " ".join(i["media_sha256"])
    return [i["item_id"], i["platform"], i["account"], str(i["year"]), i["item_type"],
            local_time(datetime.fromisoformat(i["published_at"])), i["category"], rules,
            i["cull_from"] or "", i["text_sha256"], media]


def _facts(plan: dict) -> list[tuple[str, str]]:
    result = plan["result"]
    culled_at = datetime.fromisoformat(result["culled_at"])
    decision = plan["decision"]
    return [
        ("Gallrings-id", plan["cull_id"]),
        ("Handlingsslag", f"Sociala medier: inlägg, kommentarer och svar, årgång {plan['year']}"),
        ("Gallringsbeslut (handlings-id)", decision["id"]),
        ("Beslutets rubrik", decision.get("title", "")),
        ("Beslutets text", decision.get("text", "")),
        ("Gallrat (datum och tid, svensk tid)", local_time(culled_at)),
        ("Gallrat (UTC)", culled_at.strftime("%Y-%m-%dT%H:%M:%SZ")),
        ("Gallringsbart per", plan["as_of"]),
        ("Utfört av", plan["operator"]),
        ("Användarkonto och dator", f"{plan['user']}@{plan['host']}"),
        ("Pipeline och program", f"{plan['pipeline']}, {plan['software']}"),
        ("Antal gallrade objekt", str(len(plan["items"]))),
        ("Antal raderade mediefiler", str(len(result.get("media_deleted", [])))),
        ("Ersatta förekomster i WARC", str(result.get("replacements", 0))),
        ("Förekomster som inte kunde knytas till ett objekt och lämnades", str(result.get("ambiguous_left", 0))),
    ]


def _changed_files(plan: dict) -> list[tuple[str, str, str]]:
    files = plan["result"]["files"]
    rows = [("WARC (innehåll ersatt med [gallrad])", rel, f"SHA-256 före {before}, efter {after}")
            for rel, (before, after) in sorted(files.get("warc_sha256", {}).items())]
    rows += [("WACZ (återskapad)", rel, "") for rel in files.get("wacz", [])]
    rows += [("Manifest (rader borttagna, förskjutningar uppdaterade)", rel, "") for rel in files.get("manifest", [])]
    rows += [("Diarieföringslista (rader borttagna)", rel, "") for rel in files.get("register", [])]
    rows += [("Mediefil (raderad)", loc, "") for loc in plan["result"].get("media_deleted", [])]
    rows += [("Gravsten (tombstones)", rel, "") for rel in files.get("tombstones", [])]
    return rows


def gallring_csv(plan: dict) -> str:
    """Semicolon-separated, UTF-8 with BOM (Excel): facts, counts, items and changed files, blank lines between."""
    out = io.StringIO(newline="")
    w = csv.writer(out, delimiter=";", lineterminator="\r\n")
    categories, rules, types = _counts(plan)
    w.writerow(["Uppgift", "Värde"])
    w.writerows(_facts(plan))
    w.writerow([])
    w.writerow(["Antal per", "Värde", "Antal"])
    w.writerows([("Kategori", k, n) for k, n in sorted(categories.items())])
    w.writerows([("Regel", k, n) for k, n in sorted(rules.items())])
    w.writerows([("Typ", k, n) for k, n in sorted(types.items())])
    w.writerow([])
    w.writerow(ITEM_HEADINGS)
    w.writerows(_item_cells(i, csv_lists=True) for i in plan["items"])
    w.writerow([])
    w.writerow(["Ändrad fil", "Sökväg", "Kontrollsumma"])
    w.writerows(_changed_files(plan))
    return "\ufeff" + out.getvalue()


def gallring_html(plan: dict) -> str:
    e = html.escape
    categories, rules, types = _counts(plan)

    def table(headings: list[str], rows: Iterable[Iterable[object]]) -> str:
        head = "".join(f"<th>{e(h)}</th>" for h in headings)
        body = "".join("<tr>" + "".join(f"<td>{e(str(c))}</td>" for c in r) + "</tr>" for r in rows)
        return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"

    facts = "".join(f"<tr><th>{e(k)}</th><td>{e(v)}</td></tr>" for k, v in _facts(plan))
    count_rows = ([("Kategori", k, n) for k, n in sorted(categories.items())]
                  + [("Regel", k, n) for k, n in sorted(rules.items())]
                  + [("Typ", k, n) for k, n in sorted(types.items())])
    return f"""<!doctype html>
<html lang="sv">
<head><meta charset="utf-8"><title>Gallringsdokument {e(plan['cull_id'])}</title>
<style>body{{font-family:sans-serif;margin:2em;max-width:75em}}table{{border-collapse:collapse;margin:1em 0}}
th,td{{border:1px solid #999;padding:.2em .5em;text-align:left;vertical-align:top;font-size:.9em}}
td{{word-break:break-all}}</style></head>
<body>
<h1>Gallringsdokument</h1>
<p>Dokumentation av gallring av sociala medier, årgång {plan['year']}, enligt gallringsbeslut
(handlings-id) {e(plan['decision']['id'])}. Dokumentet ska diarieföras.</p>
<h2>Vad som gallrats, när och av vem</h2>
<table>{facts}</table>
<h2>Under vilket beslut</h2>
<p><strong>Handlings-id {e(plan['decision']['id'])}: {e(plan['decision'].get('title', ''))}</strong></p>
<blockquote>{e(plan['decision'].get('text', ''))}</blockquote>
<h2>Antal gallrade objekt per kategori, regel och typ</h2>
{table(["Antal per", "Värde", "Antal"], count_rows)}
<h2>Gallrade objekt</h2>
<p>Texten och mediefilerna är förstörda; kvar finns identitet, kontrollsummor och skäl
(gravsten i <code>manifest/tombstones/cull-{e(plan['cull_id'])}.parquet</code>).</p>
{table(ITEM_HEADINGS, (_item_cells(i) for i in plan["items"]))}
<h2>Ändrade filer</h2>
{table(["Ändrad fil", "Sökväg", "Kontrollsumma"], _changed_files(plan))}
</body>
</html>
"""
