"""The LAN server: aiohttp API, live pokes and mDNS advertisement for staff phones."""
