"""The recording proxy: warcprox, run in-process, one instance per account capture.

Why a proxy and not Playwright's HAR or CDP: measured on this machine (BRIEF.md), warcprox kept
every byte exact, while HAR re-encoded non-UTF-8 pages and dropped large bodies, and CDP missed
cross-site iframes. One proxy per account means its WARC is closed when the account is done.
"""

from __future__ import annotations

import logging
import warnings
from pathlib import Path

import warcprox
import warcprox.controller
import warcprox.main
import warcprox.warcproxy


class Recorder:
    """Start with `with Recorder(folder, prefix) as rec:`; route the browser through rec.port."""

    def __init__(self, folder: Path, prefix: str):
        self.folder = Path(folder)
        self.prefix = prefix
        self._controller: warcprox.controller.WarcproxController | None = None

    @property
    def port(self) -> int:
        assert self._controller is not None, "recorder not started"
        return self._controller.proxy.server_port

    def start(self) -> Recorder:
        self.folder.mkdir(parents=True, exist_ok=True)
        # warcprox refuses loopback targets by default; the sandbox lives there.
        warcprox.warcproxy.WarcProxyHandler.allow_localhost = True
        logging.getLogger("warcprox").setLevel(logging.CRITICAL)
        # hanzo (warcprox's WARC library) opens its gzip writers in a way Python now warns about.
        warnings.filterwarnings("ignore", category=FutureWarning, module="hanzo")
        args = warcprox.main._build_arg_parser().parse_args(
            [
                "--address", "127.0.0.1",
                "--port", "0",
                "--dir", str(self.folder),
                "--gzip",
                "--prefix", self.prefix,
                "--digest-algorithm", "sha256",
                "--dedup-db-file", "/dev/null",  # every capture stands alone: no revisit records
                "--stats-db-file", "/dev/null",
                "--certs-dir", str(self.folder / ".certs"),
                "--size", str(2**62),  # one file per account capture; no rollover mid-capture
            ]
        )
        self._controller = warcprox.controller.WarcproxController(args)
        self._controller.start()
        return self

    def stop(self) -> list[Path]:
        """Stop the proxy after all queued records are written; return the closed WARC files."""
        if self._controller is not None:
            self._controller.shutdown()
            self._controller = None
        return sorted(self.folder.glob(f"{self.prefix}-*.warc.gz"))

    def __enter__(self) -> Recorder:
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()
