"""JSON over HTTP for the outside APIs: shared pools, typed errors, retries, rate limits, caps.

Every client (Cortex, Rootly) sends its requests through `JsonApi.request`, which:
- refuses a URL a workspace chose that breaks `bot.egress`'s rules, before anything is sent;
- asks the API's pacer for permission before each attempt and tells it every answer, so we stay
  under the documented limit (Cortex: `bot.budget`, per key and lane);
- bounds each attempt by a per-request timeout and the whole call by a deadline (for background
  work, from the moment it is let through: its wait for the budget has a patience of its own);
- waits for a turn within the caps on requests in flight per workspace and per chosen host;
- never follows a redirect, and reads at most the API's `max_body` bytes of any answer;
- retries 429 (the server did not process it, so even a write is safe) after `Retry-After`,
  and retries 5xx, timeouts and connection errors with jittered backoff for idempotent calls only;
  background work waits out every 429 within its patience, however many, each attempt with a
  deadline of its own, and its lane's listener hears of each wait (`bot.lanes.background`);
- turns every failure into an `ApiError` subclass whose text never contains the key.

`read_pages` walks a paged listing within a cap on pages followed and on pages in flight.
"""

from __future__ import annotations

import asyncio
import email.utils
import hashlib
import json
import logging
import time
from collections.abc import Awaitable, Callable, Mapping, Sequence, Sized
from dataclasses import dataclass
from typing import Any, NamedTuple, Protocol, TypeVar
from urllib.parse import quote

import aiohttp
from aiolimiter import AsyncLimiter
from cachetools import LRUCache
from pydantic import BaseModel, ValidationError
from tenacity import (
    AsyncRetrying,
    RetryCallState,
    retry_if_exception,
    stop_after_attempt,
    wait_random_exponential,
)
from tenacity.stop import stop_base
from yarl import URL

from bot.egress import AddressRefusedError, Egress, UrlRefusedError
from bot.errors import (
    ApiError,
    InvalidRequestError,
    NotFoundError,
    OversizeAnswerError,
    RateLimitedError,
    UnauthorizedError,
    UnavailableError,
    UnreadableAnswerError,
)
from bot.lanes import BACKGROUND_PATIENCE, Lane, announce_wait, current_lane
from bot.observability import API_REQUESTS, status_label

log = logging.getLogger(__name__)

QueryParams = Sequence[tuple[str, str]]
ModelT = TypeVar("ModelT", bound=BaseModel)
PageT = TypeVar("PageT")

MIB = 1024 * 1024
# The most the bot reads of one answer, decompressed. A full page of either API is well under it
# (1000 Cortex entities with owners and links, 100 Rootly services: a few hundred KiB to 2 MiB).
MAX_BODY_BYTES = 8 * MIB
READ_CHUNK_BYTES = 64 * 1024


class ErrorDescription(NamedTuple):
    """What an API said about its own error: a message, details, and its machine-readable kind."""

    message: str = ""
    violations: tuple[str, ...] = ()
    code: str | None = None
    # Items of a batch the API refused, each with its reason: (the item's key, reason).
    rejected: tuple[tuple[str, str], ...] = ()


ErrorDescriber = Callable[[Any], ErrorDescription]


@dataclass(frozen=True)
class RetryPolicy:
    """How hard one call tries. The defaults keep an interactive answer under Slack's patience."""

    attempts: int = 4
    request_timeout: float = 5.0
    deadline: float = 8.0
    # The least time an interactive call keeps for the API to answer: a call the pacer could
    # only let through later than that is reported as busy instead.
    answer_allowance: float = 1.0
    max_retry_after: float = 30.0
    backoff_base: float = 0.2
    backoff_max: float = 2.0


