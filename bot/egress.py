"""Where the bot's requests to outside APIs go, and which URLs a workspace may make it call.

The operator's URLs (`CORTEX_API_URL`, `ROOTLY_API_URL`) are trusted as given and use the API pool.
A URL a workspace admin chose (a self-managed Cortex) is a request into whatever network the bot
runs in (OWASP's SSRF case "requests to any external host"), so it must:
- be `https` (plain `http` only when the operator allows private URLs) and carry no userinfo,
  query or fragment;
- name a host whose every address is public: not loopback, private, link-local (cloud metadata),
  shared, multicast or reserved, not an IPv6 form that carries such an IPv4 address, and not one of
  the bot's own addresses, unless the operator allows private URLs (`ALLOW_PRIVATE_CORTEX_URLS`).

Such URLs use a pool of their own. Its resolver checks every address a lookup returns and the
connector connects only to those, so nothing resolves the name a second time between the check and
the connection (no DNS-rebinding window). IP literals never reach a resolver: they are checked here,
including the numeric forms (`2130706433`, `0x7f.1`) that the system resolver reads as addresses.
Lookups run on threads of their own, so a workspace's slow DNS cannot hold up anybody else's.
Redirects are never followed (see `bot.http`), and every host a workspace chose has a cap on the
requests in flight to it.
"""

from __future__ import annotations

import asyncio
import ipaddress
import socket
from collections.abc import AsyncIterator, Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

import aiohttp
import ifaddr
from aiohttp.abc import AbstractResolver, ResolveResult
from yarl import URL

from bot.errors import BotError

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
# socket.getaddrinfo's signature: what the guarded resolver asks the system (tests give a fake DNS).
Lookup = Callable[..., list[tuple[Any, ...]]]

# Requests in flight at once for one workspace to one API, and to one host a workspace chose; more
# wait for a turn (within the call's deadline), so a Cortex that hangs holds at most this many
# connections and every other workspace keeps its own turns.
PER_WORKSPACE = 32
PER_CHOSEN_HOST = 32
# Connections each outside-API pool may hold open at once (Slack's pool is separate).
POOL_CONNECTIONS = 256
# Threads that resolve the names workspaces chose (the operator's and Slack's names use others).
LOOKUP_THREADS = 4

# IPv6 prefixes that carry an IPv4 address in their last 32 bits: NAT64 (RFC 6052) and the
# deprecated IPv4-compatible form. The local-use NAT64 prefix (RFC 8215) may carry any address
# anywhere, so it is refused as a whole.
_IPV4_IN_LAST_32_BITS = (
    ipaddress.IPv6Network("64:ff9b::/96"),
    ipaddress.IPv6Network("::/96"),
)
_LOCAL_NAT64 = ipaddress.IPv6Network("64:ff9b:1::/48")


class Refusal(StrEnum):
    """Why a URL a workspace chose may not be called."""

    NOT_A_URL = "not_a_url"  # not http(s) with a host
    PLAIN_HTTP = "plain_http"
    USERINFO = "userinfo"
    QUERY = "query"
    FRAGMENT = "fragment"
    NUMERIC_HOST = "numeric_host"  # 2130706433, 0x7f.1, 127.1: write a name or a dotted address
    PRIVATE_ADDRESS = "private_address"
    OWN_ADDRESS = "own_address"


class UrlRefusedError(BotError):
    """A URL a workspace chose breaks the rules above; nothing was sent to it."""

    def __init__(self, refusal: Refusal) -> None:
        super().__init__(f"the URL was refused: {refusal}")
        self.refusal = refusal


class AddressRefusedError(OSError):
    """Raised by the guarded resolver; an OSError so that aiohttp reports it as a DNS failure."""

    def __init__(self, refusal: Refusal) -> None:
        super().__init__(None, f"address refused: {refusal}")
        self.refusal = refusal


def own_addresses() -> frozenset[IPAddress]:
    """The addresses of this machine's network interfaces."""
    found: set[IPAddress] = set()
    for adapter in ifaddr.get_adapters():
        for ip in adapter.ips:
            address = ip.ip[0] if isinstance(ip.ip, tuple) else ip.ip
            found.add(ipaddress.ip_address(address))
    return frozenset(found)


