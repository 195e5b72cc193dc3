"""The browser tests' helpers, importable from here; the fixtures (``browser``, ``page``,
``serve``, ``dist``) are ``tests.browser.harness``'s, shared by every folder through the root
``tests/conftest.py``."""

from tests.browser.harness import PageLog, Serve, assert_clean, origin_of, page_log

__all__ = ["PageLog", "Serve", "assert_clean", "origin_of", "page_log"]
