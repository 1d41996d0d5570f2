"""A throw-away PostgreSQL cluster for the tests: initdb + pg_ctl in a temp folder, on loopback.

``SHOPSYNC_TEST_POSTGRES`` chooses: unset or ``auto`` starts a cluster when Debian's server
binaries are installed (/usr/lib/postgresql/*/bin) and skips the PostgreSQL tests, saying why,
when it cannot; ``require`` fails instead of skipping (CI); ``off`` skips them; a
``postgresql://`` URL uses that server (the tests create and drop their own databases on it).
"""

from __future__ import annotations

import glob
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from sqlalchemy.engine import make_url

__all__ = ["Cluster", "ClusterUnavailable", "postgres_cluster"]

SUPERUSER = "shopsync"


class ClusterUnavailable(RuntimeError):
    """No PostgreSQL server can be started or reached here; the message says why."""


def _server_bin() -> Path:
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"), key=_major_version)
    if found:
        return Path(found[-1]).parent
    initdb = shutil.which("initdb")
    if initdb:
        return Path(initdb).parent
    raise ClusterUnavailable(
        "PostgreSQL server binaries not found (apt-get install postgresql, or set "
        "SHOPSYNC_TEST_POSTGRES to a server URL)"
    )


def _major_version(path: str) -> int:
    part = Path(path).parts[-3]
    return int(part) if part.isdigit() else 0


def _run_as() -> str | None:
    """The user the server runs as: PostgreSQL refuses to run as root."""
    if os.geteuid() != 0:
        return None
    for name in ("postgres", "nobody"):
        try:
            pwd.getpwnam(name)
        except KeyError:
            continue
        return name
    raise ClusterUnavailable("running as root and no 'postgres' user to run the server as")


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class Cluster:
    """A PostgreSQL server and the URL of its maintenance database."""

    def __init__(self, url: str):
        self.url = make_url(url)

    def database_url(self, name: str) -> str:
        return self.url.set(database=name).render_as_string(hide_password=False)

    @contextmanager
    def database(self) -> Iterator[str]:
        """A new empty database, dropped afterwards (even with connections left open)."""
        import psycopg

        name = f"shopsync_test_{uuid.uuid4().hex[:12]}"
        admin = self.url.set(drivername="postgresql").render_as_string(hide_password=False)
        with psycopg.connect(admin, autocommit=True) as conn:
            conn.execute(f'CREATE DATABASE "{name}"')
        try:
            yield self.database_url(name)
        finally:
            with psycopg.connect(admin, autocommit=True) as conn:
                conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@contextmanager
def _started_cluster() -> Iterator[Cluster]:
    try:
        import psycopg  # noqa: F401
    except ImportError:
        raise ClusterUnavailable(
            "psycopg is not installed (pip install 'shopsync[postgres]')"
        ) from None
    bin_dir = _server_bin()
    user = _run_as()
    folder = Path(tempfile.mkdtemp(prefix="shopsync-pg-"))
    data = folder / "data"
    if user is not None:
        entry = pwd.getpwnam(user)
        os.chown(folder, entry.pw_uid, entry.pw_gid)
    port = _free_port()
    log = folder / "server.log"

    def run(*args: str) -> None:
        done = subprocess.run(
            [str(bin_dir / args[0]), *args[1:]],
            user=user,
            cwd=folder,
            capture_output=True,
            text=True,
            timeout=120,
        )
        if done.returncode != 0:
            raise ClusterUnavailable(
                f"{args[0]} failed ({done.returncode}): {(done.stderr or done.stdout).strip()}"
            )

    try:
        run("initdb", "-D", str(data), "-U", SUPERUSER, "-A", "trust", "-E", "UTF8", "--no-sync")
        options = (
            f"-c listen_addresses=127.0.0.1 -c port={port} "
            f"-c unix_socket_directories={folder} -c fsync=off -c max_connections=100"
        )
        run("pg_ctl", "-D", str(data), "-l", str(log), "-o", options, "-w", "-t", "60", "start")
        try:
            yield Cluster(f"postgresql+psycopg://{SUPERUSER}@127.0.0.1:{port}/postgres")
        finally:
            run("pg_ctl", "-D", str(data), "-m", "immediate", "-w", "stop")
    finally:
        shutil.rmtree(folder, ignore_errors=True)


@contextmanager
def postgres_cluster(setting: str | None = None) -> Iterator[Cluster]:
    """The cluster the setting asks for (see the module docstring); raises ClusterUnavailable."""
    setting = setting if setting is not None else os.environ.get("SHOPSYNC_TEST_POSTGRES", "auto")
    if setting.startswith("postgresql"):
        url = setting.replace("postgresql://", "postgresql+psycopg://", 1)
        yield Cluster(url)
        return
    if setting == "off":
        raise ClusterUnavailable("SHOPSYNC_TEST_POSTGRES=off")
    if setting not in ("auto", "require"):
        raise ClusterUnavailable(
            f"SHOPSYNC_TEST_POSTGRES={setting!r}: expected auto, require, off or a URL"
        )
    with _started_cluster() as cluster:
        yield cluster
