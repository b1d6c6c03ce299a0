"""The ORM's database clients: Tortoise's own, with transactions safe to cancel.

Tortoise opens a transaction in two steps, it takes the connection (PostgreSQL: one from the
pool; SQLite: the one connection's transaction lock) and then sends BEGIN, and only its
`__aexit__` gives the connection back. A task cancelled during BEGIN never reaches `__aexit__`:
PostgreSQL lost a pooled connection for good (and closing the pool waited on it), SQLite kept
the lock every later transaction waits on, forever. Tasks are cancelled there in normal use: a
browser that goes away mid-request, a plugin switched off mid-check, a server stopping.

These clients open transactions that give the connection back when BEGIN does not finish
(tortoise/tortoise-orm#1438; docs/decisions/0019-transactions-safe-to-cancel.md).
`medianest.db` names them as the configuration's engines.
"""

ENGINES = {
    "tortoise.backends.asyncpg": "medianest.db_engines.postgres",
    "tortoise.backends.sqlite": "medianest.db_engines.sqlite",
}
