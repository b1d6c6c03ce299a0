"""What a job raises to steer its own fate, and which failures count as transient."""

from __future__ import annotations

import httpx

from medianest.http import ServiceDown


class TransientJobError(Exception):
    """Raise from a job when trying again later may succeed (an upstream hiccup, a busy lock).

    The job is retried with jittered exponential backoff until its attempts run out, then it is
    dead-lettered. `retry_after` (seconds) asks for a longer first wait, e.g. from a 429.
    """

    def __init__(self, message: str = "", *, retry_after: float | None = None) -> None:
        super().__init__(message)
        self.retry_after = retry_after


class JobCancelled(Exception):
    """Raised by `JobContext.check_cancelled()` once the job has been asked to stop."""


class UnknownJob(LookupError):
    """No plugin registered a job by that name, or no job has that id."""


# Failures where the same call may well work a little later. Anything else is a bug or a
# refusal (a 404, a bad argument) that retrying would only repeat.
TRANSIENT_ERRORS: tuple[type[BaseException], ...] = (
    TransientJobError,
    ServiceDown,
    httpx.TimeoutException,
    httpx.NetworkError,
    httpx.RemoteProtocolError,
    ConnectionError,
    TimeoutError,
)


def is_transient(exc: BaseException) -> bool:
    return isinstance(exc, TRANSIENT_ERRORS)
