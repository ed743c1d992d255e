"""URLs a workspace chooses: refused addresses and forms, no redirects, the operator's URLs trusted.

The table checks the rules on their own; the tests after it send real calls through the Cortex
client to a fake Cortex on 127.0.0.1 and assert on what the fake (and a fake DNS) saw.
"""

from __future__ import annotations

import ipaddress
import socket
from collections.abc import AsyncIterator
from typing import Any

import pytest

from bot.cortex import CortexClient, cortex_api
from bot.egress import AddressPolicy, Egress, Refusal, UrlRefusedError, UrlRules, open_egress
from bot.errors import UnavailableError
from tests.support.apis import FAST_RETRIES, ServerFactory
from tests.support.fakes.cortex import CORTEX_KEY, FakeCortex, Fault

STRICT = AddressPolicy()
OWN = ipaddress.ip_address("8.8.4.4")

REFUSED = [
    ("http://cortex.example.com", Refusal.PLAIN_HTTP),
    ("cortex.example.com", Refusal.NOT_A_URL),
    ("ftp://cortex.example.com", Refusal.NOT_A_URL),
    ("https://", Refusal.NOT_A_URL),
    ("https://user:pass@cortex.example.com", Refusal.USERINFO),
    ("https://user@cortex.example.com", Refusal.USERINFO),
    ("https://cortex.example.com/api?x=1", Refusal.QUERY),
    ("https://cortex.example.com/?", Refusal.QUERY),
    ("https://cortex.example.com/#top", Refusal.FRAGMENT),
    ("https://127.0.0.1", Refusal.PRIVATE_ADDRESS),
    ("https://127.0.0.1:8443/api", Refusal.PRIVATE_ADDRESS),
    ("https://[::1]", Refusal.PRIVATE_ADDRESS),
    ("https://[::ffff:127.0.0.1]", Refusal.PRIVATE_ADDRESS),
    ("https://[::ffff:7f00:1]", Refusal.PRIVATE_ADDRESS),
    ("https://[::127.0.0.1]", Refusal.PRIVATE_ADDRESS),
    ("https://[2002:7f00:1::]", Refusal.PRIVATE_ADDRESS),
    ("https://[64:ff9b::a9fe:a9fe]", Refusal.PRIVATE_ADDRESS),
    ("https://[64:ff9b:1::808:808]", Refusal.PRIVATE_ADDRESS),
    ("https://[fe80::1]", Refusal.PRIVATE_ADDRESS),
    ("https://[fd00:ec2::254]", Refusal.PRIVATE_ADDRESS),
    ("https://169.254.169.254/latest/meta-data", Refusal.PRIVATE_ADDRESS),
    ("https://10.0.0.1", Refusal.PRIVATE_ADDRESS),
    ("https://172.16.5.4", Refusal.PRIVATE_ADDRESS),
    ("https://192.168.1.1", Refusal.PRIVATE_ADDRESS),
    ("https://100.64.0.1", Refusal.PRIVATE_ADDRESS),
    ("https://0.0.0.0", Refusal.PRIVATE_ADDRESS),
    ("https://224.0.0.1", Refusal.PRIVATE_ADDRESS),
    ("https://255.255.255.255", Refusal.PRIVATE_ADDRESS),
    ("https://2130706433", Refusal.PRIVATE_ADDRESS),
    ("https://0x7f.1", Refusal.PRIVATE_ADDRESS),
    ("https://0x7f000001", Refusal.PRIVATE_ADDRESS),
    ("https://127.1", Refusal.PRIVATE_ADDRESS),
    ("https://017700000001", Refusal.PRIVATE_ADDRESS),
    ("https://0177.0.0.1", Refusal.PRIVATE_ADDRESS),
    ("https://134744072", Refusal.NUMERIC_HOST),  # 8.8.8.8, written oddly
    ("https://8.8.4.4", Refusal.OWN_ADDRESS),
    ("https://[::ffff:8.8.4.4]", Refusal.OWN_ADDRESS),
]


@pytest.mark.parametrize(("url", "refusal"), REFUSED, ids=[url for url, _ in REFUSED])
def test_a_url_a_workspace_chose_is_refused(url: str, refusal: Refusal) -> None:
    rules = UrlRules(("https://api.getcortexapp.com",), AddressPolicy(own=frozenset({OWN})))

    with pytest.raises(UrlRefusedError) as refused:
        rules.check(url)

    assert refused.value.refusal is refusal


@pytest.mark.parametrize(
    "url",
    [
        "https://cortex.example.com",
        "https://cortex.example.com:8443/api",
        "https://8.8.8.8",
        "https://[2606:4700::1111]",
        "https://api.getcortexapp.com",
    ],
)
def test_public_https_urls_are_allowed(url: str) -> None:
    UrlRules(("https://api.getcortexapp.com",), AddressPolicy(own=frozenset({OWN}))).check(url)


def test_the_operator_may_allow_private_addresses_and_plain_http_but_never_userinfo() -> None:
    rules = UrlRules((), AddressPolicy(allow_private=True))

    for url in ("http://cortex.internal:8080", "https://10.1.2.3", "https://[::1]:8443"):
        rules.check(url)
    with pytest.raises(UrlRefusedError, match="userinfo"):
        rules.check("http://admin:hunter2@cortex.internal")


