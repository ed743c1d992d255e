"""Whatever Cortex or Rootly says, one call's work stays bounded: answer sizes, pages followed,
pages in flight, items per page. Hostile fakes: huge bodies (plain and gzip), 100,000 pages,
oversized pages; the tests assert on the typed error and on how much the fake was asked."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass

import pytest

from bot.cortex import CortexClient
from bot.cortex.client import PAGING as CORTEX_PAGING
from bot.errors import OversizeAnswerError
from bot.http import MAX_BODY_BYTES, MIB, Paging
from bot.rootly import RootlyClient
from bot.rootly.client import PAGING as ROOTLY_PAGING
from tests.support.fakes.contract_fake import ContractFake
from tests.support.fakes.cortex import FakeCortex
from tests.support.fakes.rootly import FakeRootly


@pytest.mark.parametrize("compress", [False, True], ids=["plain", "gzip"])
async def test_an_answer_over_the_size_cap_is_an_error(
    cortex: CortexClient, fake_cortex: FakeCortex, compress: bool
) -> None:
    fake_cortex.add_service("big", description="x" * (MAX_BODY_BYTES + MIB))
    fake_cortex.compress = compress  # 9 MiB of JSON in ~10 KiB of gzip

    with pytest.raises(OversizeAnswerError, match="over 8 MiB") as caught:
        await cortex.get_entity("big")

    assert caught.value.service == "Cortex"
    assert fake_cortex.count() == 1  # not retried


async def test_an_answer_under_the_cap_is_read_whole(
    cortex: CortexClient, fake_cortex: FakeCortex
) -> None:
    fake_cortex.add_service("large", description="x" * (MAX_BODY_BYTES - MIB))
    fake_cortex.compress = True

    assert len((await cortex.get_entity("large")).description or "") == MAX_BODY_BYTES - MIB


@dataclass(frozen=True)
class Listing:
    """One API's paged listing as the tests drive it: the fake behind it and how to seed it."""

    fake: ContractFake
    paging: Paging
    read: Callable[[], Awaitable[Sequence[object]]]
    seed: Callable[[int], object]


@pytest.fixture(params=["Cortex", "Rootly"])
def listing(request: pytest.FixtureRequest) -> Listing:
    if request.param == "Cortex":
        cortex: CortexClient = request.getfixturevalue("cortex")
        fake_cortex: FakeCortex = request.getfixturevalue("fake_cortex")
        return Listing(
            fake_cortex,
            CORTEX_PAGING,
            cortex.list_entities,
            lambda n: fake_cortex.add_service(f"s{n}"),
        )
    rootly: RootlyClient = request.getfixturevalue("rootly")
    fake_rootly: FakeRootly = request.getfixturevalue("fake_rootly")
    return Listing(
        fake_rootly, ROOTLY_PAGING, rootly.list_services, lambda n: fake_rootly.add_service(f"S{n}")
    )


async def test_a_listing_of_100000_pages_stops_after_the_first(listing: Listing) -> None:
    listing.seed(0)
    listing.fake.claimed_pages = 100_000

    with pytest.raises(OversizeAnswerError, match="100,000 pages"):
        await listing.read()

    assert len(listing.fake.received) == 1


async def test_pages_are_read_a_few_at_a_time(listing: Listing) -> None:
    listing.seed(0)
    listing.fake.claimed_pages = 40
    listing.fake.latency = 0.02

    assert len(await listing.read()) == 1

    assert len(listing.fake.received) == 40
    assert listing.fake.max_in_flight <= listing.paging.in_flight


async def test_a_page_with_more_items_than_asked_is_an_error(listing: Listing) -> None:
    for number in range(listing.paging.size + 1):
        listing.seed(number)
    listing.fake.served_page_size = listing.paging.size + 1

    with pytest.raises(OversizeAnswerError, match=f"{listing.paging.size + 1:,} items"):
        await listing.read()