def _carried_ipv4(address: IPAddress) -> IPAddress | None:
    if not isinstance(address, ipaddress.IPv6Address):
        return None
    if address.ipv4_mapped is not None:
        return address.ipv4_mapped
    if address.sixtofour is not None:
        return address.sixtofour
    if address.teredo is not None:
        return address.teredo[1]
    if any(address in prefix for prefix in _IPV4_IN_LAST_32_BITS):
        return ipaddress.IPv4Address(int(address) & 0xFFFFFFFF)
    return None


@dataclass(frozen=True)
class AddressPolicy:
    """Which addresses a URL a workspace chose may lead to."""

    allow_private: bool = False
    own: frozenset[IPAddress] = frozenset()

    def refusal(self, address: IPAddress) -> Refusal | None:
        if self.allow_private:
            return None
        candidates: list[IPAddress] = [type(address)(int(address))]  # without an IPv6 scope
        if (carried := _carried_ipv4(address)) is not None:
            candidates.append(carried)
        if address in _LOCAL_NAT64 or any(
            not candidate.is_global or candidate.is_multicast for candidate in candidates
        ):
            return Refusal.PRIVATE_ADDRESS
        if any(candidate in self.own for candidate in candidates):
            return Refusal.OWN_ADDRESS
        return None


def _literal_address(host: str) -> tuple[IPAddress, bool] | None:
    """The address an IP-literal host names, and whether it is written the usual way."""
    try:
        return ipaddress.ip_address(host), True
    except ValueError:
        pass
    try:
        # What the system resolver reads as an IPv4 address: 2130706433, 0x7f.1, 127.1, 0177.0.0.1.
        return ipaddress.IPv4Address(socket.inet_aton(host)), False
    except OSError:
        return None


def _origin(url: URL) -> tuple[str, str, int | None]:
    return (url.scheme, (url.host or "").lower(), url.port)


class UrlRules:
    """The operator's URLs, trusted as given, and the rules for every other URL."""

    def __init__(self, trusted_urls: Iterable[str], policy: AddressPolicy) -> None:
        self.policy = policy
        self._trusted = frozenset(_origin(URL(url)) for url in trusted_urls)

    def is_trusted(self, url: str) -> bool:
        """The operator's: same scheme, host and port as `CORTEX_API_URL` or `ROOTLY_API_URL`."""
        try:
            return _origin(URL(url)) in self._trusted
        except ValueError:
            return False

    def check(self, url: str) -> None:
        """Raise `UrlRefusedError` unless the URL may be called (addresses of names are checked
        when they are resolved, by the guarded resolver)."""
        if self.is_trusted(url):
            return
        try:
            parsed = URL(url)
        except ValueError:
            raise UrlRefusedError(Refusal.NOT_A_URL) from None
        if parsed.scheme not in ("http", "https") or not parsed.host:
            raise UrlRefusedError(Refusal.NOT_A_URL)
        if parsed.raw_user is not None or parsed.raw_password is not None:
            raise UrlRefusedError(Refusal.USERINFO)
        if parsed.raw_query_string or "?" in url:
            raise UrlRefusedError(Refusal.QUERY)
        if parsed.raw_fragment or "#" in url:
            raise UrlRefusedError(Refusal.FRAGMENT)
        if parsed.scheme == "http" and not self.policy.allow_private:
            raise UrlRefusedError(Refusal.PLAIN_HTTP)
        literal = _literal_address(parsed.host)
        if literal is not None:
            address, usual_form = literal
            refusal = self.policy.refusal(address)
            if refusal is None and not usual_form:
                refusal = Refusal.NUMERIC_HOST
            if refusal is not None:
                raise UrlRefusedError(refusal)


