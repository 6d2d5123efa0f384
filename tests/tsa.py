"""A test PKI and a real RFC 3161 time-stamp authority on 127.0.0.1, for the seal tests.

The PKI is made with the `openssl` command: a test CA, a TSA certificate (extended key usage
timeStamping, critical, as RFC 3161 requires) and a signing certificate for "the municipality".
The TSA is `openssl ts -reply` behind a small HTTP handler: a POST of a time-stamp request
(application/timestamp-query) is answered with the reply (application/timestamp-reply).
"""

from __future__ import annotations

import subprocess
import tempfile
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

TSA_CONFIG = """
[ tsa ]
default_tsa = test_tsa

[ test_tsa ]
dir = {dir}
serial = $dir/tsaserial
crypto_device = builtin
signer_cert = $dir/tsa.pem
certs = $dir/ca.pem
signer_key = $dir/tsa.key
signer_digest = sha256
default_policy = 1.3.6.1.4.1.4146.2.3
digests = sha256, sha384, sha512
accuracy = secs:1
ordering = yes
tsa_name = yes
ess_cert_id_chain = no
ess_cert_id_alg = sha256
"""


@dataclass(frozen=True)
class Pki:
    folder: Path
    ca: Path          # the test CA's certificate: trust anchor for both the TSA and the signer
    tsa_cert: Path
    signer_key: Path
    signer_cert: Path
    config: Path      # openssl configuration of the TSA


def _openssl(*args: str, cwd: Path) -> None:
    subprocess.run(["openssl", *args], cwd=cwd, check=True, capture_output=True, timeout=60)


def _issue(folder: Path, name: str, subject: str, extensions: str) -> None:
    """A key and a certificate for `subject`, signed by the test CA."""
    _openssl("req", "-new", "-newkey", "rsa:2048", "-nodes", "-keyout", f"{name}.key", "-out", f"{name}.csr",
             "-subj", subject, cwd=folder)
    (folder / f"{name}.ext").write_text(extensions)
    _openssl("x509", "-req", "-in", f"{name}.csr", "-CA", "ca.pem", "-CAkey", "ca.key", "-CAcreateserial",
             "-days", "2", "-out", f"{name}.pem", "-extfile", f"{name}.ext", cwd=folder)


def make_pki(folder: Path) -> Pki:
    folder.mkdir(parents=True, exist_ok=True)
    _openssl("req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", "ca.key", "-out", "ca.pem", "-days", "2",
             "-subj", "/CN=smarchive test CA", "-addext", "basicConstraints=critical,CA:TRUE",
             "-addext", "keyUsage=critical,keyCertSign,cRLSign", cwd=folder)
    _issue(folder, "tsa", "/CN=smarchive test TSA", "basicConstraints=CA:FALSE\n"
           "keyUsage=critical,digitalSignature,nonRepudiation\nextendedKeyUsage=critical,timeStamping\n")
    _issue(folder, "signer", "/O=Test kommun/CN=Test kommun arkivsigill", "basicConstraints=CA:FALSE\n"
           "keyUsage=critical,digitalSignature,nonRepudiation\n")
    (folder / "tsaserial").write_text("01\n")
    config = folder / "tsa.cnf"
    config.write_text(TSA_CONFIG.format(dir=folder))
    return Pki(folder, folder / "ca.pem", folder / "tsa.pem", folder / "signer.key", folder / "signer.pem", config)


def _handler(pki: Pki, requests: list[bytes]) -> type[BaseHTTPRequestHandler]:
    class TimeStampHandler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:  # noqa: N802 (the http.server name)
            query = self.rfile.read(int(self.headers.get("Content-Length", 0)))
            requests.append(query)
            with tempfile.TemporaryDirectory() as work:
                (Path(work) / "q.tsq").write_bytes(query)
                answer = subprocess.run(["openssl", "ts", "-reply", "-config", str(pki.config), "-queryfile",
                                         str(Path(work) / "q.tsq"), "-out", str(Path(work) / "r.tsr")],
                                        capture_output=True, timeout=60)
                reply = (Path(work) / "r.tsr").read_bytes() if answer.returncode == 0 else b""
            self.send_response(200 if reply else 400)
            self.send_header("Content-Type", "application/timestamp-reply")
            self.send_header("Content-Length", str(len(reply)))
            self.end_headers()
            self.wfile.write(reply)

        def log_message(self, *_args) -> None:  # quiet test output
            pass

    return TimeStampHandler


@contextmanager
def running_tsa(pki: Pki) -> Iterator[tuple[str, list[bytes]]]:
    """The TSA on a free 127.0.0.1 port: yields its URL and the requests it answered; stopped afterwards."""
    requests: list[bytes] = []
    server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(pki, requests))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/tsa", requests
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=10)
