"""Bad links get one page; bad step links from one client are rate-limited."""

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


def test_a_bad_status_link_gets_the_invalid_link_page_and_is_not_counted(
    make_web: Callable[..., WebApp],
) -> None:
    web = make_web(link_failure_limit=2)
    with web.client() as client:
        pages = [client.get(f"/status/guess-{n}") for n in range(4)]
        step_link = client.get("/s/guess-0")
    assert [page.status_code for page in pages] == [404] * 4
    assert all("This link is not valid" in page.text for page in pages)
    assert step_link.status_code == 404  # the status pages did not use up the limit
