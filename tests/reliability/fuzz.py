"""`make fuzz`: a long Schemathesis run against the four APIs on a throwaway PostgreSQL.

    FUZZ_EXAMPLES=500 python -m tests.reliability.fuzz

Each operation gets FUZZ_EXAMPLES positive and FUZZ_EXAMPLES negative cases
(so thousands per API); prints the counts and exits non-zero on any failure.
"""

from __future__ import annotations

import os
import sys

from tests.reliability.fuzz_targets import fuzz_all_apis
from tests.reliability.harness import PostgresCluster
from tests.support import databases


def main() -> int:
    examples = int(os.environ.get("FUZZ_EXAMPLES", "500"))
    cluster = None
    server = os.environ.get("CAMPUSDESK_TEST_POSTGRES_URL")
    if not server:
        cluster = PostgresCluster.start_new()
        server = cluster.url
    try:
        databases.create_template(server)
        url = databases.create_database_from_template(server)
        reports = fuzz_all_apis(url, max_examples=examples, derandomize=False)
    finally:
        if cluster:
            cluster.destroy()
    failed = False
    for report in reports:
        print(report.summary())
        for key, message in report.failures.items():
            failed = True
            print(f"  FAIL {key}\n    " + message.replace("\n", "\n    "))
    total = sum(r.cases for r in reports)
    print(f"total: {total} cases, {'FAILED' if failed else 'no failures'}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
