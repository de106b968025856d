"""The front-desk PC terminal (PySide6) and the ``dabiao`` command line."""
