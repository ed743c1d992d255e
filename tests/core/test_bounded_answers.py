"""Whatever Cortex or Rootly says, one call's work stays bounded: answer sizes, pages followed,
pages in flight, items per page. Hostile fakes: huge bodies (plain and gzip), 100,000 pages,
oversized pages; the tests assert on the typed error and on how much the fake was asked."""

from __future__ import annotations

import pytest

from bot.cortex import CortexClient
from bot.cortex.client import PAGING as CORTEX_PAGING
from bot.errors import OversizeAnswerError
from bot.http import MAX_BODY_BYTES, MIB
from bot.rootly import RootlyClient
from bot.rootly.client import PAGING as ROOTLY_PAGING
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


async def test_a_cortex_listing_of_100000_pages_stops_after_the_first(
    cortex: CortexClient, fake_cortex: FakeCortex
) -> None:
    fake_cortex.add_service("api")
    fake_cortex.claimed_pages = 100_000

    with pytest.raises(OversizeAnswerError, match="100,000 pages"):
        await cortex.list_entities()

    assert fake_cortex.count() == 1


async def test_cortex_pages_are_read_a_few_at_a_time(
    cortex: CortexClient, fake_cortex: FakeCortex
) -> None:
    fake_cortex.add_service("api")
    fake_cortex.claimed_pages = CORTEX_PAGING.max_pages
    fake_cortex.latency = 0.02

    assert [entity.tag for entity in await cortex.list_entities()] == ["api"]

    assert fake_cortex.count() == CORTEX_PAGING.max_pages
    assert fake_cortex.max_in_flight <= CORTEX_PAGING.in_flight


async def test_a_cortex_page_with_more_items_than_asked_is_an_error(
    cortex: CortexClient, fake_cortex: FakeCortex
) -> None:
    for number in range(CORTEX_PAGING.size + 1):
        fake_cortex.add_service(f"svc-{number}")
    fake_cortex.served_page_size = CORTEX_PAGING.size + 1

    with pytest.raises(OversizeAnswerError, match="1,001 items"):
        await cortex.list_entities()


async def test_a_rootly_listing_of_100000_pages_stops_after_the_first(
    rootly: RootlyClient, fake_rootly: FakeRootly
) -> None:
    fake_rootly.add_service("Payments")
    fake_rootly.claimed_pages = 100_000

    with pytest.raises(OversizeAnswerError, match="100,000 pages"):
        await rootly.list_services()

    assert fake_rootly.count() == 1


async def test_rootly_pages_are_read_a_few_at_a_time(
    rootly: RootlyClient, fake_rootly: FakeRootly
) -> None:
    fake_rootly.add_service("Payments")
    fake_rootly.claimed_pages = 40
    fake_rootly.latency = 0.02

    assert [service.name for service in await rootly.list_services()] == ["Payments"]

    assert fake_rootly.count() == 40
    assert fake_rootly.max_in_flight <= ROOTLY_PAGING.in_flight


async def test_a_rootly_page_with_more_items_than_asked_is_an_error(
    rootly: RootlyClient, fake_rootly: FakeRootly
) -> None:
    for number in range(ROOTLY_PAGING.size + 1):
        fake_rootly.add_service(f"Service {number}")
    fake_rootly.served_page_size = ROOTLY_PAGING.size + 1

    with pytest.raises(OversizeAnswerError, match="101 items"):
        await rootly.list_services()