@dataclass(frozen=True)
class RateLimit:
    """At most `per_period` requests in any window of `period` seconds, `burst` of them at once.

    A leaky bucket of capacity `burst` that drains `per_period - burst` requests per period
    admits at most `per_period` requests in any window of that length, including the initial burst.
    """

    per_period: int
    period: float
    burst: int

    def new_limiter(self) -> AsyncLimiter:
        drain_per_period = self.per_period - self.burst
        return AsyncLimiter(self.burst, self.period * self.burst / drain_per_period)


# A 429 that says nothing of when to come back is tried again after this long (background work).
DEFAULT_RATE_LIMIT_PAUSE = 10.0


def key_fingerprint(api_key: str) -> str:
    """A short, non-reversible name for a key: safe to keep in memory maps and cache keys."""
    return hashlib.sha256(api_key.encode()).hexdigest()[:16]


class Pacer(Protocol):
    """Lets an API's calls go at the rate it allows: asked before each attempt, told each answer
    (`status` None when there was none)."""

    async def acquire(self, api_key: str, method: str, *, deadline: float, workspace: str) -> None:
        """Return when the attempt may go; `deadline` is the latest useful moment (loop time)."""
        ...

    async def observe(
        self, api_key: str, method: str, status: int | None, headers: Mapping[str, str]
    ) -> None: ...


class RateLimiters:
    """A pacer of one limiter per API key; least recently used ones are forgotten so memory stays
    bounded."""

    def __init__(self, limit: RateLimit, max_keys: int = 10_000) -> None:
        self._limit = limit
        self._limiters: LRUCache[str, AsyncLimiter] = LRUCache(maxsize=max_keys)

    def for_key(self, api_key: str) -> AsyncLimiter:
        fingerprint = key_fingerprint(api_key)
        limiter = self._limiters.get(fingerprint)
        if limiter is None:
            limiter = self._limit.new_limiter()
            self._limiters[fingerprint] = limiter
        return limiter

    async def acquire(self, api_key: str, method: str, *, deadline: float, workspace: str) -> None:
        await self.for_key(api_key).acquire()

    async def observe(
        self, api_key: str, method: str, status: int | None, headers: Mapping[str, str]
    ) -> None:
        """A 429 is followed through the retry's wait; nothing else changes the pace."""


def parse_retry_after(headers: Mapping[str, str], now: float | None = None) -> float | None:
    """Seconds to wait, from `Retry-After` (seconds or HTTP date) or `X-RateLimit-Reset`."""
    now = time.time() if now is None else now
    value = headers.get("Retry-After")
    if value:
        if value.strip().isdigit():
            return float(value)
        parsed = email.utils.parsedate_to_datetime(value) if "," in value else None
        if parsed is not None:
            return max(0.0, parsed.timestamp() - now)
    reset = headers.get("X-RateLimit-Reset")
    if reset and reset.strip().replace(".", "", 1).isdigit():
        seconds = float(reset)
        # Large values are epoch timestamps, small ones are already a delay.
        return max(0.0, seconds - now) if seconds > 1_000_000_000 else seconds
    return None


