"""Issue 12.1: a burst of long reports must not stall plain reads.

The category model once ran on the event loop: 8 concurrent reports of 4,980 CJK characters
held a worker for ~2 s, reads waited, and the gateway reported stored tickets as failures.
Against a real ticket-service process (1 worker, 1 model thread), 24 previews of such a report
(`POST /classify`: the model work of a creation, without its database write, whose waits would
be counted on both sides) are kept 8 in flight while one client reads a ticket over and over.
The assertion counts, it does not time: for each preview, how many reads were answered while it
was in flight. With the model on the loop a read waited for whole classifications: 0 reads at the
median (both databases). With the model in its thread the loop answers reads while every
preview waits for it: ~40-60 per preview at the median on an idle machine.
"""

from __future__ import annotations

import statistics
import threading
from concurrent.futures import ThreadPoolExecutor

import httpx

from tests.support.services import ServiceProcess

USER = {"X-Role": "user"}
# 4,980 CJK characters: the longest report the web form allows with room for a few words.
LONG_CJK = ("图书馆三楼的无线网络每隔几分钟就断开一次，学生无法提交作业，请尽快派人检查路由器。" * 120)[:4980]
REPORTS = 24
IN_FLIGHT = 8
# Reads answered while a preview was in flight, at the median: 0 with the model on the loop.
READS_PER_PREVIEW = IN_FLIGHT


class ReadCounter:
    def __init__(self) -> None:
        self.value = 0
        self.reads_during_reports: list[int] = []
        self.statuses: list[int] = []


def test_plain_reads_keep_answering_while_long_reports_are_classified(database_url: str) -> None:
    env = {
        "TICKET_SERVICE_DATABASE_URL": database_url,
        "TICKET_SERVICE_WORKERS": "1",
        "TICKET_SERVICE_MODEL_THREADS": "1",
    }
    counter = ReadCounter()
    with ServiceProcess("ticket_service", env) as service, httpx.Client(base_url=service.url, timeout=60) as reader:
        created = reader.post("/tickets", json={"description": "The printer in room B12 is jammed"}, headers=USER)
        assert created.status_code == 201, created.text
        ticket_path = f"/tickets/{created.json()['id']}"
        reports_done = threading.Event()

        def report(_: int) -> None:
            with httpx.Client(base_url=service.url, timeout=120) as client:
                for _ in range(REPORTS // IN_FLIGHT):
                    reads_before = counter.value
                    response = client.post("/classify", json={"description": LONG_CJK}, headers=USER)
                    counter.reads_during_reports.append(counter.value - reads_before)
                    counter.statuses.append(response.status_code)

        with ThreadPoolExecutor(IN_FLIGHT + 1) as reporters:
            finished = reporters.map(report, range(IN_FLIGHT))
            reporters.submit(lambda: (list(finished), reports_done.set()))
            while not reports_done.is_set():
                response = reader.get(ticket_path, headers=USER)
                assert response.status_code == 200, response.text
                counter.value += 1

    assert counter.statuses == [200] * REPORTS
    assert statistics.median(counter.reads_during_reports) >= READS_PER_PREVIEW, counter.reads_during_reports
