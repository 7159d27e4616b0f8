"""The Plugins page's marketplace in Debian's Chromium, against a real signed (TUF) index served on
loopback, as tests/sandbox/test_market.py builds it: search, the consent dialog (Cancel installs nothing,
Allow installs a plugin that then answers), and an update that asks for one more permission."""

from __future__ import annotations

from typing import Any

import pytest

from tests.sandbox.market_helpers import KV, KV_AND_HEALTH, make_package, mirror, new_index

from .conftest import logged_in, shot

pytestmark = pytest.mark.timeout(240)


@pytest.fixture(scope="module")
def market(studio: Any, tmp_path_factory: pytest.TempPathFactory) -> Any:
    """Publisher acme's greeter 1.0.0 (storage, with a reason) in an index the studio's kernel trusts."""
    tmp = tmp_path_factory.mktemp("market")
    idx = new_index(tmp)
    acme = idx.add_publisher("acme")
    idx.publish([make_package(tmp, "greeter", "1.0.0", "acme", permissions=KV)], acme)
    srv, _ = mirror(idx.dir)
    studio.invoke("sandbox.market_source_add",
                  {"url": srv.url, "root": str(idx.meta_dir / "1.root.json"), "name": "test"})
    yield {"index": idx, "acme": acme, "tmp": tmp}
    srv.close()


def _installed(studio: Any) -> list[str]:
    return [p["id"] for p in studio.invoke("sandbox.list", {}).plugins]


def test_search_consent_install_and_an_update_that_asks_for_more(studio: Any, browser: Any, market: Any) -> None:
    page = logged_in(browser, studio)
    try:
        page.evaluate("location.hash = '#plugins'")
        page.wait_for_selector("#market-sources:has-text('test (')")
        page.fill("#market-search", "greeter")
        card = "#market-results [data-package=greeter]"
        page.wait_for_selector(card)
        text = page.inner_text(card)
        assert "1.0.0" in text and "acme" in text and "greeter says hello" in text
        assert "Remembers greetings" in text  # a permission with its reason, before anything is asked

        # Install: the kernel refuses without consent; the dialog shows what it asks for
        page.click(f"{card} [data-action=install]")
        dialog = "dialog#consent-dialog[open]"
        page.wait_for_selector(dialog)
        row = page.locator(f"{dialog} tr[data-change=added][data-kind=storage]")
        assert "4096 bytes" in row.inner_text() and "Remembers greetings" in row.inner_text()
        page.click(f"{dialog} [data-action=cancel]")
        page.wait_for_selector("#market-job [data-role=declined]")
        assert page.locator("dialog#consent-dialog").count() == 0
        assert "greeter" not in _installed(studio) and "greeter" not in studio.kernel.plugins  # Cancel: nothing

        # Allow: re-invoked with the digest, followed to its end, listed as installed, and it answers
        page.click(f"{card} [data-action=install]")
        page.wait_for_selector(dialog)
        page.click(f"{dialog} [data-action=allow]")
        page.wait_for_selector("#market-job [data-role=done]", timeout=60000)
        assert page.locator("#market-job .job.succeeded").count() == 1  # the job's row, at its end
        page.wait_for_selector("#wasm-plugins [data-plugin=greeter][data-state=active]")
        page.wait_for_selector(f"{card} [data-role=installed]")
        assert studio.invoke("greeter.hello", {}) == {"version": "1.0.0"}

        # 1.1.0 asks for one more permission: Update shows it as added, the storage grant unchanged
        idx = market["index"]
        idx.publish([make_package(market["tmp"], "greeter", "1.1.0", "acme", permissions=KV_AND_HEALTH)],
                    market["acme"])
        page.click("#market-refresh")
        page.click("#market-outdated [data-outdated=greeter] [data-action=update]")
        page.wait_for_selector(dialog)
        added = page.locator(f"{dialog} tr[data-change=added]")
        assert added.count() == 1
        assert "kernel.health" in added.inner_text() and "Checks the kernel is well" in added.inner_text()
        assert page.locator(f"{dialog} tr[data-change=unchanged][data-kind=storage]").count() == 1
        shot(page, "plugins-consent")
        page.click(f"{dialog} [data-action=allow]")
        page.wait_for_selector("#market-job [data-role=done]:has-text('was 1.0.0')", timeout=60000)
        assert studio.invoke("greeter.hello", {}) == {"version": "1.1.0"}
        page.wait_for_selector("#wasm-plugins [data-plugin=greeter]:has-text('1.1.0')")
        page.wait_for_selector("#market-outdated [data-outdated]", state="detached")  # up to date now
        page.wait_for_selector(f"{card} [data-role=installed]")
    finally:
        page.context.close()
