"""mDNS: the server is found on the LAN by its service type, and failing to advertise never
stops it. Everything binds to loopback only."""

from __future__ import annotations

import asyncio
import logging

import aiohttp
import pytest
from zeroconf import ServiceStateChange
from zeroconf.asyncio import AsyncServiceBrowser, AsyncServiceInfo, AsyncZeroconf

from shared.db import Database
from sync import discovery
from sync.discovery import DABIAO_TYPE, HTTP_TYPE, Advertiser, instance_name
from sync.server import SyncServer

from .support import Api


async def browse(service_type: str, timeout: float = 5.0) -> AsyncServiceInfo:
    """Find the first service of a type on loopback and resolve it."""
    zeroconf = AsyncZeroconf(interfaces=["127.0.0.1"])
    found: asyncio.Queue[str] = asyncio.Queue()

    def on_change(
        zeroconf: object, service_type: str, name: str, state_change: ServiceStateChange
    ) -> None:
        if state_change is ServiceStateChange.Added:
            found.put_nowait(name)

    browser = AsyncServiceBrowser(zeroconf.zeroconf, [service_type], handlers=[on_change])
    try:
        name = await asyncio.wait_for(found.get(), timeout)
        info = AsyncServiceInfo(service_type, name)
        assert await info.async_request(zeroconf.zeroconf, 3000)
        return info
    finally:
        await browser.async_cancel()
        await zeroconf.async_close()


async def test_the_advertised_service_is_found_and_resolved_on_loopback() -> None:
    advertiser = Advertiser(port=18765, campus="滨江校区", version="9.9", interfaces=["127.0.0.1"])
    advertiser.start()
    try:
        assert await advertiser.wait_registered(5), "registration on loopback failed"
        for kind in (DABIAO_TYPE, HTTP_TYPE):
            info = await browse(kind)
            assert info.port == 18765
            assert info.parsed_addresses() == ["127.0.0.1"]
            assert info.decoded_properties == {"campus": "滨江校区", "version": "9.9", "path": "/"}
            assert info.name.startswith("达标 滨江校区")
    finally:
        await advertiser.stop()


def test_the_running_server_advertises_its_real_port(campus_db: Database) -> None:
    server = SyncServer(
        campus_db, host="127.0.0.1", port=0, mdns=True, mdns_interfaces=["127.0.0.1"]
    )
    server.start()
    try:
        advertiser = server.advertiser
        assert advertiser is not None
        registered = asyncio.run_coroutine_threadsafe(
            advertiser.wait_registered(5), server.loop
        ).result(10)
        assert registered
        info = asyncio.run(browse(DABIAO_TYPE))
        assert info.port == server.port
        assert info.decoded_properties["campus"] == "达标艺术中心·滨江校区"
    finally:
        server.stop()


async def test_a_failure_to_advertise_is_logged_and_the_server_goes_on(
    campus_db: Database, caplog: pytest.LogCaptureFixture
) -> None:
    # Not an address at all: zeroconf refuses it, which stands for any failure to advertise.
    server = SyncServer(
        campus_db, host="127.0.0.1", port=0, mdns=True, mdns_interfaces=["not-an-address"]
    )
    with caplog.at_level(logging.WARNING, logger="sync.discovery"):
        await asyncio.to_thread(server.start)
        try:
            async with aiohttp.ClientSession() as http:
                reply = await Api(http, server.urls[0]).get("/api/health")
            assert reply.status == 200
            deadline = asyncio.get_running_loop().time() + 5
            while "mDNS" not in caplog.text and asyncio.get_running_loop().time() < deadline:
                await asyncio.sleep(0.05)
        finally:
            await asyncio.to_thread(server.stop)
    assert "mDNS: advertising on not-an-address failed" in caplog.text


def test_the_instance_name_fits_one_dns_label() -> None:
    name = instance_name("一个名字特别特别特别特别特别特别特别特别长的校区.总部")
    assert len(name.encode()) <= 63
    assert "." not in name
    assert name.startswith("达标 一个名字")


async def test_the_advertisement_follows_the_default_route_address(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A lost network withdraws the service; a new address registers it again. The route
    lookup is replaced, so nothing but loopback is ever touched."""
    addresses: list[str | None] = ["127.0.0.1"]
    monkeypatch.setattr(discovery, "default_route_address", lambda: addresses[0])
    advertiser = Advertiser(port=18766, campus="滨江校区", version="9.9")
    try:
        await advertiser._refresh()
        assert advertiser.address == "127.0.0.1"
        assert (await browse(DABIAO_TYPE)).port == 18766
        addresses[0] = None  # the Wi-Fi went away
        await advertiser._refresh()
        assert advertiser.address is None
        addresses[0] = "127.0.0.1"  # and came back
        await advertiser._refresh()
        assert advertiser.address == "127.0.0.1"
        assert await advertiser.wait_registered(1)
    finally:
        await advertiser.stop()
