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
        loop._wake.clear()
        loop._not_yet_suspended, loop._in_round = False, True  # a round may have missed it
        loop._suspension_noticed()
        woken.append(loop._wake.is_set())
        return woken

    assert asyncio.run(woken_after_suspensions()) == [False, True, True]
