"""Reusable widgets of the desktop pages: progress cards, charts, QR codes, tables."""
