"""smarchive: archive a municipality's social media as public records.

Stages, one package each: capture -> extract -> (store, tag) -> manifest. See docs/architecture.md:
`capture/`, `platforms/`, `extract/`, `archive/`, `retention/`, `sandbox/`, `pipeline.py` (a run) and `cli/`.
"""

__version__ = "0.1.0"


def dependency_version(name: str) -> str:
    """Installed version of a distribution, for provenance (warcinfo, manifest)."""
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version(name)
    except PackageNotFoundError:
        return "unknown"