class JsonApi:
    """The HTTP side of one outside API, shared by every workspace that talks to it."""

    def __init__(
        self,
        service: str,
        egress: Egress,
        pacer: Pacer,
        describe_error: ErrorDescriber,
        *,
        policy: RetryPolicy | None = None,
        content_type: str = "application/json",
        max_body: int = MAX_BODY_BYTES,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
    ) -> None:
        self.service = service
        self._egress = egress
        self.pacer = pacer
        self._describe_error = describe_error
        self.policy = policy or RetryPolicy()
        self._content_type = content_type
        self._max_body = max_body
        self._sleep = sleep

    async def request(
        self,
        method: str,
        url: str,
        *,
        api_key: str,
        params: QueryParams = (),
        body: Any = None,
        idempotent: bool | None = None,
        policy: RetryPolicy | None = None,
        workspace: str = "",
    ) -> Any:
        """Send one call (with retries) and return its decoded JSON body."""
        try:
            self._egress.session_for(url)  # refused before it waits for anything
        except UrlRefusedError:
            API_REQUESTS.labels(self.service, "refused").inc()
            raise
        policy = policy or self.policy
        retry_unavailable = method.upper() in {"GET", "HEAD"} if idempotent is None else idempotent
        call = _Call(api_key, workspace, policy, asyncio.get_running_loop())
        sleep = _AnnouncedSleep(self.service, self._sleep, call.background)
        retrying = AsyncRetrying(
            stop=_PatientStop(call) if call.background else _stop(call),
            wait=self._wait_strategy(call),
            retry=retry_if_exception(lambda exc: _is_retryable(exc, retry_unavailable)),
            before_sleep=lambda state: self._before_retry(method, url, state, sleep),
            reraise=True,
            sleep=sleep,
        )
        async for attempt in retrying:
            with attempt:
                return await self._attempt(method, url, call, params, body)
        raise AssertionError("unreachable: tenacity either returns or re-raises")

    def _wait_strategy(self, call: _Call) -> Callable[[RetryCallState], float]:
        policy = call.policy
        backoff = wait_random_exponential(multiplier=policy.backoff_base, max=policy.backoff_max)

        def wait(state: RetryCallState) -> float:
            error = state.outcome.exception() if state.outcome else None
            if isinstance(error, RateLimitedError):
                if call.background:
                    pause = (
                        DEFAULT_RATE_LIMIT_PAUSE if error.retry_after is None else error.retry_after
                    )
                    return min(pause, BACKGROUND_PATIENCE)
                if error.retry_after is not None:
                    return min(error.retry_after, policy.max_retry_after)
            return backoff(state)

        return wait

    def _before_retry(
        self, method: str, url: str, state: RetryCallState, sleep: _AnnouncedSleep
    ) -> None:
        error = state.outcome.exception() if state.outcome else None
        delay = state.next_action.sleep if state.next_action else 0.0
        sleep.rate_limited = isinstance(error, RateLimitedError)
        log.warning(
            "%s %s %s failed (%s); retry %d in %.2f s",
            self.service,
            method,
            _path_of(url),
            error,
            state.attempt_number,
            delay,
        )

    async def _attempt(
        self, method: str, url: str, call: _Call, params: QueryParams, body: Any
    ) -> Any:
        await self.pacer.acquire(
            call.api_key, method, deadline=call.permit_by(), workspace=call.workspace
        )
        call.start_deadline()
        status: int | None = None
        headers: Mapping[str, str] = {}
        try:
            async with asyncio.timeout_at(call.deadline):
                raw, status, headers = await self._send(method, url, call, params, body)
        except TimeoutError:
            API_REQUESTS.labels(self.service, "timeout").inc()
            raise UnavailableError(
                self.service, f"no answer within {call.policy.deadline:g} s", retryable=False
            ) from None
        finally:
            await self.pacer.observe(call.api_key, method, status, headers)
        return self._decode(status, headers, raw, call.api_key)

    async def _send(
        self, method: str, url: str, call: _Call, params: QueryParams, body: Any
    ) -> tuple[bytes, int, Mapping[str, str]]:
        headers = {"Authorization": f"Bearer {call.api_key}", "Accept": self._content_type}
        data = None
        if body is not None:
            headers["Content-Type"] = self._content_type
            data = json.dumps(body).encode()
        policy = call.policy
        timeout = aiohttp.ClientTimeout(total=policy.request_timeout)
        try:
            async with (
                self._egress.turn(url, f"{self.service}:{key_fingerprint(call.api_key)}"),
                self._egress.session_for(url).request(
                    method,
                    url,
                    params=list(params),
                    data=data,
                    headers=headers,
                    timeout=timeout,
                    allow_redirects=False,
                ) as response,
            ):
                raw = await self._read_body(response)
                API_REQUESTS.labels(self.service, status_label(response.status)).inc()
                return raw, response.status, response.headers
        except TimeoutError:  # this attempt's timeout (the call's deadline cancels instead)
            API_REQUESTS.labels(self.service, "timeout").inc()
            raise UnavailableError(
                self.service, f"timed out after {policy.request_timeout:g} s"
            ) from None
        except aiohttp.ClientError as error:
            refused = getattr(error, "os_error", None)
            if isinstance(refused, AddressRefusedError):
                API_REQUESTS.labels(self.service, "refused").inc()
                raise UrlRefusedError(refused.refusal) from None
            API_REQUESTS.labels(self.service, "connection error").inc()
            # Its kind is for operators, not for the sentence people read; the aiohttp exception
            # is not chained: its request info would carry our headers.
            log.info("%s %s: connection failed (%s)", self.service, method, type(error).__name__)
            raise UnavailableError(self.service, "could not connect") from None

    async def _read_body(self, response: aiohttp.ClientResponse) -> bytes:
        """The whole body, unless it is longer than `max_body` (decompressed): then an error."""
        body = bytearray()
        if (response.content_length or 0) <= self._max_body:
            async for chunk in response.content.iter_chunked(READ_CHUNK_BYTES):
                body += chunk
                if len(body) > self._max_body:
                    break
            else:
                return bytes(body)
        API_REQUESTS.labels(self.service, "too large").inc()
        raise OversizeAnswerError(self.service, f"an answer over {self._max_body // MIB} MiB")

    def _decode(self, status: int, headers: Mapping[str, str], raw: bytes, api_key: str) -> Any:
        payload = _parse_json(raw)
        if status < 300:
            if payload is _UNREADABLE:
                raise UnreadableAnswerError(self.service, "a body that is not JSON")
            return payload
        raise self._error_for(status, headers, payload, api_key)

    def _error_for(
        self, status: int, headers: Mapping[str, str], payload: Any, api_key: str
    ) -> ApiError:
        described = ErrorDescription()
        if payload is not _UNREADABLE:
            described = self._describe_error(payload)
        error = self._typed_error(
            status,
            headers,
            _redact(described.message, api_key),
            tuple(_redact(item, api_key) for item in described.violations),
        )
        error.code = described.code
        if isinstance(error, InvalidRequestError):
            error.rejected = {key: _redact(reason, api_key) for key, reason in described.rejected}
        return error

    def _typed_error(
        self, status: int, headers: Mapping[str, str], message: str, violations: tuple[str, ...]
    ) -> ApiError:
        if status == 429:
            return RateLimitedError(
                self.service,
                message or "rate limit reached",
                retry_after=parse_retry_after(headers),
            )
        if status in (401, 403):
            return UnauthorizedError(
                self.service, message or "the API key was refused", status=status
            )
        if status == 404:
            return NotFoundError(self.service, message or "not found", status=status)
        if 300 <= status < 400:
            # Never followed: a redirect could lead a key, or the bot, anywhere.
            return UnavailableError(
                self.service,
                "answered with a redirect, which the bot does not follow",
                status=status,
                retryable=False,
            )
        if 400 <= status < 500:
            return InvalidRequestError(
                self.service, message or "request rejected", status=status, violations=violations
            )
        return UnavailableError(self.service, message or "server error", status=status)


