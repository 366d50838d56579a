"""No request can freeze a service: every service limits the request head and slow clients.

Raw sockets, because an HTTP client library refuses to send what an attacker would.
While one connection misbehaves, the same service keeps answering others.
"""

from __future__ import annotations

import json
import re
import socket
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from campusdesk_common.problems import PROBLEM_TYPE_BASE
from tests.reliability.harness import Stack, running_stack
from tests.support import databases
from tests.support.services import COMMANDS

pytestmark = pytest.mark.slow

# Short clocks so the slow-client cases end quickly; the sizes are the production defaults.
LIMITS_ENV = {"CAMPUSDESK_REQUEST_HEAD_TIMEOUT": "1", "CAMPUSDESK_REQUEST_BODY_TIMEOUT": "1"}
SERVICES = list(COMMANDS)


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    folder = tmp_path_factory.mktemp("limits")
    url = databases.copy_sqlite(databases.create_sqlite_template(folder / "template"), folder)
    with running_stack(url, ticket_extra_env=LIMITS_ENV) as running:
        yield running


def address(stack: Stack, name: str) -> tuple[str, int]:
    service = {s.name: s for s in stack.all()}[name]
    return "127.0.0.1", service.port


def exchange(target: tuple[str, int], *chunks: bytes) -> tuple[int, dict[str, str], bytes]:
    """Send the chunks on one connection; read the answer until the server closes or 5 s pass."""
    with socket.create_connection(target, timeout=5) as sock:
        for chunk in chunks:
            try:
                sock.sendall(chunk)
            except (BrokenPipeError, ConnectionResetError):
                break  # the server answered and closed early, as it should
        return read_answer(sock)


def read_answer(sock: socket.socket) -> tuple[int, dict[str, str], bytes]:
    """One answer: read until its Content-Length is complete, or until the server closes.

    A server that refused a body (413) may keep the connection open a few seconds to drain what
    the client still sends (nginx's lingering close): the answer is complete before that.
    """
    data = b""
    try:
        while not _complete(data) and (chunk := sock.recv(65536)):
            data += chunk
    except ConnectionResetError:
        pass
    head, _, body = data.partition(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    status = int(lines[0].split()[1])
    headers = dict(line.split(": ", 1) for line in lines[1:] if ": " in line)
    return status, {k.lower(): v for k, v in headers.items()}, body


def _complete(data: bytes) -> bool:
    head, separator, body = data.partition(b"\r\n\r\n")
    if not separator:
        return False
    length = re.search(rb"(?im)^content-length:\s*(\d+)\s*$", head)
    return length is not None and len(body) >= int(length.group(1))


def assert_still_answers(stack: Stack, name: str) -> None:
    host, port = address(stack, name)
    assert httpx.get(f"http://{host}:{port}/health", timeout=2).status_code == 200


@pytest.mark.parametrize("name", SERVICES)
def test_a_huge_header_is_a_431_problem(stack: Stack, name: str) -> None:
    # 8 MB, sent in pieces as a real client would: refused once 32 KiB have arrived.
    head = b"GET /health HTTP/1.1\r\nHost: x\r\nX-Big: "
    status, headers, body = exchange(address(stack, name), head, *[b"a" * 65536] * 128)
    assert status == 431
    assert headers["content-type"] == "application/problem+json"
    problem = json.loads(body)
    assert problem["status"] == 431
    # The same problem types as every other error of the APIs, not a bare "about:blank".
    assert problem["type"] == PROBLEM_TYPE_BASE + "request-header-fields-too-large"
    assert_still_answers(stack, name)


@pytest.mark.parametrize("name", SERVICES)
def test_too_many_headers_is_a_431(stack: Stack, name: str) -> None:
    fields = b"".join(b"X-%d: 1\r\n" % i for i in range(10_000))
    status, _, body = exchange(address(stack, name), b"GET /health HTTP/1.1\r\nHost: x\r\n" + fields + b"\r\n")
    assert status == 431
    assert "header" in json.loads(body)["detail"]


def test_one_hundred_header_fields_are_still_fine(stack: Stack) -> None:
    fields = b"".join(b"X-%d: 1\r\n" % i for i in range(98))  # with Host and Connection: 100
    status, _, _ = exchange(
        address(stack, "web_gateway"), b"GET /health HTTP/1.1\r\nHost: x\r\nConnection: close\r\n" + fields + b"\r\n"
    )
    assert status == 200


@pytest.mark.parametrize("name", SERVICES)
def test_a_huge_request_line_is_a_414(stack: Stack, name: str) -> None:
    status, _, _ = exchange(address(stack, name), b"GET /health?q=" + b"a" * 20_000 + b" HTTP/1.1\r\nHost: x\r\n\r\n")
    assert status == 414


def test_a_header_ending_across_two_reads_is_not_miscounted(stack: Stack) -> None:
    # The blank line that ends the head arrives split; the 40 KB body after it is not head.
    body = json.dumps({"description": "x" * 40_000}).encode()
    head = (
        b"POST /classify HTTP/1.1\r\nHost: x\r\nConnection: close\r\nContent-Type: application/json\r\n"
        b"Content-Length: %d\r\n\r" % len(body)
    )
    status, _, _ = exchange(address(stack, "ticket_service"), head, b"\n" + body)
    assert status != 431


@pytest.mark.parametrize("name", SERVICES)
def test_a_connection_that_never_finishes_its_head_is_closed(stack: Stack, name: str) -> None:
    with socket.create_connection(address(stack, name), timeout=5) as sock:
        sock.sendall(b"GET /health HTTP/1.1\r\nHost: x\r\n")  # and nothing more
        assert_still_answers(stack, name)  # others are served meanwhile
        status, _, _ = read_answer(sock)  # returns once the server gives up (after 1 s here)
    assert status == 408


def test_a_silent_connection_is_closed(stack: Stack) -> None:
    with socket.create_connection(address(stack, "web_gateway"), timeout=5) as sock:
        status, _, _ = read_answer(sock)
    assert status == 408


def test_a_stalled_body_is_a_408(stack: Stack) -> None:
    head = b"POST /classify HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n"
    with socket.create_connection(address(stack, "ticket_service"), timeout=5) as sock:
        sock.sendall(head + b'{"descr')
        status, _, _ = read_answer(sock)
    assert status == 408


def test_keep_alive_requests_each_get_their_own_allowance(stack: Stack) -> None:
    # Many ordinary requests on one connection never add up to a 431.
    request = b"GET /health HTTP/1.1\r\nHost: x\r\nX-Pad: " + b"p" * 4000 + b"\r\n\r\n"
    host, port = address(stack, "analytics_category_service")
    with socket.create_connection((host, port), timeout=5) as sock:
        for _ in range(20):
            sock.sendall(request)
            answer = b""
            while b"\r\n\r\n" not in answer or not answer.endswith(b"}"):
                answer += sock.recv(65536)
            assert answer.startswith(b"HTTP/1.1 200")


def test_the_limits_are_the_ones_nginx_enforces() -> None:
    # One set of numbers: the services' defaults and the proxy's configuration agree.
    from campusdesk_common.http_limits import RequestLimits

    limits = RequestLimits()
    conf = (Path(__file__).parents[2] / "deploy" / "nginx" / "limits.conf").read_text()
    assert f"large_client_header_buffers 4 {limits.max_line_bytes // 1024}k;" in conf
    assert f"client_header_timeout {int(limits.head_timeout)}s;" in conf
    assert f"client_body_timeout {int(limits.body_timeout)}s;" in conf
