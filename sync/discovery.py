"""mDNS advertisement: phones and other desktops find the server as ``达标 …`` on the LAN.

The server is advertised as ``_dabiao._tcp.local.`` and ``_http._tcp.local.`` with TXT
``campus``, ``version`` and ``path=/``, through :class:`~zeroconf.asyncio.AsyncZeroconf` on
the server's loop, on one interface: the one given (tests pass ``127.0.0.1``), the address the
server is bound to, or else the interface carrying the default route. The latter is found
without a shell: "connecting" a UDP socket to a public address makes the kernel choose the
route and the source address, and sends nothing.

mDNS is a bonus (many Android browsers cannot resolve ``.local``; campus Wi-Fi may drop
multicast): the desktop always shows the URL by IP and a QR code. So every failure here is
logged and never stops the server, and the address is checked again every
:data:`RECHECK_SECONDS`: when the PC moves to another network (a new DHCP lease), the service
is registered again on the new address.
"""

from __future__ import annotations

import asyncio
import contextlib
import ipaddress
import logging
import re
import socket
from collections.abc import Sequence

from zeroconf import ServiceInfo
from zeroconf.asyncio import AsyncZeroconf

log = logging.getLogger(__name__)

DABIAO_TYPE = "_dabiao._tcp.local."
HTTP_TYPE = "_http._tcp.local."
RECHECK_SECONDS = 30.0
# Any address outside the LAN will do: the kernel picks the default route for it.
_ROUTE_PROBE = ("198.51.100.1", 9)
_MAX_LABEL_BYTES = 63  # DNS label limit; the instance name is one label


def default_route_address() -> str | None:
    """The IPv4 address of the interface carrying the default route, or None (no network)."""
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:
        try:
            probe.connect(_ROUTE_PROBE)  # UDP connect: a route lookup, no packet sent
            address = probe.getsockname()[0]
        except OSError:
            return None
    return None if address in ("0.0.0.0", "") else address


def host_label() -> str:
    """This machine's name as a ``.local`` host label (letters, digits, hyphens)."""
    name = socket.gethostname().split(".")[0].lower()
    name = re.sub(r"[^a-z0-9-]+", "-", name).strip("-")
    return name or "dabiao"


def instance_name(campus: str) -> str:
    """The service instance name people see, cut to one DNS label on a character boundary."""
    name = f"达标 {campus}".strip() if campus else "达标"
    while len(name.encode()) > _MAX_LABEL_BYTES:
        name = name[:-1]
    return name.replace(".", "·")  # a dot would split the label


class Advertiser:
    """The mDNS registrations of one server; :meth:`start` and :meth:`stop` on its loop."""

    def __init__(
        self,
        *,
        port: int,
        campus: str,
        version: str,
        interfaces: Sequence[str] | None = None,
        bound_host: str | None = None,
    ) -> None:
        self.port = port
        self.campus = campus
        self.version = version
        self._interfaces = list(interfaces) if interfaces else None
        self._bound_host = bound_host
        self._zeroconf: AsyncZeroconf | None = None
        self._infos: list[ServiceInfo] = []
        self._address: str | None = None
        self._task: asyncio.Task[None] | None = None
        self._registered = asyncio.Event()

    @property
    def address(self) -> str | None:
        """The address advertised now (None while nothing is registered)."""
        return self._address if self._zeroconf is not None else None

    def _wanted_address(self) -> str | None:
        if self._interfaces:
            return self._interfaces[0]
        if self._bound_host and not ipaddress.ip_address(self._bound_host).is_unspecified:
            return self._bound_host
        return default_route_address()

    def _service_infos(self, address: str) -> list[ServiceInfo]:
        instance = instance_name(self.campus)
        properties = {"campus": self.campus, "version": self.version, "path": "/"}
        return [
            ServiceInfo(
                kind,
                f"{instance}.{kind}",
                port=self.port,
                addresses=[socket.inet_aton(address)],
                properties=properties,
                server=f"{host_label()}.local.",
            )
            for kind in (DABIAO_TYPE, HTTP_TYPE)
        ]

    def start(self) -> None:
        """Start advertising in the background (never waits, never raises)."""
        self._task = asyncio.get_running_loop().create_task(self._keep_advertised())

    async def wait_registered(self, timeout: float) -> bool:
        """Wait until the service is registered (for tests and logs); False on timeout."""
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._registered.wait(), timeout)
        return self._registered.is_set()

    async def _keep_advertised(self) -> None:
        while True:
            await self._refresh()
            await asyncio.sleep(RECHECK_SECONDS)

    async def _refresh(self) -> None:
        """Register on the wanted address unless already registered there."""
        try:
            address = self._wanted_address()
        except Exception:  # a bad interface argument, a strange network stack
            log.warning("mDNS: cannot choose an address to advertise on", exc_info=True)
            return
        if address == self._address and self._zeroconf is not None:
            return
        await self._unregister()
        if address is None:
            log.info("mDNS: no network address yet; will look again")
            return
        try:
            # Kept at once, so that stop() closes it even if it comes mid-registration.
            self._zeroconf, self._address = AsyncZeroconf(interfaces=[address]), address
            infos = self._service_infos(address)
            # Each first await queues a registration; the tasks they return end once the names
            # have been probed and announced, which takes a while: both probe at once.
            pending = [
                await self._zeroconf.async_register_service(info, allow_name_change=True)
                for info in infos
            ]
            self._infos = infos
            await asyncio.gather(*pending)
        except Exception:
            log.warning(
                "mDNS: advertising on %s failed; the server goes on", address, exc_info=True
            )
            await self._unregister()
            return
        self._registered.set()
        log.info("mDNS: advertised %s on %s:%d", instance_name(self.campus), address, self.port)

    async def _unregister(self) -> None:
        zeroconf, infos = self._zeroconf, self._infos
        self._zeroconf, self._infos, self._address = None, [], None
        self._registered.clear()
        if zeroconf is None:
            return
        try:
            for info in infos:
                # As with registering: the returned task sends the goodbye packets.
                await (await zeroconf.async_unregister_service(info))
        except Exception:
            log.warning("mDNS: unregistering failed", exc_info=True)
        finally:
            with contextlib.suppress(Exception):
                await zeroconf.async_close()

    async def stop(self) -> None:
        """Stop re-checking and withdraw the advertisement."""
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None
        await self._unregister()
