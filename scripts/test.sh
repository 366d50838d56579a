#!/usr/bin/env bash
# `make test`: install what the tests need, start a throwaway PostgreSQL 15, run the
# whole suite plus ruff and mypy, and tear the cluster down whatever happens.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/bootstrap-venv.sh dev
# checkov lives in a venv of its own: its pins conflict with the dev lock (see that script).
deploy/kubernetes/tools/checkov-venv.sh
scripts/ensure-debian-packages.sh
export PATH="$PWD/.venv/bin:$PATH"

eval "$(python scripts/throwaway_postgres.py start)"
trap 'python scripts/throwaway_postgres.py stop "$CAMPUSDESK_TEST_PGBASE"' EXIT

status=0
echo "==> pytest (PostgreSQL and SQLite)"
python -m pytest "$@" || status=1
echo "==> ruff"
ruff check . || status=1
ruff format --check . || status=1
echo "==> mypy (strict)"
mypy campusdesk_common/campusdesk_common ticket_service/ticket_service ticket_service/ticket_service_tools \
    analytics_open_service/analytics_open_service \
    analytics_resolution_service/analytics_resolution_service analytics_category_service/analytics_category_service \
    web_gateway/web_gateway || status=1
exit $status
