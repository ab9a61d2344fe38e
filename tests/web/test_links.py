"""Bad links from one client are rate-limited."""

from __future__ import annotations

from collections.abc import Callable

from tests.web.conftest import WebApp


def test_repeated_bad_links_from_one_client_are_rate_limited(
    make_web: Callable[..., WebApp],
) -> None:
    web = make_web(link_failure_limit=5)
    with web.client() as client:
        codes = [client.get(f"/s/guess-{n}").status_code for n in range(8)]
    print(f"\nrate limit: {codes}")
    assert codes == [404] * 5 + [429] * 3
