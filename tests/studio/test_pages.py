"""Each studio page driven end to end in Debian's Chromium against a real kernel: a generated form,
the event filter, an import with thumbnails, a render (cancelled, then played), a detection with boxes,
a WASM plugin disabled and enabled. Each test leaves a screenshot in docs/studio/."""

from __future__ import annotations

import json
from typing import Any

import pytest

from .conftest import logged_in, shot, until


@pytest.fixture(scope="module")
def page(studio: Any, browser: Any) -> Any:
    p = logged_in(browser, studio)
    yield p
    p.context.close()


def go(page: Any, name: str) -> None:
    page.evaluate(f"location.hash = '#{name}'")
    page.wait_for_selector(f"body[data-ready='{name.split('/')[0]}']")


def test_a_command_form_generated_from_its_schema(page: Any, studio: Any) -> None:
    go(page, "commands")
    page.fill("#command-search", "media.thumb")
    page.wait_for_selector("[data-command='media.thumbnail']")
    assert page.locator("#command-list li").count() == 1  # the search narrows the list
    page.click("[data-command='media.thumbnail']")
    page.wait_for_selector("#f-path")
    assert page.locator("#f-format option").all_inner_texts() == ["(default)", "jpeg", "png", "webp"]  # an enum
    assert page.get_attribute("#f-width", "min") is not None  # bounds from the schema
    assert "Media file" in page.inner_text("#command-detail") or "file" in page.inner_text("#command-detail")
    page.fill("#f-path", str(studio.media["red"]))
    page.select_option("#f-format", "png")
    page.click("#command-detail button[type=submit]")
    page.wait_for_selector("#command-result pre.result.ok")
    result = json.loads(page.inner_text("#command-result pre"))
    assert result["format"] == "png" and result["file"].endswith(".png")
    shot(page, "commands")
    go(page, "commands/kernel.job_status")
    page.wait_for_selector("#f-job_id")
    page.fill("#f-job_id", "no-such-job")
    page.click("#command-detail button[type=submit]")
    page.wait_for_selector("#command-result pre.result.error")
    assert page.get_attribute("#command-result pre", "data-code") == "job.not_found"
    go(page, "commands/media.import")  # a job command: followed to its end
    page.wait_for_selector("#f-paths")
    page.fill("#f-paths", str(studio.media_dir))  # an array of strings: one per line
    page.click("#command-detail button[type=submit]")
    page.wait_for_selector("#command-result pre.result.succeeded", timeout=30000)
    assert "succeeded" in page.inner_text("#command-result .job")
    assert len(json.loads(page.inner_text("#command-result pre"))["files"]) == 2


def test_the_event_stream_filters_by_topic_glob_and_pauses(page: Any, studio: Any) -> None:
    from reelkit.kernel.events import DynamicEvent

    go(page, "events")
    for i in range(30):
        studio.kernel.bus.publish(DynamicEvent(topic=f"demo.{'odd' if i % 2 else 'even'}.ticked", data={"n": i}))
    until(page, "document.querySelectorAll('#event-viewport .row:not([hidden])[data-topic^=\"demo.\"]').length >= 20")
    page.fill("#event-filter", "demo.odd.*")
    until(page, "(rows => rows.length === 15 && rows.every(r => r.dataset.topic === 'demo.odd.ticked'))"
                "([...document.querySelectorAll('#event-viewport .row:not([hidden])')])")
    page.click("#event-pause")
    studio.kernel.bus.publish(DynamicEvent(topic="demo.odd.ticked", data={"n": 99}))
    page.wait_for_timeout(300)
    assert page.locator("#event-viewport .row:not([hidden])").count() == 15  # paused: the view holds still
    page.click("#event-pause")
    until(page, "document.querySelectorAll('#event-viewport .row:not([hidden])').length === 16")
    page.click("#event-viewport .row:not([hidden]) >> nth=-1")
    assert '"n": 99' in page.inner_text("#event-inspector")
    shot(page, "events")


