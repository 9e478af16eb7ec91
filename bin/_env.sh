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
    .venv/bin/python -m pip install --quiet --disable-pip-version-check -r requirements-dev.txt
    rm -f .venv/.requirements-* && touch "$stamp"
fi
export PATH="$ROOT/.venv/bin:$PATH"
mkdir -p var
