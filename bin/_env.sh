# Sourced by bin/console and bin/test: a .venv with the pinned requirements, created on first use.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
PYTHON="${PYTHON:-python3}"
if [ ! -x .venv/bin/python ]; then
    echo "Creating .venv with $($PYTHON --version)..."
    "$PYTHON" -m venv .venv
fi
stamp=".venv/.requirements-$(cat requirements.txt requirements-dev.txt | sha256sum | cut -c1-16)"
if [ ! -f "$stamp" ]; then
    echo "Installing requirements into .venv..."
    # This machine's pip config names local mirrors that may be absent: keep their warnings out.
    .venv/bin/python -m pip install --quiet --disable-pip-version-check -r requirements-dev.txt 2>&1 \
        | { grep -v "^WARNING: Location" || true; }
    [ "${PIPESTATUS[0]}" -eq 0 ] || { echo "pip install failed" >&2; exit 1; }
    rm -f .venv/.requirements-* && touch "$stamp"
fi
export PATH="$ROOT/.venv/bin:$PATH"
mkdir -p var
