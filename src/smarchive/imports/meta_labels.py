"""The words Meta's exports (JSON and HTML) label their fields and title their entries with, in the UI language."""

from __future__ import annotations

import re

REPLY_TITLE = re.compile(r"\b(replied|svarade|svarede|har svaret|svarte|antwortete|respondió|répondu)\b",
                         re.IGNORECASE)
COMMENT_LABELS = ("Comment", "Kommentar", "Kommentti", "Comentario", "Commentaire")
TIME_LABELS = ("Time", "Tid", "Zeit", "Hora", "Tiempo", "Heure", "Aika")
USERNAME_LABELS = ("Username", "Användarnamn", "Brugernavn", "Brukernavn", "Benutzername", "Nombre de usuario")
NAME_LABELS = ("Name", "Namn", "Navn", "Nombre")