class _Call:
    """One call's key and deadline. An interactive call's deadline runs from its start, so its
    wait for the pacer counts; a background call may wait for the pacer up to its patience, and
    each of its attempts has the deadline from the moment it is let through (a wait for a rate
    limit between attempts must not leave the next one no time)."""

    def __init__(
        self, api_key: str, workspace: str, policy: RetryPolicy, loop: asyncio.AbstractEventLoop
    ) -> None:
        self.api_key = api_key
        self.workspace = workspace
        self.policy = policy
        self._loop = loop
        self.background = current_lane() is Lane.BACKGROUND
        self.deadline: float | None = None
        if not self.background:
            self.deadline = loop.time() + policy.deadline
        self.patience_until = loop.time() + BACKGROUND_PATIENCE

    def permit_by(self) -> float:
        if self.deadline is None or self.background:
            return self.patience_until
        return self.deadline - min(self.policy.answer_allowance, self.policy.deadline / 2)

    def start_deadline(self) -> None:
        if self.deadline is None or self.background:
            self.deadline = self._loop.time() + self.policy.deadline

    def ends_past_deadline(self, wait: float) -> bool:
        return self.deadline is not None and self._loop.time() + wait >= self.deadline

    def past_patience(self, wait: float) -> bool:
        return self._loop.time() + wait >= self.patience_until


