"""The nginx proxy of docker compose, run for real from deploy/nginx in front of a real gateway:
it passes ordinary requests through and refuses what could freeze the gateway."""

from __future__ import annotations

import contextlib
import json
import shutil
import socket
import subprocess
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.reliability.harness import running_stack
from tests.reliability.test_request_limits import exchange
from tests.support import databases
from tests.support.services import REPO_ROOT, free_port
from tests.support.waiting import wait_until

pytestmark = pytest.mark.slow

NGINX = shutil.which("nginx") or "/usr/sbin/nginx"
CONF_DIR = REPO_ROOT / "deploy" / "nginx"


def proxy_config(gateway_port: int, port: int, folder: Path) -> str:
    """deploy/nginx/campusdesk.conf with only its addresses and paths moved to this machine."""
    text = (CONF_DIR / "campusdesk.conf").read_text()
    moves = {
        "/etc/nginx/campusdesk/": f"{CONF_DIR}/",
        "server web_gateway:8000;": f"server 127.0.0.1:{gateway_port};",
        "listen 8080;": f"listen 127.0.0.1:{port};",
        "pid /tmp/nginx.pid;": f"pid {folder}/nginx.pid;",
        "access_log /dev/stdout campusdesk;": f"access_log {folder}/access.log campusdesk;",
    }
    for old, new in moves.items():
        assert old in text, f"campusdesk.conf no longer has {old!r}"
        text = text.replace(old, new)
    return text


@pytest.fixture(scope="module")
def proxy_folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("proxy")


@pytest.fixture(scope="module")
def proxy(proxy_folder: Path) -> Iterator[tuple[str, int]]:
    if not Path(NGINX).exists():
        pytest.skip("nginx is not installed: run `bash scripts/ensure-debian-packages.sh`")
    folder = proxy_folder
    url = databases.copy_sqlite(databases.create_sqlite_template(folder / "template"), folder)
    with running_stack(url, analytics=False) as stack:
        assert stack.gateway is not None
        port = free_port()
        conf = folder / "nginx.conf"
        conf.write_text(proxy_config(stack.gateway.port, port, folder))
        process = subprocess.Popen([NGINX, "-e", "stderr", "-c", str(conf), "-g", "daemon off;"])
        try:
            assert wait_until(lambda: _answers(port), give_up_after=10), "nginx did not start"
            yield "127.0.0.1", port
        finally:
            process.terminate()
            process.wait(10)


def _answers(port: int) -> bool:
    try:
        return httpx.get(f"http://127.0.0.1:{port}/health", timeout=1).status_code == 200
    except httpx.HTTPError:
        return False


def test_the_proxy_passes_pages_through(proxy: tuple[str, int]) -> None:
    response = httpx.get(f"http://{proxy[0]}:{proxy[1]}/")
    assert response.status_code == 200
    assert "CampusDesk" in response.text


def test_a_huge_header_is_a_431_problem(proxy: tuple[str, int]) -> None:
    head = b"GET / HTTP/1.1\r\nHost: x\r\nX-Big: "
    status, headers, body = exchange(proxy, head, *[b"a" * 65536] * 128)
    assert status == 431
    assert headers["content-type"] == "application/problem+json"
    assert json.loads(body)["status"] == 431


def test_ten_thousand_headers_are_a_431(proxy: tuple[str, int]) -> None:
    fields = b"".join(b"X-%d: 1\r\n" % i for i in range(10_000))
    status, _, _ = exchange(proxy, b"GET / HTTP/1.1\r\nHost: x\r\n" + fields + b"\r\n")
    assert status == 431


def test_a_huge_request_line_is_a_414(proxy: tuple[str, int]) -> None:
    status, _, _ = exchange(proxy, b"GET /?q=" + b"a" * 20_000 + b" HTTP/1.1\r\nHost: x\r\n\r\n")
    assert status == 414


def test_a_huge_body_is_a_413_problem(proxy: tuple[str, int]) -> None:
    body = b"description=" + b"a" * 1_000_000
    # /tickets takes photos, so the proxy lets a large body through: the gateway refuses a text form's.
    head = (
        b"POST /tickets HTTP/1.1\r\nHost: x\r\nConnection: close\r\nContent-Type: application/x-www-form-urlencoded\r\n"
    )
    status, headers, answer = exchange(proxy, head + b"Content-Length: %d\r\n\r\n" % len(body), body)
    assert status == 413
    assert headers["content-type"] == "application/problem+json"
    assert json.loads(answer)["status"] == 413


