"""The HTTP front of the emulator: GraphQL endpoint, staged uploads and bulk result downloads."""

from __future__ import annotations

import json
import re
import threading
from email import policy
from email.parser import BytesParser
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import TYPE_CHECKING
from urllib.parse import parse_qs, unquote, urlsplit

from shopsync.endpoints import LOOPBACK_HOSTS

from .app import GRAPHQL_PATH
from .faults import ConnectionDropped

if TYPE_CHECKING:
    from .app import Emulator

#: Google Cloud Storage's answer to a signed URL past its expiry.
EXPIRED_URL = (
    b"<?xml version='1.0' encoding='UTF-8'?><Error><Code>ExpiredToken</Code>"
    b"<Message>The provided token has expired.</Message></Error>"
)


def is_loopback(host: str) -> bool:
    return host in LOOPBACK_HOSTS or host.startswith("127.")


class _Handler(BaseHTTPRequestHandler):
    server: _HTTPServer
    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True  # headers and body go out at once (no 40 ms stalls)

    def log_message(self, format: str, *args: object) -> None:
        if self.server.verbose:
            super().log_message(format, *args)

    # ------------------------------------------------------------------ helpers
    def _send(self, status: int, body: bytes, headers: dict[str, str] | None = None) -> None:
        self.send_response(status)
        headers = dict(headers or {})
        headers.setdefault("Content-Type", "application/json; charset=utf-8")
        for key, value in headers.items():
            self.send_header(key, value)
        self.send_header("Content-Length", str(len(body)))
        try:
            self.end_headers()
            self.wfile.write(body)
        except (BrokenPipeError, ConnectionResetError):
            self.close_connection = True  # the client gave up (time-out); nothing to answer

    def _send_json(
        self, status: int, payload: object, headers: dict[str, str] | None = None
    ) -> None:
        self._send(status, json.dumps(payload).encode(), headers)

    def _read_body(self) -> bytes:
        length = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(length) if length else b""

    def _drop(self) -> None:
        """Close the connection without an answer (what a client sees on a network cut)."""
        self.close_connection = True
        try:
            self.wfile.flush()
        finally:
            self.connection.close()

    # ------------------------------------------------------------------ routes
    def do_POST(self) -> None:
        path = urlsplit(self.path).path
        if path == GRAPHQL_PATH:
            self._graphql()
        elif path.startswith("/staged-uploads"):
            self._multipart_upload()
        elif re.match(r"^/admin/api/[^/]+/graphql\.json$", path):
            self._send_json(404, {"errors": "Not Found"})
        else:
            self._send_json(404, {"errors": "Not Found"})

    def do_PUT(self) -> None:
        path = urlsplit(self.path).path
        if path.startswith("/staged-uploads/") and len(path) > len("/staged-uploads/"):
            key = unquote(path[len("/staged-uploads/") :])
            self.server.emulator.bulk.store_upload(key, self._read_body())
            self._send(200, b"", {"Content-Type": "text/plain"})
        else:
            self._send_json(404, {"errors": "Not Found"})

    def do_GET(self) -> None:
        parts = urlsplit(self.path)
        path = parts.path
        match = re.match(r"^/bulk-operations/(\d+)\.jsonl$", path)
        if match:
            emulator = self.server.emulator
            data = emulator.bulk.output(int(match.group(1)))
            expires = parse_qs(parts.query).get("expires", [""])[0]
            if data is not None and (
                not emulator.bulk.url_valid(expires) or emulator.download_expired()
            ):
                self._send(403, EXPIRED_URL, {"Content-Type": "application/xml"})
            elif data is None:
                self._send_json(404, {"errors": "Not Found"})
            else:
                self._send(200, data, {"Content-Type": "application/jsonl"})
        elif path == "/healthz":
            self._send_json(200, {"ok": True})
        else:
            self._send_json(404, {"errors": "Not Found"})

    def _graphql(self) -> None:
        raw = self._read_body()
        token = self.headers.get("X-Shopify-Access-Token")
        try:
            if "application/graphql" in (self.headers.get("Content-Type") or ""):
                payload = {"query": raw.decode("utf-8")}  # Shopify also takes raw documents
            else:
                payload = json.loads(raw or b"{}")
            if not isinstance(payload, dict):
                raise ValueError("body must be a JSON object")
        except ValueError:
            emulator = self.server.emulator
            if not token or (emulator.token is not None and token != emulator.token):
                status, headers, body = emulator.execute("", None, token=token)
                self._send_json(status, body, headers)
                return
            self._send_json(400, {"errors": "Bad Request: the body must be JSON"})
            return
        try:
            status, headers, body = self.server.emulator.execute(
                payload.get("query") or "",
                payload.get("variables"),
                token=token,
                operation_name=payload.get("operationName"),
            )
        except ConnectionDropped:
            self._drop()
            return
        self._send_json(status, body, headers)

    def _multipart_upload(self) -> None:
        content_type = self.headers.get("Content-Type", "")
        body = self._read_body()
        if "multipart/form-data" not in content_type:
            self._send(
                400,
                b"<Error><Code>InvalidArgument</Code></Error>",
                {"Content-Type": "application/xml"},
            )
            return
        message = BytesParser(policy=policy.default).parsebytes(
            b"Content-Type: " + content_type.encode() + b"\r\n\r\n" + body
        )
        fields: dict[str, bytes] = {}
        file_data: bytes | None = None
        for part in message.iter_parts():
            name = part.get_param("name", header="content-disposition")
            data = part.get_payload(decode=True) or b""
            if name == "file":
                file_data = data
            elif name:
                fields[name] = data
        key = fields.get("key", b"").decode()
        if not key or file_data is None:
            self._send(
                400,
                b"<Error><Code>InvalidArgument</Code>"
                b"<Message>key and file are required</Message></Error>",
                {"Content-Type": "application/xml"},
            )
            return
        self.server.emulator.bulk.store_upload(key, file_data)
        location = f"{self.server.url}/staged-uploads/{key}"
        xml = (
            "<?xml version='1.0' encoding='UTF-8'?><PostResponse>"
            f"<Location>{location}</Location><Bucket>shopify-staged-uploads</Bucket>"
            f'<Key>{key}</Key><ETag>"{len(file_data):x}"</ETag></PostResponse>'
        ).encode()
        status = int(fields.get("success_action_status", b"201") or 201)
        self._send(status, xml, {"Content-Type": "application/xml", "Location": location})


