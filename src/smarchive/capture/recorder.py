"""The recording proxy: warcprox, run in-process, one instance per account capture.

Why a proxy and not Playwright's HAR or CDP: measured on this machine (BRIEF.md), warcprox kept
every byte exact, while HAR re-encoded non-UTF-8 pages and dropped large bodies, and CDP missed
cross-site iframes. One proxy per account means its WARC is closed when the account is done.

warcprox writes from a queue, on its own thread: `flush()` waits until what the proxy has
recorded so far is written and on disk, which is when a page may count as captured (see
journal.PageJournal).
"""

from __future__ import annotations

import logging
import os
import threading
import warnings
from pathlib import Path

import warcprox
import warcprox.controller
import warcprox.main
import warcprox.warcproxy

from smarchive.capture.journal import fsync_dir


class Recorder:
    """Start with `with Recorder(folder, prefix) as rec:`; route the browser through rec.port."""

    def __init__(self, folder: Path, prefix: str):
        self.folder = Path(folder)
        self.prefix = prefix
        self._controller: warcprox.controller.WarcproxController | None = None
        self._queue_lock = threading.Lock()
        self._written = threading.Condition()  # held while the writer writes: flush() sees whole records
        self._queued = 0
        self._done = 0

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
        self._count_records()
        self._controller.start()
        return self

    def _count_records(self) -> None:
        """Count what the proxy hands to its postfetch chain and what the WARC writer has finished.

        warcprox has no "wait until written" call; both hooks are instance attributes its own code
        looks up, so the counts are exact and nothing else changes.
        """
        assert self._controller is not None
        queue = self._controller.proxy.recorded_url_q
        writer = self._controller.warc_writer_processor
        put, process = queue.put, writer._process_url

        def counted_put(item, *args, **kwargs):  # type: ignore[no-untyped-def]
            with self._queue_lock:  # counted in the order the chain (FIFO, one thread each) sees them
                self._queued += 1
                put(item, *args, **kwargs)

        def counted_process(recorded_url) -> None:  # type: ignore[no-untyped-def]
            with self._written:
                try:
                    process(recorded_url)
                finally:
                    self._done += 1
                    self._written.notify_all()

        queue.put = counted_put
        writer._process_url = counted_process

    def flush(self, timeout: float = 120.0) -> tuple[str, int] | None:
        """Wait until every exchange recorded so far is written, fsync the WARC, and return
        (file name once closed, size now): a record boundary below which everything is on disk.

        None if the writer did not catch up within `timeout` or has written nothing yet.
        """
        assert self._controller is not None, "recorder not started"
        with self._queue_lock:
            target = self._queued
        with self._written:
            if not self._written.wait_for(lambda: self._done >= target, timeout):
                return None
            writer = self._controller.warc_writer_processor.writer_pool.default_warc_writer
            if writer.f is None:
                return None
            writer.f.flush()
            os.fsync(writer.f.fileno())
            fsync_dir(Path(writer.path).parent)  # the file's own name is durable too
            return writer.finalname, writer.f.tell()

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
