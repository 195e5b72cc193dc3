"""Browser login with the authorization code flow, driven like a browser: the provider's
login and consent forms, the session cookie's flags, reading with the session, changing
state only with the session's CSRF token (as its own user), and a logout that also ends
the provider session."""

from __future__ import annotations

import re
from html.parser import HTMLParser
from urllib.parse import urljoin

import pytest
import requests

pytestmark = pytest.mark.services


class Forms(HTMLParser):
    """Forms of a page: action and hidden inputs."""

    def __init__(self) -> None:
        super().__init__()
        self.forms: list[dict] = []

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "form":
            self.forms.append({"action": a.get("action"), "fields": {}})
        elif tag == "input" and self.forms and a.get("type") == "hidden":
            self.forms[-1]["fields"][a.get("name")] = a.get("value", "")


def submit(browser: requests.Session, page: requests.Response, **fields) -> requests.Response:
    parser = Forms()
    parser.feed(page.text)
    assert parser.forms, page.text[:500]
    form = parser.forms[0]
    return browser.post(urljoin(page.url, form["action"]), data=form["fields"] | fields, timeout=30)


def login(auth_url: str, who: str) -> requests.Session:
    browser = requests.Session()
    page = browser.get(f"{auth_url}/login?next=/jobs", timeout=30)
    assert "login" in page.text, page.text[:300]
    page = submit(browser, page, login=who, password="any")
    if 'name="prompt" value="consent"' in page.text:
        page = submit(browser, page)
    assert page.url == f"{auth_url}/jobs", page.url
    assert page.status_code == 200, page.text
    return browser


def test_login_reads_with_the_session(auth_url):
    browser = login(auth_url, "user-a")
    cookie = next(c for c in browser.cookies if c.name == "session")
    assert cookie.has_nonstandard_attr("HttpOnly")
    assert browser.get(f"{auth_url}/jobs", timeout=30).status_code == 200


def test_session_cookie_flags(auth_url):
    browser = requests.Session()
    first = browser.get(f"{auth_url}/login", allow_redirects=False, timeout=30)
    assert first.status_code == 302
    set_cookie = first.headers["Set-Cookie"]
    assert "HttpOnly" in set_cookie
    assert re.search(r"SameSite=Lax", set_cookie, re.IGNORECASE)
    # Secure is set on https URLs and in production; the tests serve plain http


def csrf_token(browser: requests.Session, auth_url: str) -> str:
    """The token our pages give a logged-in session (``<meta name="csrf-token">``)."""
    page = browser.get(f"{auth_url}/processes/echo?f=html", timeout=30)
    match = re.search(r'<meta name="csrf-token" content="([^"]+)">', page.text)
    assert match, page.text[:500]
    return match.group(1)


def execute(browser: requests.Session, auth_url: str, token: str | None) -> requests.Response:
    headers = {"Prefer": "respond-async"} | ({"X-CSRF-Token": token} if token else {})
    return browser.post(
        f"{auth_url}/processes/echo/execution",
        json={"inputs": {"echoInput": "from the form"}},
        headers=headers,
        timeout=30,
    )


def test_session_cannot_change_state_without_its_csrf_token(auth_url):
    """Only the cookie, as a cross-site form would send it: refused, and nothing recorded."""
    browser = login(auth_url, "user-a")
    before = browser.get(f"{auth_url}/jobs?limit=1000", timeout=30).json()["jobs"]
    for token in (None, "forged", csrf_token(login(auth_url, "user-b"), auth_url)):
        r = execute(browser, auth_url, token)
        assert r.status_code == 403, r.text
        assert "X-CSRF-Token" in r.json()["detail"]
    assert browser.get(f"{auth_url}/jobs?limit=1000", timeout=30).json()["jobs"] == before


def test_session_runs_a_process_with_its_csrf_token_as_its_user(auth_url, oidc):
    browser = login(auth_url, "user-a")
    r = execute(browser, auth_url, csrf_token(browser, auth_url))
    assert r.status_code == 201, r.text
    job = r.headers["Location"]
    assert browser.get(job, timeout=30).status_code == 200  # the session's user owns it
    assert login(auth_url, "user-b").get(job, timeout=30).status_code == 404
    assert requests.get(job, headers=oidc.headers("user-b"), timeout=30).status_code == 404
    # and may dismiss it, with the token too
    token = csrf_token(browser, auth_url)
    assert browser.delete(job, timeout=30).status_code == 403
    assert browser.delete(job, headers={"X-CSRF-Token": token}, timeout=30).status_code == 200


def test_session_roles_come_from_the_token(auth_url):
    browser = login(auth_url, "admin")
    jobs = browser.get(f"{auth_url}/jobs?limit=1000", timeout=30).json()["jobs"]
    assert isinstance(jobs, list)  # the admin sees every job; a user only its own
    user = login(auth_url, "user-b")
    mine = user.get(f"{auth_url}/jobs?limit=1000", timeout=30).json()["jobs"]
    assert len(mine) <= len(jobs)


def test_logout_ends_the_provider_session(auth_url, oidc):
    browser = login(auth_url, "user-a")
    page = browser.get(f"{auth_url}/logout", timeout=30)
    assert page.url.startswith(oidc.issuer), page.url  # the provider asks to confirm
    done = submit(browser, page, logout="yes")
    assert done.url == f"{auth_url}/", done.url
    assert browser.get(f"{auth_url}/jobs", timeout=30).status_code == 401
    # the provider forgot the user too: a new login asks for credentials again
    page = browser.get(f"{auth_url}/login", timeout=30)
    assert 'name="login"' in page.text