class _StopPastDeadline(stop_base):
    """No retry whose wait would end past the call's deadline."""

    def __init__(self, call: _Call) -> None:
        self._call = call

    def __call__(self, retry_state: RetryCallState) -> bool:
        return self._call.ends_past_deadline(retry_state.upcoming_sleep)


def _stop(call: _Call) -> stop_base:
    return stop_after_attempt(call.policy.attempts) | _StopPastDeadline(call)


class _PatientStop(stop_base):
    """Background work: a 429 is not a failed attempt, it is waited out within the patience;
    other failures stop after the policy's attempts."""

    def __init__(self, call: _Call) -> None:
        self._call = call
        self._failures = 0

    def __call__(self, retry_state: RetryCallState) -> bool:
        outcome = retry_state.outcome
        if outcome is not None and isinstance(outcome.exception(), RateLimitedError):
            return self._call.past_patience(retry_state.upcoming_sleep)
        self._failures += 1
        return self._failures >= self._call.policy.attempts


class _AnnouncedSleep:
    """The sleep between attempts; background work's listener hears when it waits for a rate
    limit (`bot.lanes.background`)."""

    def __init__(self, service: str, sleep: Callable[[float], Awaitable[None]], patient: bool):
        self._service = service
        self._sleep = sleep
        self._patient = patient
        # Set before each sleep: whether it waits for a rate limit (a 429) or backs off.
        self.rate_limited = False

    async def __call__(self, seconds: float) -> None:
        if not (self._patient and self.rate_limited):
            await self._sleep(seconds)
            return
        announce_wait(self._service, seconds)
        try:
            await self._sleep(seconds)
        finally:
            announce_wait(self._service, 0.0)


@dataclass(frozen=True)
class ApiSpec:
    """What differs between the outside APIs: their name, error bodies, content type, and the most
    the bot reads of one answer."""

    service: str
    describe_error: ErrorDescriber
    content_type: str = "application/json"
    max_body: int = MAX_BODY_BYTES


def open_api(
    spec: ApiSpec,
    egress: Egress,
    pacer: Pacer,
    policy: RetryPolicy | None = None,
    sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
) -> JsonApi:
    """An API's process-wide transport: the shared pools and the API's pacer."""
    return JsonApi(
        spec.service,
        egress,
        pacer,
        spec.describe_error,
        policy=policy,
        content_type=spec.content_type,
        max_body=spec.max_body,
        sleep=sleep,
    )


class ApiClient:
    """One workspace's view of one API: its base URL and key. Clients are cheap to make; the
    pools, pacer and retry policy live in the shared `JsonApi`. `workspace` names whose calls
    these are in metrics (never the key)."""

    def __init__(self, api: JsonApi, base_url: str, api_key: str, workspace: str = "") -> None:
        self._api = api
        self.base_url = base_url.rstrip("/")
        self._api_key = api_key
        self.workspace = workspace

    def __repr__(self) -> str:
        return f"{type(self).__name__}(base_url={self.base_url!r})"

    @property
    def identity(self) -> tuple[str, str]:
        """Which instance and which key this client speaks for, with no secret in it."""
        return (self.base_url, key_fingerprint(self._api_key))

    async def _request(
        self,
        method: str,
        path: str,
        *,
        params: QueryParams = (),
        body: Any = None,
        policy: RetryPolicy | None = None,
        idempotent: bool | None = None,
    ) -> Any:
        return await self._api.request(
            method,
            self.base_url + path,
            api_key=self._api_key,
            params=params,
            body=body,
            policy=policy,
            idempotent=idempotent,
            workspace=self.workspace,
        )


