"""The Redis channel layer as configured: a receive that is cancelled ends (every closing socket cancels one), and a
receive that waits longer than channels-redis's 5 s blocking read stays alive. Both broke with a client read timeout
(docs/boards.md); the first hung the test run's event-loop teardown."""
from __future__ import annotations

import asyncio
import os
import random

import pytest
from channels.layers import get_channel_layer

pytestmark = [pytest.mark.asyncio, pytest.mark.django_db]

if not os.environ.get("REDIS_URL"):
    pytest.skip("REDIS_URL is not set: the in-memory layer has no client timeouts", allow_module_level=True)


async def test_a_cancelled_receive_always_ends():
    layer = get_channel_layer()
    rng = random.Random(4091)
    for attempt in range(200):
        channel = await layer.new_channel()
        receiving = asyncio.ensure_future(layer.receive(channel))
        await asyncio.sleep(rng.random() * 0.03)  # cancel at every stage: connecting, scripting, blocked in BZPOPMIN
        if rng.random() < 0.3:
            await layer.send(channel, {"type": "board.event"})
        receiving.cancel()
        done, _ = await asyncio.wait([receiving], timeout=3)
        assert done, f"receive #{attempt} ignored its cancellation"


async def test_an_idle_receive_outlives_the_blocking_read():
    layer = get_channel_layer()
    channel = await layer.new_channel()
    receiving = asyncio.ensure_future(layer.receive(channel))
    await asyncio.sleep(6.5)  # longer than BZPOPMIN's 5 s
    assert not receiving.done(), receiving
    await layer.send(channel, {"type": "board.event", "n": 1})
    assert (await asyncio.wait_for(receiving, 5))["n"] == 1
