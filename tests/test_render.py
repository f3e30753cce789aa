"""The MP4 renderer: a real video with plausible poses (a CMU walk filmed by a virtual camera) -> an H.264 MP4
whose 2D skeleton lands on the keypoints and whose 3D panel shows the pose, turning."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import cv2
import imageio_ffmpeg
import numpy as np
import pytest

from h2ot.camera import Camera, root_relative
from h2ot.data import load_bvh, look_at
from h2ot.errors import H2OTError
from h2ot.skeleton import JOINT_INDEX
from h2ot.viz import PoseVideoWriter, render_frame
from h2ot.viz.draw import BACKGROUND, LEFT_COLOR, RIGHT_COLOR
from h2ot.viz.render import Layout

SHARED = Path(__file__).resolve().parents[1] / ".." / "shared" / "data"
VIDEO = SHARED / "video" / "pose2sim_single_cam01.mp4"
WALK = SHARED / "cmu-sample" / "07_01.bvh"
FRAMES = 8
SIZE = (1080, 1920)  # the video's width, height
RIGHT_KNEE, LEFT_KNEE, LEFT_WRIST, RIGHT_WRIST = (JOINT_INDEX[n] for n in
                                                  ("right_knee", "left_knee", "left_wrist", "right_wrist"))


@dataclass
class Clip:
    frames: list[np.ndarray]  # BGR, 1080 x 1920
    keypoints: np.ndarray  # [T, 17, 3] px + confidence
    poses: np.ndarray  # [T, 17, 3] metres, root-relative, camera axes


@pytest.fixture(scope="module")
def clip() -> Clip:
    for path in (VIDEO, WALK):
        if not path.exists():
            pytest.skip(f"{path} is absent (the project's ../shared/data is not beside this checkout)")
    capture = cv2.VideoCapture(str(VIDEO))
    frames = [capture.read()[1] for _ in range(FRAMES)]
    capture.release()
    positions = load_bvh(WALK, fps=60).positions[:FRAMES].astype(np.float64)
    centre = positions[:, 0].mean(axis=0) * [1, 0, 1]
    eye, target = centre + np.array([0.0, 1.0, 4.0]), centre + np.array([0.0, 0.9, 0.0])
    camera = Camera(focal=(1400, 1400), center=(540, 960), width=SIZE[0], height=SIZE[1],
                    rotation=look_at(eye, target, np.array([0.0, 1.0, 0.0])), position=eye)
    points = camera.world_to_camera(positions)
    keypoints = np.concatenate([camera.project(points), np.ones((FRAMES, 17, 1))], axis=-1)
    return Clip(frames, keypoints.astype(np.float32), root_relative(points).astype(np.float32))


def near(pixel: np.ndarray, color: tuple[int, int, int], tolerance: int = 40) -> bool:
    return bool(np.all(np.abs(pixel.astype(int) - color) <= tolerance))


def colour_mask(image: np.ndarray, color: tuple[int, int, int], tolerance: int = 40) -> np.ndarray:
    return np.all(np.abs(image.astype(int) - color) <= tolerance, axis=-1)


def test_writes_an_h264_mp4_that_decodes_to_every_frame(clip: Clip, tmp_path: Path) -> None:
    path = tmp_path / "poses.mp4"
    with PoseVideoWriter(path, 60.0, SIZE, title="h2ot-mixste") as writer:
        for i in range(FRAMES):
            writer.write(clip.frames[i], clip.keypoints[i], clip.poses[i], valid=i != 3)
    layout = Layout.of(SIZE, compare=False)
    assert layout.height == 720 and layout.width % 2 == 0
    assert sorted(p.name for p in tmp_path.iterdir()) == ["poses.mp4"]  # the temporary file is gone
    assert writer.frames_written == FRAMES

    reader = imageio_ffmpeg.read_frames(str(path))
    meta = next(reader)
    reader.close()
    assert meta["codec"].startswith("h264") and meta["pix_fmt"].startswith("yuv420p")
    assert meta["fps"] == pytest.approx(60.0)

    capture = cv2.VideoCapture(str(path))
    decoded = []
    while True:
        ok, frame = capture.read()
        if not ok:
            break
        decoded.append(frame)
    capture.release()
    assert len(decoded) == FRAMES
    assert decoded[0].shape == (layout.height, layout.width, 3)
    # Through H.264 the 2D joints keep their colours: the right knee orange, the left knee blue.
    for joint, color in ((RIGHT_KNEE, RIGHT_COLOR), (LEFT_KNEE, LEFT_COLOR)):
        x, y = np.round(clip.keypoints[0, joint, :2] * layout.scale).astype(int)
        assert near(decoded[0][y, x], color, 60), (joint, decoded[0][y, x])


def test_the_2d_overlay_lands_on_the_keypoints(clip: Clip) -> None:
    keypoints = clip.keypoints[0].copy()
    keypoints[LEFT_WRIST, 2] = 0.1  # below MIN_CONFIDENCE: not drawn
    keypoints[RIGHT_WRIST, 2] = 0.35  # unsure: drawn faint
    image = render_frame(clip.frames[0], keypoints, clip.poses[0], fps=60)
    bare = render_frame(clip.frames[0], keypoints, clip.poses[0], valid=False, fps=60)  # the video, no skeleton
    scale = Layout.of(SIZE, compare=False).scale
    for joint, color in ((RIGHT_KNEE, RIGHT_COLOR), (LEFT_KNEE, LEFT_COLOR)):
        x, y = np.round(keypoints[joint, :2] * scale).astype(int)
        assert near(image[y, x], color), (joint, image[y, x])
    x, y = np.round(keypoints[LEFT_WRIST, :2] * scale).astype(int)
    assert np.array_equal(image[y, x], bare[y, x])
    x, y = np.round(keypoints[RIGHT_WRIST, :2] * scale).astype(int)
    faint = image[y, x].astype(int)
    assert not near(faint, RIGHT_COLOR, 20) and not np.array_equal(faint, bare[y, x])


def test_the_3d_panel_shows_the_pose_turning_at_a_fixed_scale(clip: Clip) -> None:
    video_width = Layout.of(SIZE, compare=False).video_width

    def panel(pose: np.ndarray, azimuth: float, valid: bool = True) -> np.ndarray:
        return render_frame(clip.frames[0], clip.keypoints[0], pose, valid, azimuth_deg=azimuth)[:, video_width:]

    front, side = panel(clip.poses[0], 0.0), panel(clip.poses[0], 90.0)
    for image in (front, side):
        assert colour_mask(image, RIGHT_COLOR).sum() > 100 and colour_mask(image, LEFT_COLOR).sum() > 100
        assert colour_mask(image, BACKGROUND, 5).mean() > 0.5
    assert np.abs(front.astype(int) - side).mean() > 1.0  # the view turned

    # The scale is fixed, not fitted per frame: a pose half as big is drawn about half as tall.
    def height(image: np.ndarray) -> int:
        rows = np.flatnonzero((colour_mask(image, RIGHT_COLOR) | colour_mask(image, LEFT_COLOR)).any(axis=1))
        return int(rows[-1] - rows[0])

    assert height(panel(clip.poses[0] * 0.5, 0.0)) == pytest.approx(height(front) / 2, rel=0.15)
    empty = panel(clip.poses[0], 0.0, valid=False)
    assert colour_mask(empty, RIGHT_COLOR).sum() == 0 and colour_mask(empty, LEFT_COLOR).sum() == 0


def test_a_comparison_panel_is_drawn_beside(clip: Clip) -> None:
    image = render_frame(clip.frames[0], clip.keypoints[0], clip.poses[0], compare_3d=clip.poses[1],
                         compare_label="MediaPipe 3D")
    layout = Layout.of(SIZE, compare=True)
    assert image.shape == (layout.height, layout.width, 3) and layout.panels == 2
    compare = image[:, layout.video_width + layout.panel_width :]
    assert colour_mask(compare, RIGHT_COLOR).sum() > 100 and colour_mask(compare, LEFT_COLOR).sum() > 100


def test_bad_input_is_one_clear_sentence(clip: Clip, tmp_path: Path) -> None:
    existing = tmp_path / "existing.mp4"
    existing.write_bytes(b"keep me")
    frame, keypoints, pose = clip.frames[0], clip.keypoints[0], clip.poses[0]
    cases = [
        lambda: PoseVideoWriter(existing, 60, SIZE),
        lambda: PoseVideoWriter(tmp_path / "a.avi", 60, SIZE),
        lambda: PoseVideoWriter(tmp_path / "a.mp4", 0, SIZE),
        lambda: PoseVideoWriter(tmp_path / "a.mp4", 60, (1080,)),
        lambda: render_frame(frame, keypoints[:, :2], pose),
        lambda: render_frame(frame, keypoints, pose[None]),
        lambda: render_frame(frame[..., 0], keypoints, pose),
    ]
    for case in cases:
        with pytest.raises(H2OTError) as error:
            case()
        assert "\n" not in str(error.value)
    assert existing.read_bytes() == b"keep me"

    with PoseVideoWriter(tmp_path / "b.mp4", 60, SIZE) as writer:
        with pytest.raises(H2OTError, match="1080 x 1920"):
            writer.write(frame[:100], keypoints, pose, True)
        with pytest.raises(H2OTError, match="compare_label"):
            writer.write(frame, keypoints, pose, True, compare_3d=pose)
        writer.write(frame, keypoints, pose, True)
    with pytest.raises(H2OTError, match="closed"):
        writer.write(frame, keypoints, pose, True)

    # An error inside the block leaves nothing behind, and an existing file as it was.
    with pytest.raises(RuntimeError), PoseVideoWriter(existing, 60, SIZE, overwrite=True) as writer:
        writer.write(frame, keypoints, pose, True)
        raise RuntimeError("stop")
    assert existing.read_bytes() == b"keep me"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["b.mp4", "existing.mp4"]
