"""The static mobile web client served to staff phones (HTML, CSS, ES modules; no build)."""

from pathlib import Path

STATIC_DIR = Path(__file__).resolve().parent