@dataclass(frozen=True)
class Paging:
    """How a client walks a listing: the page size it asks for, the most pages it follows (a longer
    listing is an error, never silently cut) and how many pages it fetches at once."""

    size: int
    max_pages: int
    in_flight: int = 4


async def read_pages(
    service: str,
    paging: Paging,
    fetch: Callable[[int], Awaitable[Any]],
    *,
    first: int,
    total_pages_of: Callable[[Any], int],
    items_of: Callable[[Any], Sized],
    read: Callable[[Any], PageT],
) -> list[PageT]:
    """Every page of a listing, each `read` as it arrives, in page order. `fetch(number)` gets
    one page; pages are numbered from `first`, and the first page says how many there are."""
    first_page = await fetch(first)
    pages = {first: _read_page(service, paging, first_page, items_of, read)}
    total = total_pages_of(first_page)
    if total > paging.max_pages:
        raise OversizeAnswerError(
            service,
            f"a listing of {total:,} pages; the bot follows {paging.max_pages}",
        )
    numbers = iter(range(first + 1, first + total))

    async def worker() -> None:
        # Workers share one iterator, so each page is fetched once and at most `in_flight` at once.
        for number in numbers:
            pages[number] = _read_page(service, paging, await fetch(number), items_of, read)

    workers = [asyncio.ensure_future(worker()) for _ in range(min(paging.in_flight, total - 1))]
    try:
        await asyncio.gather(*workers)
    finally:
        for running in workers:
            running.cancel()
        await asyncio.gather(*workers, return_exceptions=True)
    return [pages[number] for number in sorted(pages)]


def _read_page(
    service: str,
    paging: Paging,
    page: Any,
    items_of: Callable[[Any], Sized],
    read: Callable[[Any], PageT],
) -> PageT:
    items = len(items_of(page))
    if items > paging.size:
        raise OversizeAnswerError(
            service, f"a page of {items:,} items where {paging.size} were asked for"
        )
    return read(page)


def parsed(service: str, model: type[ModelT], payload: Any) -> ModelT:
    """A model read from an API's answer; an answer of another shape is the API's failure."""
    try:
        return model.model_validate(payload)
    except ValidationError as error:
        # People may read the detail: the model's name (the bot's own) goes to the log only,
        # with where the answer went wrong but never what it held (it may hold secrets).
        log.info("%s answered an unexpected %s: %s", service, model.__name__, _where(error))
        count = error.error_count()
        problems = f"{count} problem" if count == 1 else f"{count} problems"
        raise UnreadableAnswerError(
            service, f"an answer of an unexpected shape ({problems})"
        ) from None


def _where(error: ValidationError) -> str:
    problems = error.errors(include_input=False, include_url=False, include_context=False)
    return "; ".join(f"{'.'.join(map(str, p['loc']))} ({p['type']})" for p in problems[:5])


def path_segment(identifier: str) -> str:
    """A tag or id made safe to put between two slashes of a URL path. `.` and `..` cannot be:
    URLs normalise them away (callers resolve what people type first, see `Catalog.resolve`)."""
    if identifier in (".", ".."):
        raise ValueError(f"{identifier!r} cannot be a path segment")
    return quote(identifier, safe="")


_UNREADABLE = object()


def _parse_json(raw: bytes) -> Any:
    if not raw.strip():
        return None
    try:
        return json.loads(raw)
    except ValueError:
        return _UNREADABLE


def _is_retryable(error: BaseException, retry_unavailable: bool) -> bool:
    if isinstance(error, RateLimitedError):
        return True
    return retry_unavailable and isinstance(error, UnavailableError) and error.retryable


def _redact(text: str, api_key: str) -> str:
    return text.replace(api_key, "[redacted]") if api_key else text


def _path_of(url: str) -> str:
    return URL(url).path
