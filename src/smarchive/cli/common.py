"""What every command shares: the year check, exit codes, and the one-line explanation of a write failure."""

from __future__ import annotations

import errno
from datetime import date
from pathlib import Path

from smarchive.errors import SmarchiveError

FIRST_YEAR = 2004  # the oldest social media platform archived here (Facebook) opened in 2004
EXIT_FAILED = 1  # the run finished, but something failed (see the report)
EXIT_USAGE = 2  # bad input, configuration or environment: nothing was done


def check_year(year: int) -> int:
    this_year = date.today().year
    if year > this_year:
        raise SmarchiveError(f"year {year} is in the future (this is {this_year})")
    if year < FIRST_YEAR:
        raise SmarchiveError(f"year {year} is before {FIRST_YEAR}, when the first of these platforms opened")
    return year


def write_problem(error: OSError, archive: Path) -> str:
    """What went wrong writing the archive, where, and what to do, in one line."""
    what = {errno.ENOSPC: "disk full", errno.EDQUOT: "disk quota exceeded",
            errno.EROFS: "read-only file system"}.get(error.errno or 0, "cannot write")
    where = error.filename or archive.resolve()
    return (f"{what} ({error.strerror or error}) writing {where}; the run stopped, accounts finished before "
            f"it are kept. Free space (or make the folder writable), then run the same command again: "
            f"it resumes where it stopped")
