"""Deploy environments as people name them: which ones are production, the order to show them
in, and what `env=` on a digest keeps.

Cortex takes any string as a deploy's environment, so production is recognised by its usual names
(`prod`, `production`, `prd`, `live`) as a word of the name (`prod-eu`, `eu_production`), unless
the name says it is not (`pre-prod`, `non-prod`).
"""

from __future__ import annotations

import re

PRODUCTION = "production"
PRODUCTION_NAMES = frozenset({"prod", PRODUCTION, "prd", "live"})
_NOT_PRODUCTION = frozenset({"pre", "non", "not"})
_WORDS = re.compile(r"[a-z0-9]+")


def _words(environment: str | None) -> list[str]:
    return _WORDS.findall((environment or "").lower())


def is_production(environment: str | None) -> bool:
    words = set(_words(environment))
    return bool(words & PRODUCTION_NAMES) and not words & _NOT_PRODUCTION


def environment_order(environment: str | None) -> tuple[int, str]:
    """Production first, then the other named environments by name, then deploys without one."""
    name = (environment or "").strip().lower()
    return (0 if is_production(name) else 1 if name else 2, name)


def asked_environment(wanted: str) -> str:
    """`env=wanted` as `wanted_environment` reads it: case-blind, production's usual names one."""
    asked = wanted.strip().lower()
    return PRODUCTION if asked in PRODUCTION_NAMES else asked


def wanted_environment(wanted: str, environment: str | None) -> bool:
    """Whether a deploy to `environment` is one `env=wanted` keeps: the same name in any case; one
    of production's usual names (`env=production`) stands for every production environment."""
    name = (environment or "").strip().lower()
    asked = asked_environment(wanted)
    return name == asked or (asked == PRODUCTION and is_production(name))
