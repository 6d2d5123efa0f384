"""smarchive: archive a municipality's social media as public records.

Stages, one module each: capture -> extract -> store -> tag -> manifest.
"""

__version__ = "0.1.0"


def dependency_version(name: str) -> str:
    """Installed version of a distribution, for provenance (warcinfo, manifest)."""
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version(name)
    except PackageNotFoundError:
        return "unknown"
