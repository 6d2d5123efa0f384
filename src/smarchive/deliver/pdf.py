"""`deliver --pdf`: each account's rendition as one PDF/A-2b file, written by WeasyPrint with the system's Pango.

The PDF is made from the HTML rendition already in the package (the account's index, then its pages in the
index's order), so it shows the same texts, images and screenshots. WeasyPrint writes the PDF/A-2b
identification (XMP `pdfaid:part=2`, `conformance=B`), an sRGB output intent and embedded fonts; whether
the file conforms is not checked here (no veraPDF can be installed): docs/delivery.md says what was checked.
The same HTML gives the same bytes (no creation date is written).

An account's pages are laid out together in memory before the file is written: for a very large account
this costs memory the HTML rendition does not (the rendition itself is streamed).
"""

from __future__ import annotations

from pathlib import Path

from smarchive.errors import SmarchiveError

PDF_VARIANT = "pdf/a-2b"


def account_pdf(pages: list[Path], title: str) -> bytes:
    """One PDF/A-2b of the HTML files `pages`, in that order (relative images resolved beside each page)."""
    try:
        from weasyprint import HTML
    except (ImportError, OSError) as e:  # OSError: the system's Pango is missing
        raise SmarchiveError(f"--pdf needs WeasyPrint and the system's Pango ({e}); run scripts/setup.sh") from None
    documents = [HTML(filename=str(page), encoding="utf-8").render() for page in pages]
    if not documents:
        raise SmarchiveError(f"{title}: no rendition pages to write a PDF from")
    every_page = [page for document in documents for page in document.pages]
    combined = documents[0].copy(every_page)
    combined.metadata.title = title
    return combined.write_pdf(pdf_variant=PDF_VARIANT)