class _HTTPServer(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True

    def __init__(self, address: tuple[str, int], emulator: Emulator, verbose: bool) -> None:
        super().__init__(address, _Handler)
        self.emulator = emulator
        self.verbose = verbose
        self.url = ""


class EmulatorServer:
    """A running HTTP server for one emulator (see :meth:`Emulator.serve`)."""

    def __init__(
        self, emulator: Emulator, host: str = "127.0.0.1", port: int = 0, verbose: bool = False
    ) -> None:
        self.emulator = emulator
        self._httpd = _HTTPServer((host, port), emulator, verbose)
        real_host, real_port = self._httpd.server_address[:2]
        shown = host if host not in ("0.0.0.0", "::") else "127.0.0.1"
        if ":" in shown:
            shown = f"[{shown}]"
        self.host = real_host
        self.port = real_port
        self.url = f"http://{shown}:{real_port}"
        self.graphql_url = self.url + GRAPHQL_PATH
        self._httpd.url = self.url
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        self._thread = threading.Thread(
            target=self._httpd.serve_forever,
            kwargs={"poll_interval": 0.05},
            name="shopify-emulator",
            daemon=True,
        )
        self._thread.start()

    def serve_forever(self) -> None:
        """Serve in the calling thread (the CLI); returns when :meth:`stop` is called."""
        self._httpd.serve_forever(poll_interval=0.1)

    def stop(self) -> None:
        """Stop serving (from any thread) and release the port."""
        self._httpd.shutdown()
        self.close()
        if self._thread is not None:
            self._thread.join(timeout=5)

    def close(self) -> None:
        """Release the listening socket (idempotent)."""
        self._httpd.server_close()

    def __enter__(self) -> EmulatorServer:
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()
