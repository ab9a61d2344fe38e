"""The browser the page checks use starts and renders a page."""

from tests.support.browser import chromium


def test_the_machines_chromium_renders_a_page() -> None:
    with chromium() as browser:
        page = browser.new_page()
        page.set_content("<main><h1>投诉 complaint</h1></main>")
        assert page.locator("h1").inner_text() == "投诉 complaint"
