"""What start-up built is frozen out of the garbage collector's sight while the app runs
(docs/decisions/0018), and a process that froze its own objects first keeps its freeze."""

from __future__ import annotations

import gc


async def test_a_started_app_freezes_what_start_up_built_and_its_stop_thaws_it(app_factory):
    gc.unfreeze()  # a process with nothing frozen, as `medianest serve` starts
    try:
        app = await app_factory()
        assert gc.get_freeze_count() > 10_000  # modules, routes, schemas
        await app_factory.stop(app)
        assert gc.get_freeze_count() == 0  # what the app held may be collected again
    finally:
        gc.collect()
        gc.freeze()  # the test session's own freeze, as medianest.testing left it


async def test_an_app_leaves_a_freeze_it_did_not_make_alone(app_factory):
    gc.collect()
    gc.freeze()
    frozen = gc.get_freeze_count()
    app = await app_factory()
    # Not thousands more (start-up builds ~90,000 objects); a few frozen ones may have been freed.
    assert gc.get_freeze_count() <= frozen
    await app_factory.stop(app)
    assert 0 < gc.get_freeze_count() <= frozen  # not thawed
