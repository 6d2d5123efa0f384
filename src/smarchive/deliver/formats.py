"""MIME types and PRONOM format ids of the files a package holds, by file name ending.

A static table, not an identification: smarchive writes or copies every file itself and knows what it is.
The PUIDs were looked up in the PRONOM signature file v109 that the PyPI package `opf-fido` ships
(`fido/conf/formats-v109.xml`), and given only where the ending names one format whose version smarchive
knows (the WARCs are WARC/1.1, the HTML is HTML5). PRONOM v109 has no entry for Parquet or WACZ; images,
video and audio stored from the platforms keep their MIME type without a PUID (a PNG's version, a JPEG's
variant, needs identification of the bytes: run fido or DROID on ingest if the archive wants it).
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Format:
    mime: str
    name: str
    puid: str = ""  # PRONOM unique identifier, empty when PRONOM v109 has none that fits for sure
    version: str = ""


BY_ENDING: tuple[tuple[str, Format], ...] = (  # longest endings first
    (".warc.gz", Format("application/warc", "WARC", "fmt/1281", "1.1")),
    (".wacz", Format("application/zip", "WACZ (Web Archive Collection Zipped)", "", "1.1.1")),
    (".parquet", Format("application/vnd.apache.parquet", "Apache Parquet")),
    (".csv", Format("text/csv", "Comma Separated Values", "x-fmt/18")),
    (".html", Format("text/html", "Hypertext Markup Language", "fmt/471", "5")),
    (".xsd", Format("application/xml", "XML Schema Definition", "x-fmt/280")),
    (".xml", Format("application/xml", "Extensible Markup Language", "fmt/101", "1.0")),
    # Written by WeasyPrint as PDF/A-2b (`deliver --pdf`); its conformance is not validated here (no veraPDF).
    (".pdf", Format("application/pdf", "Acrobat PDF/A - Portable Document Format", "fmt/477", "2b")),
    (".md", Format("text/markdown", "Markdown", "fmt/1149")),
    (".txt", Format("text/plain", "Plain Text File", "x-fmt/111")),
    (".json", Format("application/json", "JSON Data Interchange Format", "fmt/817")),
    (".png", Format("image/png", "Portable Network Graphics")),
    (".jpg", Format("image/jpeg", "JPEG")),
    (".gif", Format("image/gif", "Graphics Interchange Format")),
    (".webp", Format("image/webp", "WebP")),
    (".mp4", Format("video/mp4", "MPEG-4 Media File", "fmt/199")),
    (".mp3", Format("audio/mpeg", "MPEG 1/2 Audio Layer 3", "fmt/134")),
)
UNKNOWN = Format("application/octet-stream", "unknown")

# Media files are stored by hash without an ending: the ending the package gives them, by content type.
ENDING_OF_TYPE = {"image/png": ".png", "image/jpeg": ".jpg", "image/gif": ".gif", "image/webp": ".webp",
                  "video/mp4": ".mp4", "audio/mpeg": ".mp3"}


def format_of(name: str) -> Format:
    lower = name.lower()
    return next((fmt for ending, fmt in BY_ENDING if lower.endswith(ending)), UNKNOWN)


def ending_for(content_type: str | None) -> str:
    return ENDING_OF_TYPE.get((content_type or "").split(";")[0].strip().lower(), ".bin")
