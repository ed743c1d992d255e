"""What the fake Cortex and Rootly servers share: recording, latency, faults, and the contract.

Every exchange passes through `ContractFake`'s middleware: it is recorded in `received`, delayed
by `latency`, replaced by the first matching planned fault, and checked against the API's
official document (violations are collected; the fixtures fail the test that caused them).
"""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any, ClassVar, Protocol

from aiohttp import web
from multidict import CIMultiDict, MultiDict

from tests.support.contract import SPECS_PRESENT, load_contract

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]
ARRIVED = web.RequestKey("arrived", float)  # when the request arrived (time.monotonic)


class PlannedFault(Protocol):
    delay: float

    @property
    def off_contract(self) -> bool: ...

    def matches(self, request: web.Request) -> bool: ...

    def response(self) -> web.Response | None: ...


def _set_event() -> asyncio.Event:
    answering = asyncio.Event()
    answering.set()
    return answering


@dataclass
class Received:
    method: str
    path: str
    query: MultiDict[str]
    headers: CIMultiDict[str]
    body: Any
    at: float = 0.0  # time.monotonic() when it arrived


@dataclass
class ContractFake:
    # Set by each fake: its official document, the schema of its error bodies, its path prefix.
    CONTRACT: ClassVar[str]
    ERROR_SCHEMA: ClassVar[str]
    API_PREFIX: ClassVar[str]

    base_url: str = ""
    # Without the official documents (a clone of the project alone) the fakes answer unchecked.
    check_contract: bool = SPECS_PRESENT
    latency: float = 0.0
    faults: list[Any] = field(default_factory=list)
    received: list[Received] = field(default_factory=list)
    violations: list[str] = field(default_factory=list)
    in_flight: int = 0
    max_in_flight: int = 0
    _handling: dict[int, web.Request] = field(default_factory=dict)
    # Set while the server answers; `hang()` makes every request wait until `answer_again()`.
    _answering: asyncio.Event = field(default_factory=_set_event)
    # A hostile server: every listing claims this many pages, whatever it holds, and serves this
    # many items a page, whatever was asked.
    claimed_pages: int | None = None
    served_page_size: int | None = None
    # Answers are gzip-compressed when the client accepts it (a 9 MiB answer is then ~10 KiB).
    compress: bool = False

    def count(self, method: str = "GET", path_prefix: str | None = None) -> int:
        prefix = self.API_PREFIX if path_prefix is None else path_prefix
        return sum(1 for r in self.received if r.method == method and r.path.startswith(prefix))

    def hang(self) -> None:
        self._answering.clear()

    def answer_again(self) -> None:
        self._answering.set()

    @property
    def held(self) -> int:
        """Requests in flight whose client still waits (a client that gave up closed its end)."""
        return sum(
            1
            for request in self._handling.values()
            if request.transport is not None and not request.transport.is_closing()
        )

    def total_pages(self, items: int, size: int) -> int:
        """How many pages a listing of `items` says it has (`claimed_pages` when set)."""
        return self.claimed_pages or max(1, -(-items // size))

    def requests_to(self, path: str, method: str = "GET") -> list[Received]:
        return [r for r in self.received if r.method == method and r.path == path]

    def app(self) -> web.Application:
        app = web.Application(middlewares=[self._middleware])
        app.router.add_route("*", "/{tail:.*}", self._dispatch)
        return app

    async def _dispatch(self, request: web.Request) -> web.Response:
        raise NotImplementedError

    @web.middleware
    async def _middleware(self, request: web.Request, handler: Handler) -> web.StreamResponse:
        arrived = time.monotonic()
        request[ARRIVED] = arrived
        raw_body = await request.read()
        self.received.append(
            Received(
                request.method,
                request.path,
                MultiDict(request.query),
                CIMultiDict(request.headers),
                json.loads(raw_body) if raw_body else None,
                arrived,
            )
        )
        self.in_flight += 1
        self.max_in_flight = max(self.max_in_flight, self.in_flight)
        self._handling[id(request)] = request
        try:
            return await self._answer(request, handler, raw_body)
        finally:
            self.in_flight -= 1
            del self._handling[id(request)]

    async def _answer(
        self, request: web.Request, handler: Handler, raw_body: bytes
    ) -> web.StreamResponse:
        await self._answering.wait()
        if self.latency:
            await asyncio.sleep(self.latency)
        fault: PlannedFault | None = next((f for f in self.faults if f.matches(request)), None)
        response: web.StreamResponse | None = None
        if fault is not None:
            self.faults.remove(fault)
            await asyncio.sleep(fault.delay)
            response = fault.response()
        deliberate = fault is not None and fault.off_contract
        if response is None:
            response = await handler(request)
        if self.compress and isinstance(response, web.Response):
            response.enable_compression()
        if self.check_contract and not deliberate and isinstance(response, web.Response):
            self._check_contract(request, raw_body, response)
        return response

    def _check_contract(self, request: web.Request, body: bytes, response: web.Response) -> None:
        contract = load_contract(self.CONTRACT, self.ERROR_SCHEMA)
        self.violations += contract.check(
            method=request.method,
            path=request.path,
            query=MultiDict(request.query),
            headers=CIMultiDict(request.headers),
            body=body,
            status=response.status,
            response_body=response.body if isinstance(response.body, bytes) else b"",
            response_headers=CIMultiDict(response.headers),
        )