def test_import_a_folder_and_see_thumbnails(page: Any, studio: Any) -> None:
    go(page, "media")
    page.fill("#import-path", str(studio.media_dir))
    page.click("#import-go")
    page.wait_for_selector("#thumbs img.thumb-img")
    until(page, "[...document.querySelectorAll('#thumbs img')].every(i => i.complete && i.naturalWidth > 0)")
    assert page.locator("#thumbs figure").count() == 2
    assert "succeeded" in page.inner_text("#import-status")
    first = "#thumbs figure >> nth=0"
    page.hover(first)  # filmstrip scrubbing: the sprite sheet over the thumbnail, shifted to the tile under the mouse
    page.wait_for_selector("#thumbs figure.scrub")
    page.mouse.move(*_point(page, first, 0.05))
    start = page.eval_on_selector(f"{first} >> .scrubber", "(s) => [s.dataset.tile, getComputedStyle(s).backgroundPosition]")
    page.mouse.move(*_point(page, first, 0.95))
    end = page.eval_on_selector(f"{first} >> .scrubber", "(s) => [s.dataset.tile, getComputedStyle(s).backgroundPosition]")
    assert (start[0], end[0]) == ("0", "9") and start[1] != end[1], (start, end)
    assert "/media?path=" in page.eval_on_selector(f"{first} >> .scrubber", "(s) => s.style.backgroundImage")
    page.click("#thumbs figure >> nth=0")
    page.wait_for_selector("#media-details img.waveform")
    until(page, "document.querySelector('#media-details img.waveform').naturalWidth > 0")
    assert '"duration"' in page.inner_text("#probe")
    shot(page, "media")


def _point(page: Any, selector: str, fx: float) -> tuple[float, float]:
    box = page.locator(selector).bounding_box()
    return box["x"] + box["width"] * fx, box["y"] + box["height"] / 2


def _project(source: str, clips: int, size: tuple[int, int]) -> str:
    return json.dumps({"settings": {"width": size[0], "height": size[1], "fps": 30}, "output": {"preset": "ultrafast"},
                       "tracks": [{"id": "v", "kind": "video", "clips": [
                           {"type": "media", "source": source, "start": 2 * i, "duration": 2} for i in range(clips)]}]})


def test_render_a_project_cancel_one_and_play_the_result(page: Any, studio: Any) -> None:
    go(page, "render")
    page.fill("#project-editor", json.dumps({"tracks": [{"id": "v", "kind": "video", "clips": [{"type": "media"}]}]}))
    page.click("#validate")
    page.wait_for_selector("#problems li.error")
    assert page.locator("#problems li[data-path^='tracks[0].clips[0]']").count() >= 1  # problems by path

    page.fill("#project-editor", _project(str(studio.media["red"]), 20, (1920, 1080)))  # 40 s of 1080p: slow
    page.fill("#render-output", str(studio.out_dir / "long.mp4"))
    page.click("#render-go")
    page.wait_for_selector("#render-status button")
    page.click("#render-status button")
    page.wait_for_selector("#render-status .badge.cancelled", timeout=30000)
    assert not (studio.out_dir / "long.mp4").exists()

    project_file = studio.out_dir / "short.json"  # opened from a file this time
    project_file.write_text(_project(str(studio.media["red"]), 1, (160, 90)).replace('"duration": 2', '"duration": 1.5'))
    page.fill("#project-file", str(project_file))
    page.click("#project-open")
    until(page, "document.querySelector('#problems li.ok')?.innerText.includes('1.5 s')")
    page.eval_on_selector("#preview-time", "(el) => { el.value = '0.5'; el.dispatchEvent(new Event('change')); }")
    until(page, "document.querySelector('#preview-img') && document.querySelector('#preview-img').naturalWidth === 160")
    page.fill("#render-output", str(studio.out_dir / "short.mp4"))
    page.click("#render-go")
    page.wait_for_selector("#render-video", timeout=60000)
    duration = page.eval_on_selector(
        "#render-video", "(v) => new Promise(ok => v.readyState >= 1 ? ok(v.duration) : v.addEventListener('loadedmetadata', () => ok(v.duration)))")
    assert abs(duration - 1.5) < 0.1, duration  # the <video> element played the rendered file
    shot(page, "render")