def test_the_operators_own_url_is_trusted_as_given_and_only_its_origin() -> None:
    rules = UrlRules(("http://127.0.0.1:8080",), STRICT)

    rules.check("http://127.0.0.1:8080")
    rules.check("http://127.0.0.1:8080/cortex/")
    for other in ("http://127.0.0.1:8081", "https://127.0.0.1:8080", "http://localhost:8080"):
        with pytest.raises(UrlRefusedError):
            rules.check(other)


# --- calls through the client --------------------------------------------------------------------


class FakeDns:
    """Stands in for DNS: fixed answers for its names (others go to the system resolver, which
    knows `localhost` and the numeric forms), and every question remembered."""

    def __init__(self, answers: dict[str, list[str]]) -> None:
        self.answers = answers
        self.asked: list[str] = []

    def __call__(self, host: str, port: int, *rest: Any) -> list[tuple[Any, ...]]:
        self.asked.append(host)
        if host not in self.answers:
            return socket.getaddrinfo(host, port, *rest)
        infos = []
        for address in self.answers[host]:
            family = socket.AF_INET6 if ":" in address else socket.AF_INET
            sockaddr = (address, port, 0, 0) if family == socket.AF_INET6 else (address, port)
            infos.append((family, socket.SOCK_STREAM, 6, "", sockaddr))
        return infos


@pytest.fixture
def dns() -> FakeDns:
    return FakeDns(
        {
            "mixed.example.test": ["8.8.8.8", "127.0.0.1"],
            "internal.example.test": ["10.0.0.5"],
            "metadata.example.test": ["fd00:ec2::254"],
            "loopback.example.test": ["127.0.0.1"],
        }
    )


@pytest.fixture
async def strict_egress(dns: FakeDns) -> AsyncIterator[Egress]:
    """Pools as production has them by default: nothing private, no plain http."""
    async with open_egress(("https://api.getcortexapp.com",), STRICT, dns) as pools:
        yield pools


def client_for(egress: Egress, url: str) -> CortexClient:
    return CortexClient(cortex_api(egress, FAST_RETRIES), url, CORTEX_KEY)


@pytest.mark.parametrize(
    "host",
    [
        "127.0.0.1",
        "localhost",
        "[::ffff:127.0.0.1]",
        "2130706433",
        "0x7f.1",
        "127.1",
        "mixed.example.test",
        "internal.example.test",
        "metadata.example.test",
        "loopback.example.test",
    ],
)
async def test_no_request_reaches_a_refused_address(
    strict_egress: Egress, fake_cortex: FakeCortex, host: str
) -> None:
    port = fake_cortex.base_url.rsplit(":", 1)[1]

    with pytest.raises(UrlRefusedError) as refused:
        await client_for(strict_egress, f"https://{host}:{port}").check_access()

    assert refused.value.refusal is Refusal.PRIVATE_ADDRESS
    assert fake_cortex.received == []


async def test_every_address_of_a_name_is_checked_from_one_lookup(
    strict_egress: Egress, fake_cortex: FakeCortex, dns: FakeDns
) -> None:
    port = fake_cortex.base_url.rsplit(":", 1)[1]

    for _ in range(2):
        with pytest.raises(UrlRefusedError):
            await client_for(strict_egress, f"https://mixed.example.test:{port}").check_access()

    assert dns.asked == ["mixed.example.test", "mixed.example.test"]
    assert fake_cortex.received == []


async def test_plain_http_to_a_chosen_url_is_refused_before_any_lookup(
    strict_egress: Egress, dns: FakeDns
) -> None:
    with pytest.raises(UrlRefusedError, match="plain_http"):
        await client_for(strict_egress, "http://internal.example.test").check_access()

    assert dns.asked == []


async def test_the_same_fake_answers_once_the_operator_allows_private_urls(
    fake_cortex: FakeCortex, dns: FakeDns
) -> None:
    """The control for the refusals above: the fake is reachable, the rules are what stop them."""
    port = fake_cortex.base_url.rsplit(":", 1)[1]
    async with open_egress((), AddressPolicy(allow_private=True), dns) as egress:
        await client_for(egress, f"http://loopback.example.test:{port}").check_access()
        await client_for(egress, f"http://localhost:{port}").check_access()

    assert fake_cortex.count() == 2


async def test_the_operators_cortex_url_is_trusted_as_given(
    fake_cortex: FakeCortex, dns: FakeDns
) -> None:
    async with open_egress((fake_cortex.base_url,), STRICT, dns) as egress:
        await client_for(egress, fake_cortex.base_url).check_access()
        with pytest.raises(UrlRefusedError):
            await client_for(
                egress, fake_cortex.base_url.replace("127.0.0.1", "localhost")
            ).check_access()

    assert fake_cortex.count() == 1


@pytest.mark.parametrize("status", [301, 302, 307, 308])
async def test_a_redirect_is_never_followed(
    egress: Egress, fake_cortex: FakeCortex, aiohttp_server: ServerFactory, status: int
) -> None:
    target = FakeCortex()
    server = await aiohttp_server(target.app())
    fake_cortex.faults.append(
        Fault(status=status, redirect_to=str(server.make_url("/api/v1/catalog")))
    )

    with pytest.raises(UnavailableError, match="redirect") as failed:
        await client_for(egress, fake_cortex.base_url).check_access()

    assert failed.value.status == status
    assert fake_cortex.count() == 1  # not retried either
    assert target.received == []
