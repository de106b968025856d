"""Dabiao's domain package: schema, storage and every business rule.

Both edges (the desktop in ``desktop/`` and the LAN server in ``sync/``) call into this
package; it never imports Qt, aiohttp or either edge.
"""

__version__ = "0.1.0"
