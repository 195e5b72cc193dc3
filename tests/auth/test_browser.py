"""In a real browser, in ``oidc`` mode: a user logs in at the provider, runs a process from
its form (the page's CSRF token goes with the request) and follows the job, which is theirs
alone; our pages request nothing from another origin."""

from __future__ import annotations

import pytest
import requests
from playwright.sync_api import Page, expect

from tests.browser.conftest import assert_clean, page_log

pytestmark = pytest.mark.services


def log_in(page: Page, auth_url: str, who: str, then: str) -> None:
    page.goto(f"{auth_url}/login?next={then}")
    page.fill('input[name="login"]', who)
    page.fill('input[name="password"]', "any")
    page.locator('button[type="submit"]').first.click()
    page.wait_for_load_state()
    if page.locator('input[name="prompt"][value="consent"]').count():
        page.locator('button[type="submit"]').first.click()
    page.wait_for_url(f"{auth_url}{then}")


def test_logged_in_browser_runs_a_process_as_its_user(page: Page, auth_url: str, oidc) -> None:
    log_in(page, auth_url, "user-a", "/processes/echo")
    # the test provider's own login pages ask for web fonts: not ours to judge, from here on
    # the log holds our pages only
    log = page_log(page)
    for entries in (log.console_errors, log.page_errors, log.failed_requests, log.requests):
        entries.clear()
    page.reload()
    expect(page.locator("header.site .account")).to_contain_text("Log out")
    assert page.locator('meta[name="csrf-token"]').get_attribute("content")
    page.fill("#input-echoInput", "hello from the browser")
    page.click("#process-form button[type=submit]")
    page.wait_for_url(f"{auth_url}/jobs/*?f=html")
    result = page.locator("#output-echoOutput")
    expect(result).to_contain_text("hello from the browser", timeout=60000)
    job = page.url.split("?")[0]
    # the job is user-a's: another user does not see it
    assert requests.get(job, headers=oidc.headers("user-b"), timeout=30).status_code == 404
    assert requests.get(job, headers=oidc.headers("user-a"), timeout=30).status_code == 200
    assert_clean(page, [auth_url])
