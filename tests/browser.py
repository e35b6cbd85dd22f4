"""Debian's chromium, headless, driven through Debian's chromedriver with Selenium.

Used by the explorer's browser tests, ``scripts/explorer_screenshots.py`` and
``bench/explore_bench.py``. Both binaries come from apt (``scripts/install_chromium.sh``, run by
``make setup``); Selenium is told where they are, so it never tries to download a browser.
``ExplorerPage`` is the page at ``/explore`` as a test reads it: what is drawn, what the views
show, and the waits for the page to be idle again after an action.
"""

from __future__ import annotations

import shutil
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from selenium import webdriver
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.action_chains import ActionChains
from selenium.webdriver.common.by import By
from selenium.webdriver.remote.webelement import WebElement

INSTALL_HINT = "chromium and chromedriver are needed: run scripts/install_chromium.sh (make setup does)"


def chromium_paths() -> tuple[str, str]:
    browser = shutil.which("chromium")
    driver = shutil.which("chromedriver")
    if browser is None or driver is None:
        raise RuntimeError(INSTALL_HINT)
    return browser, driver


@contextmanager
def chromium(width: int = 1400, height: int = 900) -> Iterator[webdriver.Chrome]:
    """A headless chromium session, closed on the way out."""
    browser, driver_path = chromium_paths()
    options = webdriver.ChromeOptions()
    options.binary_location = browser
    for argument in (
        "--headless=new",
        "--no-sandbox",  # we run as root in a container
        "--disable-dev-shm-usage",
        "--disable-gpu",
        "--disable-extensions",
        f"--window-size={width},{height}",
    ):
        options.add_argument(argument)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    session = webdriver.Chrome(service=Service(driver_path), options=options)
    try:
        yield session
    finally:
        session.quit()


class ExplorerPage:
    """``/explore`` in a browser session, acting with one token."""

    def __init__(self, browser: webdriver.Chrome, base_url: str) -> None:
        self.browser = browser
        self.base_url = base_url

    def open(self, token: str, fragment: str = "") -> None:
        """Opens the page and pastes ``token`` into the header preset (as a reader would)."""
        self.browser.get(f"{self.base_url}/explore")
        self.idle()
        self.by_id("token-preset").find_element(By.TAG_NAME, "summary").click()
        self.by_id("token-text").send_keys(token)
        self.by_id("token-use").click()
        self.idle()
        if fragment:
            self.browser.get(f"{self.base_url}/explore#{fragment}")
            self.browser.refresh()
            self.idle()

    def by_id(self, element_id: str) -> WebElement:
        return self.browser.find_element(By.ID, element_id)

    def script(self, code: str, *arguments: Any) -> Any:
        return self.browser.execute_script(code, *arguments)

    def idle(self, timeout: float = 30.0) -> None:
        """Waits until no call of the page is in flight (and it has had a moment to start one)."""
        deadline = time.monotonic() + timeout
        quiet_since = None
        while time.monotonic() < deadline:
            busy = self.script("return document.body && document.body.dataset.busy")
            if busy == "0":
                quiet_since = quiet_since or time.monotonic()
                if time.monotonic() - quiet_since > 0.3:
                    return
            else:
                quiet_since = None
            time.sleep(0.05)
        raise AssertionError(f"the explorer stayed busy for {timeout} s; status: {self.status()}")

    def status(self) -> str:
        return str(self.by_id("status").text)

    def search(self, text: str) -> list[str]:
        """Types ``text`` into the search box; the keys of the hits listed."""
        box = self.by_id("search-text")
        box.clear()
        box.send_keys(text)
        time.sleep(0.4)  # the box waits 200 ms after the last key
        self.idle()
        return [
            str(b.get_attribute("data-key")) for b in self.by_id("search-results").find_elements(By.TAG_NAME, "button")
        ]

    def choose_hit(self, key: str) -> None:
        self.by_id("search-results").find_element(By.CSS_SELECTOR, f'button[data-key="{key}"]').click()
        self.idle()

    def drawn(self) -> dict[str, Any]:
        return dict(self.script("return window.explorer.drawn()"))

    def selected(self) -> str | None:
        value = self.script("return window.explorer.graph.selected()")
        return None if value is None else str(value)

    def click_node(self, key: str) -> None:
        """Clicks the node on the canvas, where it is drawn (a tap: it selects and expands it)."""
        canvas = self.by_id("graph")
        x, y = self.script(
            "const p = window.explorer.graph.node(arguments[0]).renderedPosition(); return [p.x, p.y];", key
        )
        size = canvas.size
        ActionChains(self.browser).move_to_element_with_offset(
            canvas, int(x - size["width"] / 2), int(y - size["height"] / 2)
        ).click().perform()
        self.idle()

    def select(self, key: str) -> None:
        self.script("window.explorer.graph.select(arguments[0])", key)
        self.idle()

    def view(self, name: str) -> WebElement:
        """Opens a view's tab; the view pane once it has loaded."""
        self.browser.find_element(By.CSS_SELECTOR, f'#view-tabs button[data-view="{name}"]').click()
        self.idle()
        return self.by_id("view")

    def errors(self) -> list[str]:
        """Errors the page logged (a failed script, an exception), not counting the network's."""
        return [
            entry["message"]
            for entry in self.browser.get_log("browser")
            if entry["level"] == "SEVERE" and entry.get("source") != "network"
        ]
