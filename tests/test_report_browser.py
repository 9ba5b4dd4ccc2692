"""The report as a reader sees it: a real headless Chromium (Debian's `chromium`, driven by
Playwright) opens the page, every plot is decoded and laid out, and nothing errs or loads from
outside the file. Skips only where the browser or Playwright is absent (`.ci/run` installs both)."""
from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from helpers import run_cli
from report_runs import tiny_run

PLOTS = 4  # training curves, test metrics, per-class accuracy, confused pairs


@pytest.fixture(scope="module")
def chromium() -> str:
    """Debian's chromium for Playwright, or a skip saying which of the two is missing."""
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        pytest.skip("playwright not installed")
    path = shutil.which("chromium")
    if path is None:
        pytest.skip("chromium not found (apt-get install chromium)")
    return path


@pytest.fixture(scope="module")
def page_file(chromium, tmp_path_factory) -> Path:
    """The report of the tiny run (made only where a browser can open it)."""
    run_dir = tiny_run(tmp_path_factory)
    out = tmp_path_factory.mktemp("report-page") / "report.html"
    result = run_cli("report", str(run_dir), "--out", str(out), env={"SLRBENCH_CACHE": str(run_dir.parent / "cache")})
    assert result.returncode == 0, result.stderr
    return out


def test_every_plot_renders_in_chromium_without_errors_or_outside_requests(chromium, page_file):
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=chromium)
        try:
            page = browser.new_page(viewport={"width": 1100, "height": 900})
            problems: list[str] = []
            requests: list[str] = []
            page.on("console", lambda message: problems.append(message.text) if message.type == "error" else None)
            page.on("pageerror", lambda error: problems.append(str(error)))
            page.on("request", lambda request: requests.append(request.url))
            page.goto(page_file.as_uri(), wait_until="load")
            images = page.locator("img")
            assert images.count() == PLOTS
            for index in range(images.count()):
                image = images.nth(index)
                image.scroll_into_view_if_needed()
                decoded = image.evaluate("img => img.complete && img.naturalWidth > 0 && img.naturalHeight > 0")
                box = image.bounding_box()
                assert decoded, f"plot {index} ({image.get_attribute('alt')}) was not decoded"
                assert box and box["width"] > 100 and box["height"] > 50, (index, box)
            drawings = page.locator("svg")
            for index in range(drawings.count()):  # inline SVG plots, should a section draw one
                box = drawings.nth(index).bounding_box()
                assert box and box["width"] > 0 and box["height"] > 0, (index, box)
            assert page.locator("section").count() == 6
            assert page.title().startswith("slrbench report")
            assert problems == []
            outside = [url for url in requests if not url.startswith(("file://", "data:"))]
            assert outside == []
        finally:
            browser.close()
