"""``dabiao import``: Excel/CSV import and its template."""

from __future__ import annotations

import argparse


def register(sub: argparse._SubParsersAction) -> None:
    """Add this module's subcommands to ``dabiao``'s parser."""