def test_detect_objects_and_see_their_boxes(page: Any, studio: Any) -> None:
    go(page, "detections")
    page.fill("#detect-path", str(studio.media["person"]))
    page.click("#detect-go")
    page.wait_for_selector("#detect-frame .box", timeout=90000)
    classes = page.eval_on_selector_all("#detect-frame .box", "(bs) => bs.map(b => b.dataset.class)")
    assert "person" in classes, classes
    until(page, "document.querySelector('#detect-frame img').naturalWidth > 0")
    assert page.locator("#detect-chart rect[data-class='person']").count() >= 1
    assert "person" in page.inner_text(".legend")
    shot(page, "detections")


def test_disable_and_enable_a_wasm_plugin(page: Any, studio: Any) -> None:
    from reelkit.sandbox.demo import PLUGIN_ID, plugin_files

    wasm, manifest = plugin_files()
    folder = studio.root / "wasm-plugin"
    folder.mkdir(exist_ok=True)
    (folder / "plugin.wasm").write_bytes(wasm)
    (folder / "plugin.json").write_text(json.dumps(manifest))
    consent = studio.invoke("sandbox.consent", {"path": str(folder)}).digest  # what a person agreed to
    studio.invoke("sandbox.install", {"path": str(folder), "replace": True, "consent": consent})
    go(page, "plugins")
    card = f"[data-plugin='{PLUGIN_ID}']"
    page.wait_for_selector(card)
    assert "Reads the kernel's health" in page.inner_text(card)  # a permission with its reason
    page.click(f"{card} [data-action=disable]")
    page.wait_for_selector(f"{card}[data-state=disabled]")
    assert studio.invoke("sandbox.info", {"id": PLUGIN_ID}).plugin["enabled"] is False
    page.click(f"{card} [data-action=enable]")
    page.wait_for_selector(f"{card}[data-state=active]")
    assert studio.invoke("sandbox.info", {"id": PLUGIN_ID}).plugin["enabled"] is True
    shot(page, "plugins")


def test_the_overview_shows_a_failed_plugins_reason_and_cancels_a_live_job(page: Any, studio: Any) -> None:
    go(page, "overview")
    page.wait_for_selector("#plugins tr.plugin")
    ghost = page.locator("#plugins tr.plugin", has_text="ghostly")
    assert "failed" in ghost.inner_text() and "requires plugin ghost" in ghost.inner_text()
    done = studio.invoke("media.import", {"paths": [str(studio.media["red"])]})
    studio.run(studio.kernel.wait(done))
    page.wait_for_selector(f"#jobs [data-job='{done.job_id}'].succeeded")  # live: from its job.* events
    assert page.locator("#last-events li", has_text="job.succeeded").count() >= 1
    ref = studio.invoke("compiler.render", {"project": json.loads(_project(str(studio.media["blue"]), 20, (1920, 1080))),
                                             "output": str(studio.out_dir / "from-kernel.mp4")})
    row = f"#jobs [data-job='{ref.job_id}']"
    page.wait_for_selector(f"{row} button", timeout=20000)  # started elsewhere: cancelled through kernel.job_cancel
    until(page, f"document.querySelector(\"{row} progress\") !== null")
    shot(page, "overview", full_page=True)
    page.click(f"{row} button")
    page.wait_for_selector(f"{row}.cancelled", timeout=30000)
    assert studio.invoke("kernel.job_status", {"job_id": ref.job_id}).state == "cancelled"
