"""``python -m desktop``: the same entry point as the ``dabiao`` command."""

from desktop.cli import main

raise SystemExit(main())
