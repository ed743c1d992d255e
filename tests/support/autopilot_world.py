"""An incident and the Cortex around it, seeded in the fakes: what the autopilot tests read.

Payments API and Checkout are the incident's services in Rootly (mapped by `cortex_id`), with a
third Rootly service that maps to nothing. Payments API depends on Ledger DB. Inside the 24 hours
before the incident began: a rollback and a deploy of Payments API, a deploy of Ledger DB and a
flag event of Checkout; outside it, an older deploy of Payments API.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from tests.support.fakes.cortex import FakeCortex
from tests.support.fakes.rootly import FakeRootly

INCIDENT_CHANNEL = "C0INCIDENT"


@dataclass(frozen=True)
class World:
    incident_id: str
    began: datetime
    payments: str  # Rootly service ids
    checkout: str
    unmapped: str
    search: str  # a mapped service, not on the incident at first


def seed_cortex(cortex: FakeCortex, began: datetime) -> None:
    cortex.add_service(
        "payments-api", "Payments API", teams=("team-pay",), emails=("ana@example.com",)
    )
    cortex.add_service("checkout", "Checkout", teams=("team-shop",))
    cortex.add_service("ledger-db", "Ledger DB")
    cortex.add_service("search", "Search")
    cortex.add_dependency("payments-api", "ledger-db")
    bo = {"name": "Bo Deployer", "email": "bo@example.com"}
    cortex.add_deploy(
        "payments-api", "release 42", began - timedelta(hours=2), environment="prod", deployer=bo
    )
    cortex.add_deploy(
        "payments-api", "release 40", began - timedelta(hours=3), type="ROLLBACK", deployer=bo
    )
    cortex.add_deploy("payments-api", "release 39", began - timedelta(hours=30), deployer=bo)
    cortex.add_deploy(
        "ledger-db",
        "schema migration",
        began - timedelta(hours=1),
        url="https://ci.example.com/runs/7",
        deployer={"name": "Di Dba"},
    )
    cortex.add_deploy("search", "search 7", began - timedelta(minutes=30))
    cortex.add_event("checkout", "Flag new-cart on", began - timedelta(minutes=20), type="FLAG")
    cortex.add_oncall("payments-api", "Cy Oncall")
    cortex.add_score("payments-api", "Readiness", "Gold")


def seed(cortex: FakeCortex, rootly: FakeRootly, began: datetime) -> World:
    seed_cortex(cortex, began)
    payments = rootly.add_service("Payments API", cortex_id="payments-api")
    checkout = rootly.add_service("Checkout", cortex_id="checkout")
    unmapped = rootly.add_service("Hand made")
    search = rootly.add_service("Search", cortex_id="search")
    incident_id = rootly.add_incident(
        "Payments failing",
        slack_channel_id=INCIDENT_CHANNEL,
        service_ids=(payments, checkout, unmapped),
        created_at=began,
    )
    return World(incident_id, began, payments, checkout, unmapped, search)
