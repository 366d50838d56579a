"""Start or stop a throwaway PostgreSQL cluster on a free loopback port (standard library only).

    eval "$(python scripts/throwaway_postgres.py start)"   # prints export lines
    python scripts/throwaway_postgres.py stop

PostgreSQL refuses to run as root, so under root (as in CI) the cluster belongs
to the `postgres` system user (or `nobody`). The cluster lives in a temporary
folder that `stop` deletes; fsync is off because the data is disposable.
"""

from __future__ import annotations

import glob
import os
import pwd
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

STATE_FILE = Path(tempfile.gettempdir()) / f"campusdesk-test-postgres-{os.getuid()}-{os.getppid()}.env"
DB_USER = "campusdesk"
DB_NAME = "campusdesk"


def pg_bin(name: str) -> str:
    found = shutil.which(name)
    if found:
        return found
    candidates = sorted(glob.glob(f"/usr/lib/postgresql/*/bin/{name}"), reverse=True)
    if not candidates:
        sys.exit(f"PostgreSQL's {name} was not found; install postgresql-15 (apt-get install postgresql)")
    return candidates[0]


def run_as_user() -> list[str]:
    """The command prefix that runs PostgreSQL tools as a non-root user."""
    if os.getuid() != 0:
        return []
    for user in ("postgres", "nobody"):
        try:
            pwd.getpwnam(user)
        except KeyError:
            continue
        return ["runuser", "-u", user, "--"]
    sys.exit("running as root and no postgres or nobody user exists to own the cluster")


def owner_uid() -> tuple[int, int]:
    prefix = run_as_user()
    if not prefix:
        return os.getuid(), os.getgid()
    entry = pwd.getpwnam(prefix[2])
    return entry.pw_uid, entry.pw_gid


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def start() -> None:
    base = Path(tempfile.mkdtemp(prefix="campusdesk-pg-"))
    uid, gid = owner_uid()
    os.chown(base, uid, gid)
    os.chmod(base, 0o755)
    data = base / "data"
    prefix = run_as_user()
    subprocess.run(
        [
            *prefix,
            pg_bin("initdb"),
            "-D",
            str(data),
            "-U",
            DB_USER,
            "--auth=trust",
            "-E",
            "UTF8",
            "--locale=C.UTF-8",
            "--no-sync",
        ],
        check=True,
        stdout=subprocess.DEVNULL,
    )
    port = free_port()
    options = (
        f"-p {port} -k {base} -c listen_addresses=127.0.0.1 -c fsync=off -c synchronous_commit=off "
        "-c full_page_writes=off -c max_connections=300 -c shared_buffers=256MB"
    )
    subprocess.run(
        [*prefix, pg_bin("pg_ctl"), "-D", str(data), "-o", options, "-l", str(base / "server.log"), "-w", "start"],
        check=True,
        stdout=subprocess.DEVNULL,
    )
    for _ in range(50):
        ready = subprocess.run([pg_bin("pg_isready"), "-h", "127.0.0.1", "-p", str(port)], capture_output=True)
        if ready.returncode == 0:
            break
        time.sleep(0.1)
    subprocess.run([pg_bin("createdb"), "-h", "127.0.0.1", "-p", str(port), "-U", DB_USER, DB_NAME], check=True)
    url = f"postgresql+psycopg://{DB_USER}@127.0.0.1:{port}/{DB_NAME}"
    exports = {
        "CAMPUSDESK_TEST_POSTGRES_URL": url,
        "CAMPUSDESK_TEST_PGDATA": str(data),
        "CAMPUSDESK_TEST_PGBASE": str(base),
        "CAMPUSDESK_TEST_PGPORT": str(port),
        "CAMPUSDESK_TEST_PGOPTIONS": options,
        "CAMPUSDESK_TEST_PG_RUNAS": " ".join(prefix),
    }
    lines = [f"export {key}='{value}'" for key, value in exports.items()]
    print("\n".join(lines))
    print(f"echo '==> throwaway PostgreSQL on 127.0.0.1:{port} ({base})' >&2")


def stop(base: str | None = None) -> None:
    base = base or os.environ.get("CAMPUSDESK_TEST_PGBASE")
    if not base or not Path(base).exists():
        return
    data = Path(base) / "data"
    if data.exists():
        subprocess.run(
            [*run_as_user(), pg_bin("pg_ctl"), "-D", str(data), "-m", "immediate", "-w", "stop"],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            check=False,
        )
    shutil.rmtree(base, ignore_errors=True)


if __name__ == "__main__":
    if len(sys.argv) < 2 or sys.argv[1] not in ("start", "stop"):
        sys.exit(__doc__)
    if sys.argv[1] == "start":
        start()
    else:
        stop(sys.argv[2] if len(sys.argv) > 2 else None)
