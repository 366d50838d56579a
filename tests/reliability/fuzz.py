"""`make fuzz`: a long Schemathesis run against the four APIs on a throwaway PostgreSQL.

    FUZZ_EXAMPLES=300 python -m tests.reliability.fuzz

Each operation gets FUZZ_EXAMPLES positive and FUZZ_EXAMPLES negative cases
(so thousands per API). Then each of the five services in turn receives slow clients and
oversized heads while every service's /health is probed (each must answer within 100 ms).
Prints the counts and exits non-zero on any failure.
"""

from __future__ import annotations

import os
import sys
import time

from tests.reliability.fuzz_targets import fuzz_all_apis
from tests.reliability.harness import PostgresCluster, running_stack
from tests.reliability.hostile_connections import HostileReport, attack_and_probe
from tests.support import databases


def main() -> int:
    examples = int(os.environ.get("FUZZ_EXAMPLES", "300"))
    started = time.monotonic()
    # A cluster of its own: the run creates a template database, which would disturb a shared one.
    cluster = PostgresCluster.start_new()
    try:
        databases.create_template(cluster.url)
        url = databases.create_database_from_template(cluster.url)
        reports = fuzz_all_apis(url, max_examples=examples, derandomize=False)
        with running_stack(url) as stack:
            hostile: list[HostileReport] = [attack_and_probe(stack, s.name) for s in stack.all()]
    finally:
        cluster.destroy()
    failed = False
    for report in reports:
        print(report.summary())
        for key, message in report.failures.items():
            failed = True
            print(f"  FAIL {key}\n    " + message.replace("\n", "\n    "))
    for attack in hostile:
        print(attack.summary())
        for failure in attack.failures:
            failed = True
            print(f"  FAIL {attack.target} under attack: {failure}")
    total = sum(r.cases for r in reports)
    elapsed = time.monotonic() - started
    print(f"total: {total} cases in {elapsed:.0f} s, {'FAILED' if failed else 'no failures'}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
