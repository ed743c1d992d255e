"""Checks requests and responses against the official OpenAPI documents in ../shared/specs/.

The fakes call `OpenApiContract.check(...)` for every exchange; anything the official document would
reject is recorded as a violation, and the fixtures fail the test that caused it.

The documents are found at `SPECS_DIR`, else at `../shared/specs` beside the project (as CI has
them). A clone of the project alone has neither: then only these checks are skipped (the fakes
answer unchecked, and the tests of the checks themselves are skipped), and one line at the end of
pytest's summary says so and how to turn them on. CI must run every check: `.ci/run` sets
`REQUIRE_SPECS=1`, which stops the run at once when the documents are missing.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

import pytest
from jsonschema import ValidationError
from multidict import CIMultiDict, MultiDict
from openapi_core import Config, OpenAPI
from openapi_core.datatypes import RequestParameters
from openapi_core.templating.paths.finders import APICallPathFinder
from openapi_core.templating.responses.exceptions import ResponseNotFound
from openapi_schema_validator import OAS30Validator, validate

PROJECT_ROOT = Path(__file__).resolve().parents[2]
SPECS_DIR = Path(os.environ.get("SPECS_DIR") or PROJECT_ROOT.parent / "shared" / "specs")
SPEC_FILES = ("cortex-openapi.json", "rootly-openapi.json", "slack-manifest.schema.json")
SPECS_PRESENT = all((SPECS_DIR / name).is_file() for name in SPEC_FILES)
WHY_SKIPPED = (
    f"the official API documents are not in {SPECS_DIR}; "
    "put the shared specs at ../shared/specs beside the project or set SPECS_DIR to run them"
)
requires_specs = pytest.mark.skipif(not SPECS_PRESENT, reason=WHY_SKIPPED)


def pytest_sessionstart(session: pytest.Session) -> None:
    if os.environ.get("REQUIRE_SPECS") == "1" and not SPECS_PRESENT:
        pytest.exit(f"REQUIRE_SPECS is set but {WHY_SKIPPED}.", returncode=4)


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    """One line, whatever the number of tests, when the contract checks did not run."""
    if SPECS_PRESENT:
        return
    skipped = [
        report
        for report in terminalreporter.stats.get("skipped", ())
        if WHY_SKIPPED in str(getattr(report, "longrepr", ""))
    ]
    terminalreporter.write_line(
        f"Contract checks skipped ({len(skipped)} tests skipped, the fakes' answers unchecked): "
        f"{WHY_SKIPPED}."
    )


@dataclass
class _Request:
    """The request shape openapi-core reads (its `Request` protocol)."""

    host_url: str
    path: str
    method: str
    query: MultiDict[str]
    headers: CIMultiDict[str]
    body: bytes | None
    content_type: str
    parameters: RequestParameters = field(init=False)

    def __post_init__(self) -> None:
        self.parameters = RequestParameters(
            path={}, query=self.query, header=self.headers, cookie={}
        )


@dataclass
class _Response:
    data: bytes
    status_code: int
    content_type: str
    headers: CIMultiDict[str]


class OpenApiContract:
    def __init__(self, spec: dict[str, Any], error_schema: str) -> None:
        self.error_schema = error_schema
        self._spec = spec
        # The official documents do not pass strict self-validation; we only need them as schemas.
        config = Config(
            spec_validator_cls=None,  # type: ignore[arg-type]
            extra_media_type_deserializers={"application/problem+json": json.loads},
        )
        self._api = OpenAPI.from_dict(spec, config=config)
        self._server = spec["servers"][0]["url"].rstrip("/")

    def check(
        self,
        *,
        method: str,
        path: str,
        query: MultiDict[str],
        headers: CIMultiDict[str],
        body: bytes | None,
        status: int,
        response_body: bytes,
        response_headers: CIMultiDict[str],
    ) -> list[str]:
        """Every way this exchange breaks the official document (an empty list when it does not)."""
        request = _Request(
            host_url=self._server,
            path=path,
            method=method.lower(),
            query=query,
            headers=headers,
            body=body or None,
            content_type=headers.get("Content-Type", ""),
        )
        problems = self._missing_required_query(request)
        try:
            self._api.validate_request(request)
        except Exception as error:
            problems.append(f"request: {_describe(error)}")
        response = _Response(
            data=response_body,
            status_code=status,
            content_type=response_headers.get("Content-Type", "").split(";")[0],
            headers=response_headers,
        )
        try:
            self._api.validate_response(request, response)
        except ResponseNotFound:
            problems += self._undocumented_error(status, response_body)
        except Exception as error:
            problems.append(f"response {status}: {_describe(error)}")
        return [f"{method} {path}: {problem}" for problem in problems]

    def schema(self, name: str) -> dict[str, Any]:
        """One of the document's component schemas, as written there."""
        found: dict[str, Any] = self._spec["components"]["schemas"][name]
        return found

    def _undocumented_error(self, status: int, body: bytes) -> list[str]:
        """Statuses an operation does not list (401, 5xx...) must still use the error shape."""
        if status < 400:
            return [f"status {status} is not documented for this operation"]
        if not body:
            return []
        schema = self._spec["components"]["schemas"][self.error_schema]
        try:
            validate(json.loads(body), schema, cls=OAS30Validator)
        except (ValueError, ValidationError) as error:
            return [f"{status} body is not a {self.error_schema}: {error}"]
        return []

    def _missing_required_query(self, request: _Request) -> list[str]:
        # openapi-core fills a missing required parameter from its default; the real API does not.
        try:
            found = APICallPathFinder(self._api.spec).find(
                request.method, f"{self._server}{request.path}"
            )
        except Exception:
            return []  # validate_request reports the unknown path itself
        parameters = [
            parameter
            for holder in (found.path, found.operation)
            if (holder / "parameters").exists()
            for parameter in _children(holder / "parameters")
        ]
        return [
            f"request: missing required query parameter {name!r}"
            for parameter in parameters
            if (parameter / "in").read_value() == "query"
            and (parameter / "required").exists()
            and (parameter / "required").read_value()
            and (name := (parameter / "name").read_value()) not in request.query
        ]