def _multipart(size: int) -> tuple[bytes, bytes]:
    """A form with one photo part of `size` bytes: the head's Content-Type and the body."""
    boundary = b"campusdesk-test-boundary"
    body = (
        b"--" + boundary + b"\r\n"
        b'Content-Disposition: form-data; name="photos"; filename="p.jpg"\r\n'
        b"Content-Type: image/jpeg\r\n\r\n" + b"\0" * size + b"\r\n--" + boundary + b"--\r\n"
    )
    return b"Content-Type: multipart/form-data; boundary=" + boundary + b"\r\n", body


def test_a_report_with_photos_passes_the_proxy_and_one_over_three_photos_is_a_413(proxy: tuple[str, int]) -> None:
    # 2 MB of photo is more than a text form may carry but reaches the gateway (which refuses it: no CSRF token).
    content_type, body = _multipart(2_000_000)
    head = b"POST /tickets HTTP/1.1\r\nHost: x\r\nConnection: close\r\n" + content_type
    status, headers, _ = exchange(proxy, head + b"Content-Length: %d\r\n\r\n" % len(body), body)
    assert status == 403
    assert headers["content-type"].startswith("text/html")
    # Over 3 x 10 MiB (+ text) the proxy refuses from the Content-Length alone.
    too_big = 31 * 1024 * 1024 + 1
    status, headers, answer = exchange(proxy, head + b"Content-Length: %d\r\n\r\n" % too_big, b"\0" * 65536)
    assert status == 413
    assert headers["content-type"] == "application/problem+json"
    assert json.loads(answer)["status"] == 413


def test_a_large_body_to_a_route_without_files_is_a_413_problem(proxy: tuple[str, int]) -> None:
    content_type, body = _multipart(1_000_000)
    head = b"POST /tickets/1/description HTTP/1.1\r\nHost: x\r\nConnection: close\r\n" + content_type
    status, headers, _ = exchange(proxy, head + b"Content-Length: %d\r\n\r\n" % len(body), body)
    assert status == 413
    assert headers["content-type"] == "application/problem+json"


def test_a_slow_head_is_dropped_while_others_are_served(proxy: tuple[str, int]) -> None:
    with socket.create_connection(proxy, timeout=20) as sock:
        sock.sendall(b"GET / HTTP/1.1\r\nHost: x\r\n")  # and nothing more
        assert _answers(proxy[1])
        # After client_header_timeout (10 s) nginx resets the connection without an answer.
        with contextlib.suppress(ConnectionResetError):
            assert sock.recv(65536) == b""


def test_the_access_log_never_holds_a_private_links_token(proxy: tuple[str, int], proxy_folder: Path) -> None:
    token = "Secr3tT0ken_of-32-characters-xyz"
    assert len(token) == 32
    base = f"http://{proxy[0]}:{proxy[1]}"
    asked = [
        httpx.get(f"{base}/t/{token}?notice=created", headers={"Referer": f"https://campus.example/t/{token}"}),
        httpx.get(f"{base}/t/{token}/messages?after=3"),
        httpx.get(f"{base}/%74/{token}"),  # the gateway decodes it to /t/<token>
        httpx.get(f"{base}/unsubscribe/{token}"),
        httpx.post(f"{base}/unsubscribe/{token}", content=b"List-Unsubscribe=One-Click"),
    ]
    # No such link (the unsubscribe GET only asks to confirm): answered, and logged.
    assert [r.status_code for r in asked] == [404, 404, 404, 200, 404]
    log = proxy_folder / "access.log"
    assert wait_until(lambda: log.exists() and log.read_text().count("<redacted>") >= 6, give_up_after=10)
    text = log.read_text()
    assert token not in text
    assert "Secr3t" not in text
    assert '"GET /t/<redacted>?notice=created HTTP/1.1" 404' in text
    assert '"GET /t/<redacted>/messages?after=3 HTTP/1.1" 404' in text
    assert '"POST /unsubscribe/<redacted> HTTP/1.1" 404' in text
    assert '"https://campus.example/t/<redacted>"' in text
