"""How a worker in another process hears that a job is ready. The jobs table is the queue;
this is only the bell.

In production a taskiq-redis `RedisStreamBroker` carries job ids to the `medianest worker`
processes through a consumer group, with acknowledgements. A worker acknowledges a message once
the job it names has a saved outcome (or turned out not to be its to run), so a crash between
delivery and outcome leaves the message pending for redelivery. Embedded mode needs no bell:
enqueue and the worker share one process, and enqueue wakes the worker directly.

A lost or duplicated message costs nothing but latency: workers also poll the table, and a
claim is a conditional UPDATE, so a job runs once however many messages name it.
"""

from __future__ import annotations

import functools
import logging
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

# taskiq and taskiq-redis (with aiohttp and redis behind them) are imported by StreamDoorbell
# itself: the embedded default never builds one and should not carry them.
if TYPE_CHECKING:
    from taskiq import AckableMessage

log = logging.getLogger("medianest.jobs")

TASK_NAME = "medianest.job_ready"  # taskiq's message envelope wants a task name; none is registered
STREAM_MAXLEN = 10_000  # approximate cap on the stream's history (acknowledged messages included)


@dataclass(frozen=True)
class Delivery:
    """One message: the id of a job that is ready, and how to acknowledge it (None: no need)."""

    job_id: str
    ack: Callable[[], Awaitable[None]] | None = None


class StreamDoorbell:
    """A Redis stream and consumer group, through taskiq-redis, shared by every process.

    The traps of `RedisStreamBroker` and how they are met:
    - its consumer group starts at `$`, so a message sent before the group exists is never
      delivered: every process (the web app too) creates the group at `start`, before any ring;
    - it re-delivers a message pending longer than `idle_timeout`, even one whose job is still
      running: the timeout is set to three leases, and the redelivered copy's claim fails anyway;
    - it only re-delivers when new messages arrive, and never while the queue is idle: recovery
      after a crash is the job table's lease sweep, not the stream;
    - a worker killed while holding its re-delivery lock would block re-delivery forever: the
      lock has a timeout.
    """

    def __init__(
        self, url: str, *, stream: str, group: str, consumer: str, lease_seconds: float
    ) -> None:
        from taskiq_redis import RedisStreamBroker

        self.broker = RedisStreamBroker(
            url,
            queue_name=stream,
            consumer_group_name=group,
            consumer_name=consumer,
            idle_timeout=int(lease_seconds * 3 * 1000),
            unacknowledged_lock_timeout=max(5.0, lease_seconds),
            xread_count=1,  # take one message per free slot; the rest stay for other workers
            maxlen=STREAM_MAXLEN,
            socket_connect_timeout=2,
        )
        self._group_ready = False

    async def start(self) -> None:
        await self._ensure_group()

    async def stop(self) -> None:
        await self.broker.shutdown()

    async def ring(self, job_id: str) -> None:
        from taskiq.message import BrokerMessage

        await self._ensure_group()
        await self.broker.kick(
            BrokerMessage(task_id=job_id, task_name=TASK_NAME, message=job_id.encode(), labels={})
        )

    async def ping(self) -> bool:
        from redis.asyncio import Redis

        try:
            async with Redis(connection_pool=self.broker.connection_pool) as redis:
                return bool(await redis.ping())
        except Exception:
            return False

    async def deliveries(self) -> AsyncIterator[Delivery]:
        """Messages for this consumer, each to be acknowledged; raises on a Redis failure."""
        await self._ensure_group()
        try:
            async for message in self.broker.listen():
                try:
                    job_id = bytes(message.data).decode()
                except (TypeError, UnicodeDecodeError):
                    log.warning("dropping a job message that is not a job id")
                    await _acknowledge(message)
                    continue
                yield Delivery(job_id=job_id, ack=functools.partial(_acknowledge, message))
        except Exception:
            self._group_ready = False  # Redis may have lost the group (restart, flush): recreate
            raise

    async def _ensure_group(self) -> None:
        """Create the consumer group (idempotent). Redis being down is not fatal: the jobs are
        in the database and workers poll it, so the group is created on the next ring."""
        if self._group_ready:
            return
        try:
            await self.broker.startup()
        except Exception as exc:
            log.warning("job broker unreachable (%s); workers fall back to polling", exc)
            return
        self._group_ready = True


async def _acknowledge(message: AckableMessage) -> None:
    """taskiq's `ack` may be a plain function or a coroutine one."""
    outcome = message.ack()
    if outcome is not None:
        await outcome
