"""The contract check itself: requests the official document rejects are caught."""

from __future__ import annotations

import aiohttp

from tests.support.contract import requires_specs
from tests.support.fakes.cortex import CORTEX_KEY, FakeCortex

pytestmark = requires_specs

AUTH = {"Authorization": f"Bearer {CORTEX_KEY}"}


async def test_a_listing_without_page_is_a_violation(
    fake_cortex: FakeCortex, http_session: aiohttp.ClientSession
) -> None:
    async with http_session.get(
        f"{fake_cortex.base_url}/api/v1/catalog", params={"pageSize": "10"}, headers=AUTH
    ):
        pass

    assert any("missing required query parameter 'page'" in v for v in fake_cortex.violations)
    fake_cortex.violations.clear()


async def test_a_deploy_of_an_unknown_type_is_a_violation(
    fake_cortex: FakeCortex, http_session: aiohttp.ClientSession
) -> None:
    fake_cortex.add_service("api")
    body = {"title": "v1", "type": "YOLO", "timestamp": "2026-11-22T12:00:00Z"}

    async with http_session.post(
        f"{fake_cortex.base_url}/api/v1/catalog/api/deploys", json=body, headers=AUTH
    ):
        pass

    assert any("YOLO" in violation for violation in fake_cortex.violations)
    fake_cortex.violations.clear()


async def test_a_fake_answer_off_the_document_is_a_violation(
    fake_cortex: FakeCortex, http_session: aiohttp.ClientSession
) -> None:
    fake_cortex.add_service("api")
    del fake_cortex.entities["api"]["slackChannels"]

    async with http_session.get(f"{fake_cortex.base_url}/api/v1/catalog/api", headers=AUTH):
        pass

    assert any("slackChannels" in violation for violation in fake_cortex.violations)
    fake_cortex.violations.clear()