class GuardedResolver(AbstractResolver):
    """Resolves a name once, on its own threads, and refuses it unless every address is allowed."""

    def __init__(self, policy: AddressPolicy, lookup: Lookup = socket.getaddrinfo) -> None:
        self._policy = policy
        self._lookup = lookup
        self._threads = ThreadPoolExecutor(LOOKUP_THREADS, thread_name_prefix="guarded-dns")

    async def resolve(
        self, host: str, port: int = 0, family: socket.AddressFamily = socket.AF_INET
    ) -> list[ResolveResult]:
        infos = await asyncio.get_running_loop().run_in_executor(
            self._threads,
            lambda: self._lookup(host, port, family, socket.SOCK_STREAM, 0, socket.AI_ADDRCONFIG),
        )
        found: list[ResolveResult] = []
        for info_family, _, proto, _, sockaddr in infos:
            address = ipaddress.ip_address(sockaddr[0])
            if (refusal := self._policy.refusal(address)) is not None:
                raise AddressRefusedError(refusal)
            found.append(
                ResolveResult(
                    hostname=host,
                    host=str(address),
                    port=port,
                    family=info_family,
                    proto=proto,
                    flags=socket.AI_NUMERICHOST | socket.AI_NUMERICSERV,
                )
            )
        if not found:
            raise OSError(None, f"no address for {host}")
        return found

    async def close(self) -> None:
        self._threads.shutdown(wait=False, cancel_futures=True)


@dataclass
class _Gate:
    semaphore: asyncio.Semaphore
    users: int = 0


class InFlightCaps:
    """At most `limit` holders at once per key. Idle keys are dropped, so memory follows what is
    in flight, not every key ever seen."""

    def __init__(self, limit: int) -> None:
        self.limit = limit
        self._gates: dict[str, _Gate] = {}

    @asynccontextmanager
    async def hold(self, key: str) -> AsyncIterator[None]:
        gate = self._gates.setdefault(key, _Gate(asyncio.Semaphore(self.limit)))
        gate.users += 1
        try:
            async with gate.semaphore:
                yield
        finally:
            gate.users -= 1
            if gate.users == 0:
                del self._gates[key]


@dataclass
class Egress:
    """The outside-API pools (the operator's URLs on one, URLs workspaces chose on a guarded one)
    and the caps on requests in flight per workspace and per host a workspace chose."""

    rules: UrlRules
    trusted: aiohttp.ClientSession
    chosen: aiohttp.ClientSession
    per_workspace: InFlightCaps = field(default_factory=lambda: InFlightCaps(PER_WORKSPACE))
    per_chosen_host: InFlightCaps = field(default_factory=lambda: InFlightCaps(PER_CHOSEN_HOST))

    def session_for(self, url: str) -> aiohttp.ClientSession:
        """The pool that may carry a request to `url`; `UrlRefusedError` when none may."""
        if self.rules.is_trusted(url):
            return self.trusted
        self.rules.check(url)
        return self.chosen

    @asynccontextmanager
    async def turn(self, url: str, workspace: str) -> AsyncIterator[None]:
        """Wait for a turn to send one request to `url` for `workspace` (any stable name of one
        workspace's use of one API), within both caps."""
        host = None if self.rules.is_trusted(url) else URL(url).host_port_subcomponent
        async with self.per_workspace.hold(workspace):
            if host is None:
                yield
                return
            async with self.per_chosen_host.hold(host):
                yield


@asynccontextmanager
async def open_egress(
    trusted_urls: Iterable[str],
    policy: AddressPolicy,
    lookup: Lookup = socket.getaddrinfo,
) -> AsyncIterator[Egress]:
    """Both outside-API pools, closed together."""
    rules = UrlRules(trusted_urls, policy)
    trusted_pool = aiohttp.TCPConnector(limit=POOL_CONNECTIONS)
    resolver = GuardedResolver(policy, lookup)
    chosen_pool = aiohttp.TCPConnector(limit=POOL_CONNECTIONS, resolver=resolver)
    try:
        async with (
            aiohttp.ClientSession(connector=trusted_pool) as trusted,
            aiohttp.ClientSession(connector=chosen_pool) as chosen,
        ):
            yield Egress(rules, trusted, chosen)
    finally:
        await resolver.close()  # a resolver given to a connector is not closed with it