def _children(items: Any) -> list[Any]:
    with items.open() as raw:
        return [items / index for index in range(len(raw))]


def _describe(error: Exception) -> str:
    details = [str(item) for item in getattr(error, "schema_errors", ())]
    cause = error.__cause__
    if cause is not None:
        details += [str(item) for item in getattr(cause, "schema_errors", ())] or [str(cause)]
    return f"{error}" + (f" ({'; '.join(details)[:500]})" if details else "")


def without_polymorphic_cycles(spec: dict[str, Any]) -> dict[str, Any]:
    """The Cortex document writes each polymorphic schema as a parent whose `oneOf` lists its
    subtypes, each of them `allOf` the parent again: a cycle no validator can follow (every
    `GET /api/v1/teams` answer fails with "maximum recursion depth"), under a `discriminator`
    that, without a `mapping`, accepts only the subtypes' schema names ("TeamResponse.CORTEX")
    where Cortex says "CORTEX". Each subtype gets the parent's own part instead of the parent,
    and a parent without a mapping keeps its `oneOf` (exactly one subtype must match) without the
    discriminator."""
    schemas: dict[str, dict[str, Any]] = spec["components"]["schemas"]
    for name, schema in schemas.items():
        if "discriminator" not in schema or "oneOf" not in schema:
            continue
        parent = f"#/components/schemas/{name}"
        own = {key: value for key, value in schema.items() if key not in ("oneOf", "discriminator")}
        for subtype in (schemas[ref["$ref"].rsplit("/", 1)[-1]] for ref in schema["oneOf"]):
            parts = subtype.get("allOf", [])
            subtype["allOf"] = [own if part.get("$ref") == parent else part for part in parts]
        if "mapping" not in schema["discriminator"]:
            del schema["discriminator"]
    return spec


@cache
def load_contract(filename: str, error_schema: str) -> OpenApiContract:
    """Parsed once per test session: the documents are large."""
    with (SPECS_DIR / filename).open() as handle:
        return OpenApiContract(without_polymorphic_cycles(json.load(handle)), error_schema)
