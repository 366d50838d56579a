#!/usr/bin/env bash
# Create (or refresh) the separate venv that holds checkov for tests/deploy/test_kubernetes.py.
# Separate from .venv because checkov 3.3.30 requires packaging<24 while the dev lock pins 26.3.
# Usage: deploy/kubernetes/tools/checkov-venv.sh [venv-dir]   (default: .venv-checkov)
set -euo pipefail
cd "$(dirname "$0")/../../.."
venv="${1:-.venv-checkov}"
requirements=deploy/kubernetes/tools/checkov-requirements.txt
stamp="$venv/.requirements.sha256"
wanted="$(sha256sum "$requirements" | cut -d' ' -f1)"
if [[ -x "$venv/bin/checkov" && -f "$stamp" && "$(cat "$stamp")" == "$wanted" ]]; then
    exit 0
fi
python3.11 -m venv "$venv"
"$venv/bin/pip" install --quiet --disable-pip-version-check --no-deps -r "$requirements"
"$venv/bin/pip" check
echo "$wanted" > "$stamp"
