"""The HTML viewer: one self-contained file of a real motion (a CMU walk), checked as a file and played in
Debian's Chromium with the network blocked."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from h2ot.data import load_bvh
from h2ot.errors import H2OTError
from h2ot.skeleton import JOINT_INDEX
from h2ot.viz import viewer, write_viewer

SHARED = Path(__file__).resolve().parents[1] / ".." / "shared" / "data"
WALK = SHARED / "cmu-sample" / "07_01.bvh"
CHROMIUM = Path("/usr/bin/chromium")
FRAMES = 48
CHROMIUM_ARGS = [
    "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
    "--no-first-run", "--disable-sync", "--use-angle=swiftshader", "--enable-unsafe-swiftshader",
]


@pytest.fixture(scope="module")
def poses() -> np.ndarray:
    """48 frames of a walk at 30 fps, root-relative, in the camera axes of a camera on the file's +z axis."""
    if not WALK.exists():
        pytest.skip(f"{WALK} is absent (the project's ../shared/data is not beside this checkout)")
    positions = load_bvh(WALK, fps=30).positions[:FRAMES].astype(np.float64)  # Y up
    return ((positions - positions[:, :1]) * [1.0, -1.0, -1.0]).astype(np.float32)


def embedded_data(page: str) -> dict:
    match = re.search(r'<script type="application/json" id="h2ot-data">(.*?)</script>', page, re.S)
    assert match is not None
    return json.loads(match.group(1))


def test_the_page_holds_everything_it_needs(poses: np.ndarray, tmp_path: Path) -> None:
    missing = poses.copy()
    missing[5] = np.nan
    path = write_viewer(tmp_path / "walk.html", missing, 30.0, title="walk <07_01>", keypoints_meta={"model": "none"})
    page = path.read_text(encoding="utf-8")
    assert "<script src" not in page and "<link" not in page and "__H2OT_" not in page
    assert "walk &lt;07_01&gt;" in page
    import_map = json.loads(re.search(r'<script type="importmap">(.*?)</script>', page, re.S).group(1))
    assert set(import_map["imports"]) == set(viewer.THREE_FILES)
    assert all(url.startswith("data:text/javascript;base64,") for url in import_map["imports"].values())

    data = embedded_data(page)
    assert data["fps"] == 30.0 and data["meta"] == {"model": "none"} and len(data["frames"]) == FRAMES
    assert data["frames"][5] is None
    head = JOINT_INDEX["head"]
    # Millimetres, Y up: the head is above the pelvis.
    assert data["frames"][0][3 * head + 1] == round(-float(poses[0, head, 1]) * 1000) > 400
    assert data["sides"][JOINT_INDEX["right_knee"]] == "right" and data["sides"][JOINT_INDEX["left_knee"]] == "left"


def test_the_viewer_and_the_video_share_their_colours() -> None:
    draw = pytest.importorskip("h2ot.viz.draw", reason="OpenCV (the `video` extra) is not installed")
    for side, bgr in (("right", draw.RIGHT_COLOR), ("left", draw.LEFT_COLOR), ("trunk", draw.TRUNK_COLOR)):
        assert viewer.SIDE_COLORS[side] == "#{:02x}{:02x}{:02x}".format(*reversed(bgr))


def test_bad_input_is_one_clear_sentence(poses: np.ndarray, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    existing = tmp_path / "existing.html"
    existing.write_text("keep me")
    cases = [
        lambda: write_viewer(existing, poses, 30),
        lambda: write_viewer(tmp_path / "a.html", poses[0], 30),
        lambda: write_viewer(tmp_path / "a.html", poses[..., :2], 30),
        lambda: write_viewer(tmp_path / "a.html", poses, 0),
        lambda: write_viewer(tmp_path / "a.html", poses * 1000, 30),  # millimetres
        lambda: write_viewer(tmp_path / "a.html", np.full_like(poses, np.nan), 30),
        lambda: write_viewer(tmp_path / "a.html", poses, 30, keypoints_meta=["not", "a", "dict"]),
    ]
    for case in cases:
        with pytest.raises(H2OTError) as error:
            case()
        assert "\n" not in str(error.value)
    assert existing.read_text() == "keep me"
    monkeypatch.setattr(viewer, "THREE_DIR", tmp_path / "nowhere")
    with pytest.raises(H2OTError, match="make setup"):
        write_viewer(tmp_path / "a.html", poses, 30)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["existing.html"]


@pytest.mark.skipif(not CHROMIUM.exists(), reason="Debian's chromium is not installed (/usr/bin/chromium); "
                    ".ci/run installs it with apt-get")
def test_the_viewer_plays_offline_in_chromium(poses: np.ndarray, tmp_path: Path) -> None:
    sync_api = pytest.importorskip("playwright.sync_api", reason="playwright (the `dev` extra) is not installed")
    cv2 = pytest.importorskip("cv2", reason="OpenCV (the `video` extra) is not installed")
    path = write_viewer(tmp_path / "walk.html", poses, 30.0, title="CMU 07_01 walk")
    problems: list[str] = []
    requests: list[str] = []

    def route(handle: Any) -> None:
        url = handle.request.url
        if url.startswith(("file:", "data:")):
            handle.continue_()
        else:
            requests.append(url)
            handle.abort()

    def picture(page: Any) -> np.ndarray:
        return cv2.imdecode(np.frombuffer(page.locator("#view").screenshot(), np.uint8), cv2.IMREAD_COLOR)

    def show(page: Any, frame: int) -> None:
        page.evaluate("(frame) => { const slider = document.getElementById('slider'); slider.value = String(frame); "
                      "slider.dispatchEvent(new Event('input')); }", frame)
        page.wait_for_function("(text) => document.getElementById('counter').textContent.startsWith(text)",
                               arg=f"frame {frame + 1} / {FRAMES}")
        page.evaluate("() => new Promise((done) => requestAnimationFrame(() => requestAnimationFrame(done)))")

    with sync_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS)
        try:
            page = browser.new_page(viewport={"width": 800, "height": 600})
            page.on("console", lambda message: message.type == "error" and problems.append(message.text))
            page.on("pageerror", lambda error: problems.append(str(error)))
            page.route("**/*", route)
            page.goto(path.as_uri())
            try:
                page.wait_for_function("document.getElementById('counter').textContent.length > 0", timeout=20_000)
            except sync_api.Error as error:
                raise AssertionError(f"the viewer did not start: {problems}") from error
            assert page.text_content("#play") == "Pause"  # it plays on opening
            page.click("#play")
            assert page.text_content("#play") == "Play"
            show(page, 0)
            first = picture(page)
            counter = page.text_content("#counter")
            show(page, 30)
            later = picture(page)
            assert page.text_content("#counter") != counter
            page.screenshot(path=str(tmp_path / "viewer.png"))
        finally:
            browser.close()

    assert problems == [] and requests == []
    assert first.shape == (600, 800, 3) and first.std() > 5  # not blank
    bgr = first.astype(int)
    orange = (bgr[..., 2] > 180) & (bgr[..., 1] > 70) & (bgr[..., 1] < 190) & (bgr[..., 0] < 90)
    blue = (bgr[..., 0] > 180) & (bgr[..., 2] < 90)
    assert orange.sum() > 200 and blue.sum() > 200  # the person's right and left sides
    assert (np.abs(first.astype(int) - later).max(axis=-1) > 30).sum() > 500  # the slider moved the person
    saved = cv2.imread(str(tmp_path / "viewer.png"))
    assert saved is not None and saved.shape == (600, 800, 3)
