"""What the web side's Prefect adapter relies on in Prefect's internals, checked against
the installed release (``ui_api/background/prefect_runs.py`` and ``suspensions`` say which)."""

from __future__ import annotations

from importlib.metadata import version

import pytest
from prefect.client.orchestration import PrefectClient
from prefect.input import keyset_from_paused_state
from prefect.states import Suspended

import suspensions
from suspensions import suspend
from ui_api.background import prefect_runs


def test_the_adapter_was_checked_against_the_installed_prefect() -> None:
    # On an upgrade: check the two internals below against the new release's source,
    # then move CHECKED_WITH_PREFECT.
    assert version("prefect") == prefect_runs.CHECKED_WITH_PREFECT


def test_the_suspend_with_a_message_was_copied_from_the_installed_prefect() -> None:
    # On an upgrade: compare suspensions/suspend.py with the new release's
    # prefect.flow_runs.asuspend_flow_run, then move CHECKED_WITH.
    assert version("prefect") == suspend.CHECKED_WITH


@pytest.mark.parametrize("step_key", ["assessment-1", "action-3-progress-2", "survey-1"])
def test_a_suspensions_input_keys_split_into_its_step_and_part(step_key: str) -> None:
    keyset = keyset_from_paused_state(Suspended(pause_key=step_key))
    for part, key in keyset.items():
        assert key.startswith(suspensions.SUSPENDED_INPUT_PREFIX)
        assert suspensions.input_parts(key) == (step_key, part)
    assert suspensions.RESPONSE_PART in keyset


def test_the_client_carries_the_http_client_the_events_filter_is_posted_with() -> None:
    client = PrefectClient(api="http://127.0.0.1:9/api")  # nothing is sent
    assert callable(client._client.post)
