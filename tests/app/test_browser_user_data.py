"""A shared link with the user's own mixture (issue 12), in a real browser (headless Chromium, the app launched by
conftest.py): the link opens the same view in a fresh page at desktop and at phone width, on a sampler tab
(Reverse) and on the Your data tab, with the spec in the data control and no error. Screenshots go to
test-output/screenshots/user-data-*.png."""

from __future__ import annotations

from urllib.parse import quote

import pytest

from core.dataspec import canonical, data_title
from demos import reverse, your_data
from tests.app.browser import DESKTOP, PHONE, AppPage, Tab, combobox, wait_until

pytestmark = pytest.mark.browser

SPEC = canonical("gmm:1,-2,0,0.3,0.3,0,0;1,2,0,0.5,0.1,30,1;0.5,0,2,0.4,0.2,-45,1")
TITLE = data_title(SPEC)  # "Your mixture (3 components)": the Your data preview's title
REVERSE = Tab(reverse.TAB_ID, "Reverse trajectories", 2, "step 10/10", None, 0, "", {}, lambda p: combobox(p, "Data"))
DATA = Tab(your_data.TAB_ID, "Your data", 1, TITLE, None, 0, "", {}, lambda p: "")


def _open(browser, url: str, size, tab: Tab) -> AppPage:
    page = AppPage(browser, url, size)
    page.wait_for_view(tab)
    return page


def test_a_reverse_link_with_a_user_mixture_opens_the_same_view_on_desktop_and_phone(browser, app_url):
    url = f"{app_url}?tab={reverse.TAB_ID}&preset={quote(SPEC)}&steps=10&seed=3"
    first = _open(browser, url, DESKTOP, REVERSE)
    try:
        assert first.selected_tab() == reverse.TAB_ID
        assert combobox(first.page, "Data") == SPEC  # the link's spec, canonical
        shown = first.fingerprint(0)
        first.shot("user-data-reverse-desktop")
        first.assert_no_errors()
    finally:
        first.close()
    for size, name in ((DESKTOP, "desktop-again"), (PHONE, "phone")):
        other = _open(browser, url, size, REVERSE)
        try:
            other.shot(f"user-data-reverse-{name}")
            assert combobox(other.page, "Data") == SPEC
            assert other.fingerprint(0) == shown, f"the same link drew other data at {name}"
            other.assert_no_errors()
        finally:
            other.close()


def test_the_your_data_link_shows_the_mixture_and_its_spec(browser, app_url):
    url = f"{app_url}?tab={your_data.TAB_ID}&spec={quote(SPEC)}"
    for size, name in ((DESKTOP, "desktop"), (PHONE, "phone")):
        page = _open(browser, url, size, DATA)
        try:
            page.shot(f"user-data-tab-{name}")
            box = page.page.locator("label:has-text('Data spec') textarea:visible")
            assert wait_until(box.input_value, "the spec box", ok=bool) == SPEC
            page.assert_no_errors()
        finally:
            page.close()
