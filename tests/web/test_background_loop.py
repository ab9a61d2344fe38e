"""The web app's background loop: when a run suspending makes it look again."""

from __future__ import annotations

import asyncio

from tests.web.conftest import WebApp
from ui_api.background.loop import BackgroundLoop


def test_a_run_suspending_wakes_the_loop_only_while_a_decision_may_wait_for_it(
    web: WebApp,
) -> None:
    loop = BackgroundLoop(web.settings, web.sessions)

    async def woken_after_suspensions() -> list[bool]:
        loop._wake = asyncio.Event()
        woken = []
        loop._suspension_noticed()  # no decided step waits for its run: nothing to do
        woken.append(loop._wake.is_set())
        loop._not_yet_suspended = True  # a decision came before its run suspended
        loop._suspension_noticed()
        woken.append(loop._wake.is_set())
        loop._begin_round()  # noted during a round, judged when it ends
        loop._suspension_noticed()
        woken.append(loop._wake.is_set())
        loop._end_round()  # its decided step's run had still not suspended: again now
        woken.append(loop._wake.is_set())
        loop._begin_round()
        loop._suspension_noticed()
        loop._not_yet_suspended = False  # the round resumed every decided step's run
        loop._end_round()
        woken.append(loop._wake.is_set())
        return woken

    assert asyncio.run(woken_after_suspensions()) == [False, True, False, True, False]
