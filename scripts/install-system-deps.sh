#!/usr/bin/env bash
# Install the Debian/Ubuntu packages Dabiao needs for development and tests: Qt offscreen and
# Xvfb screenshots, Chinese fonts, Chromium for the phone-page tests, and a few tools.
# Fast on a second run: apt is not touched when every package is already installed.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"

PACKAGES=(
    fonts-wqy-microhei          # Chinese glyphs in Qt widgets and Chromium
    xvfb xauth                  # xvfb-run: real X windows for screenshots
    # Qt's xcb platform plugin and what it loads
    libxcb-icccm4 libxcb-keysyms1 libxcb-image0 libxcb-render-util0 libxcb-xinerama0
    libxcb-xkb1 libxkbcommon-x11-0 libxcb-cursor0 libxcb-shape0
    libegl1 libgl1 libfontconfig1 libdbus-1-3 libglib2.0-0
    chromium                    # browser tests drive it through playwright's executable_path
    poppler-utils               # pdftotext / pdftoppm for exported reports
    sqlite3                     # the sqlite3 shell, to look inside .dabiao files
    util-linux                  # setpriv: the read-only file tests drop root's override
)

if ! command -v dpkg-query >/dev/null || ! command -v apt-get >/dev/null; then
    echo "install-system-deps.sh: only Debian and Ubuntu (apt) are supported." >&2
    exit 1
fi

# Ubuntu 24.04 renamed several libraries with a t64 suffix; either name counts as installed.
installed() {
    local name
    for name in "$1" "$1t64"; do
        if [[ "$(dpkg-query -W -f='${db:Status-Abbrev}' "$name" 2>/dev/null)" == ii* ]]; then
            return 0
        fi
    done
    return 1
}

missing=()
for pkg in "${PACKAGES[@]}"; do
    installed "$pkg" || missing+=("$pkg")
done

# The phone client's pure modules are tested with node's built-in runner; any Node.js >= 18.
if ! command -v node >/dev/null; then
    missing+=(nodejs)
fi

# python3-venv only matters when the project's virtualenv cannot be created without it.
if ! command -v python3 >/dev/null; then
    missing+=(python3 python3-venv)
elif [[ ! -x "$ROOT/.venv/bin/python" ]]; then
    probe="$(mktemp -d)"
    if ! python3 -m venv "$probe/venv" >/dev/null 2>&1; then
        missing+=(python3-venv)
    fi
    rm -rf "$probe"
fi

if [[ ${#missing[@]} -eq 0 ]]; then
    echo "==> system packages: all installed"
    exit 0
fi

SUDO=()
if [[ "$(id -u)" -ne 0 ]]; then
    if ! command -v sudo >/dev/null; then
        echo "install-system-deps.sh: need root or sudo to install: ${missing[*]}" >&2
        exit 1
    fi
    SUDO=(sudo)
fi

echo "==> installing system packages: ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
"${SUDO[@]}" apt-get update -q
"${SUDO[@]}" apt-get install -y -q --no-install-recommends "${missing[@]}"
