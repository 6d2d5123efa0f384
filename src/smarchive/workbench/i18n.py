"""The workbench's words: Swedish (the users are Swedish municipal staff), English selectable.

Terms of art stay as in the guideline: diarieföring, gallring, bevaras, begränsad åtkomst.
"""

from __future__ import annotations

LANGUAGES = ("sv", "en")

WORDS: dict[str, tuple[str, str]] = {  # key -> (Swedish, English)
    "title": ("Arkivariens arbetsbänk", "The archivists' workbench"),
    "login": ("Logga in", "Log in"),
    "logout": ("Logga ut", "Log out"),
    "user": ("Användare", "User"),
    "password": ("Lösenord", "Password"),
    "bad_login": ("Fel användarnamn eller lösenord.", "Wrong user name or password."),
    "overview": ("Översikt", "Overview"),
    "search": ("Sök", "Search"),
    "worklists": ("Arbetslistor", "Worklists"),
    "needs-review": ("Att bedöma", "Needs review"),
    "register": ("Att diarieföra", "To register"),
    "remove": ("Att ta bort från plattformen", "To remove from the platform"),
    "cull": ("Kan gallras", "Cull candidates"),
    "open": ("kvar", "open"),
    "year": ("År", "Year"),
    "platform": ("Plattform", "Platform"),
    "account": ("Konto", "Account"),
    "item_type": ("Typ", "Type"),
    "category": ("Kategori", "Category"),
    "access": ("Åtkomst", "Access"),
    "restricted": ("begränsad", "restricted"),
    "items": ("Poster", "Items"),
    "posts": ("Inlägg", "Posts"),
    "comments": ("Kommentarer", "Comments"),
    "replies": ("Svar", "Replies"),
    "media": ("Media", "Media"),
    "to_register": ("Diarieföras", "To register"),
    "to_remove": ("Tas bort", "To remove"),
    "cull_eligible": ("Gallringsbara", "Cull-eligible"),
    "needs_review": ("Att bedöma", "Needs review"),
    "per_month": ("Poster per månad", "Items per month"),
    "runs": ("Körningar", "Runs"),
    "warnings": ("Varningar", "Warnings"),
    "errors": ("Fel", "Errors"),
    "published": ("Publicerad", "Published"),
    "text": ("Text", "Text"),
    "rules": ("Regler", "Rules"),
    "results": ("träffar", "results"),
    "page": ("Sida", "Page"),
    "next": ("Nästa", "Next"),
    "previous": ("Föregående", "Previous"),
    "export": ("Exportera", "Export"),
    "thread": ("Tråden", "The thread"),
    "tag": ("Klassning", "Tag"),
    "evidence": ("Belägg", "Evidence"),
    "provenance": ("Proveniens", "Provenance"),
    "coverage": ("Fullständighet", "Coverage"),
    "screenshot": ("Skärmbild", "Screenshot"),
    "decisions": ("Beslut", "Decisions"),
    "decide": ("Besluta", "Decide"),
    "confirm": ("Bekräfta klassningen", "Confirm the tag"),
    "retention": ("Bevarande", "Retention"),
    "preserve": ("bevaras", "preserve"),
    "cull-eligible": ("gallringsbar", "cull-eligible"),
    "cull_from": ("Gallras från", "Cull from"),
    "actions": ("Åtgärder", "Actions"),
    "reason": ("Motivering", "Reason"),
    "diarienummer": ("Diarienummer", "Registration number (diarienummer)"),
    "mark_registered": ("Diarieförd", "Registered"),
    "removed_at": ("Borttagen från plattformen", "Removed from the platform"),
    "mark_removed": ("Markera borttagen", "Mark removed"),
    "recorded": ("Beslutet är registrerat.", "The decision is recorded."),
    "current_decision": ("Gällande beslut", "Current decision"),
    "none": ("inga", "none"),
    "hidden_items": ("poster med begränsad åtkomst visas inte", "items with restricted access are not shown"),
    "reported": ("plattformen anger", "platform says"),
    "captured": ("fångade", "captured"),
    "language": ("In English", "På svenska"),
    "all": ("alla", "all"),
    "nothing": ("Inget här.", "Nothing here."),
    "rules_tag": ("Reglernas klassning", "The rules' tag"),
}


def translate(lang: str, key: str) -> str:
    pair = WORDS.get(key)
    if pair is None:
        return key
    return pair[1] if lang == "en" else pair[0]
