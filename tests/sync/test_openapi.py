"""The OpenAPI document describes exactly the routes the server has, with their models."""

from __future__ import annotations

import aiohttp
import schemathesis

from sync.openapi import openapi_path
from sync.routes import routes
from sync.server import SyncServer

from .support import Api


async def fetch_document(server: SyncServer) -> dict:
    async with aiohttp.ClientSession() as http:
        reply = await Api(http, server.urls[0]).get("/api/openapi.json")
    assert reply.status == 200
    return reply.body


async def test_every_registered_route_is_documented_and_vice_versa(server: SyncServer) -> None:
    document = await fetch_document(server)
    documented = {
        (method.upper(), path)
        for path, operations in document["paths"].items()
        for method in operations
    }
    registered = {(r.method, r.resource.canonical) for r in server.app.router.routes()}
    assert documented == registered


async def test_operations_carry_their_models_and_security(server: SyncServer) -> None:
    document = await fetch_document(server)
    assert document["openapi"] == "3.1.0"
    schemas = document["components"]["schemas"]
    for route in routes():
        operation = document["paths"][openapi_path(route.path)][route.method.lower()]
        assert operation["operationId"] == route.name
        assert (operation["security"] == []) is route.public
        if route.body is not None:
            ref = operation["requestBody"]["content"]["application/json"]["schema"]["$ref"]
            assert ref.rsplit("/", 1)[1] in schemas
        if route.response is not None and not route.websocket:
            assert "200" in operation["responses"]
        query = route.query.model_fields if route.query is not None else {}
        names = {p["name"] for p in operation["parameters"] if p["in"] == "query"}
        assert names == set(query)
    push = schemas["PushRequest"]
    assert push["additionalProperties"] is False
    assert "touched_staff_ids" not in schemas["PushResult"]["properties"]
    assert {"MeView", "TasksView", "RankingView", "ApiError"} <= set(schemas)


async def test_the_document_loads_as_an_openapi_schema(server: SyncServer) -> None:
    document = await fetch_document(server)
    schema = schemathesis.openapi.from_dict(document)
    operations = [op for op in schema.get_all_operations()]
    assert len(operations) == len(routes())
    assert all(op.ok() for op in operations)
