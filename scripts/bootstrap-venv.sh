#!/usr/bin/env bash
# Create ./.venv and install the pinned dependencies plus the six local packages.
# Usage: scripts/bootstrap-venv.sh runtime|dev   (re-running is cheap: a stamp skips unchanged installs)
set -euo pipefail
cd "$(dirname "$0")/.."
profile="${1:-runtime}"
python="${PYTHON:-python3.11}"
command -v "$python" >/dev/null || python=python3
venv=.venv
if [ ! -x "$venv/bin/python" ]; then
    echo "==> creating virtual environment in $venv"
    "$python" -m venv "$venv"
fi
lock="requirements/$profile.txt"
stamp="$venv/.installed-$profile"
wanted="$(cat requirements/*.txt */pyproject.toml | sha256sum | cut -d' ' -f1)"
if [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$wanted" ]; then
    exit 0
fi
# pip warns once per package about unreachable local index folders of some machines: hide only that.
quiet_pip() { "$venv/bin/python" -m pip "$@" 2> >(grep -v "is ignored: it is neither a file nor a directory" >&2); }
echo "==> installing pinned dependencies from $lock"
quiet_pip install --quiet --disable-pip-version-check -r "$lock"
quiet_pip install --quiet --disable-pip-version-check --no-deps \
    -e ./campusdesk_common -e ./ticket_service -e ./analytics_open_service \
    -e ./analytics_resolution_service -e ./analytics_category_service -e ./web_gateway
echo "$wanted" > "$stamp"
