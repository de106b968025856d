"""Rendering with QtGui only (no widgets): the monthly report as an A4 PDF, growth cards as PNG.

The figures come from ``shared.monthly_report`` and ``shared.growth_card``; this package only
lays them out. Painting on a QPdfWriter or a QImage works on any thread once a
QGuiApplication exists (:func:`~desktop.render.fonts.ensure_gui_application` makes one for the
command line and the headless server).
"""
