#!/usr/bin/env bash
# Dabiao on a fresh Debian/Ubuntu machine, in one of two commands:
#   bash scripts/dev.sh start          set up, build the demo campus once, open Dabiao on it
#   bash scripts/dev.sh test [ARGS]    set up, then run pytest (ARGS go to pytest)
# and, outside the default run (long):
#   bash scripts/dev.sh reliability    crash, network and abuse trials (tests/reliability)
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
VENV="$ROOT/.venv"
# Holds the hash of the pyproject.toml that was last installed, so pip runs only on change.
STAMP="$VENV/.dabiao-pyproject.sha256"
cd "$ROOT"

say() { printf '==> %s\n' "$*"; }

setup() {
    bash "$ROOT/scripts/install-system-deps.sh"
    if ! python3 -c 'import sys; sys.exit(sys.version_info < (3, 11))'; then
        echo "dev.sh: Dabiao needs Python 3.11 or newer; python3 is $(python3 -V 2>&1)." >&2
        exit 1
    fi
    if [[ ! -x "$VENV/bin/python" ]]; then
        say "creating .venv"
        python3 -m venv "$VENV"
    fi
    local want
    want="$(sha256sum pyproject.toml | cut -d' ' -f1)"
    if [[ -f "$STAMP" && "$(cat "$STAMP")" == "$want" ]]; then
        say "Python packages: up to date"
    else
        say "installing Python packages (pip install -e '.[test]')"
        "$VENV/bin/python" -m pip install --quiet --disable-pip-version-check -e '.[test]'
        echo "$want" >"$STAMP"
    fi
}

start() {
    setup
    local demo
    demo="$("$VENV/bin/python" -c 'from desktop.cli import default_demo_path; print(default_demo_path())')"
    if [[ ! -s "$demo" ]]; then
        say "building the demo campus: $demo"
        "$VENV/bin/dabiao" demo
    fi
    say "checking $demo"
    if ! "$VENV/bin/dabiao" check --db "$demo"; then
        # Typically a demo built before a new migration; it is disposable, so say how to renew it.
        echo "dev.sh: the demo file did not pass the check; rebuild it with:" >&2
        echo "    .venv/bin/dabiao demo --replace" >&2
        exit 1
    fi
    say "starting Dabiao"
    exec "$VENV/bin/dabiao" --db "$demo"
}

run_tests() {
    setup
    say "running tests"
    local code=0
    QT_QPA_PLATFORM=offscreen "$VENV/bin/python" -m pytest "$@" || code=$?
    if [[ $code -eq 5 ]]; then
        echo "dev.sh: pytest collected no tests; that is a failure." >&2
        exit 1
    fi
    exit "$code"
}

case "${1:-}" in
    start) start ;;
    test) shift; run_tests "$@" ;;
    reliability) shift; run_tests tests/reliability -m reliability "$@" ;;
    *)
        echo "usage: bash scripts/dev.sh start | test [pytest args] | reliability [pytest args]" >&2
        exit 2
        ;;
esac
