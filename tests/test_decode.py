"""h2ot.video.decode: the containers and codecs users bring, image folders in frame order, and bad files."""

import subprocess
from pathlib import Path

import numpy as np
import pytest

from h2ot.errors import H2OTError
from h2ot.video.decode import open_video

cv2 = pytest.importorskip("cv2")
imageio_ffmpeg = pytest.importorskip("imageio_ffmpeg")

VIDEO = Path(__file__).resolve().parents[1] / "examples" / "pose2sim_single_cam01.mp4"


@pytest.mark.parametrize("suffix, codec", [(".webm", "libvpx-vp9"), (".mov", "mjpeg"), (".avi", "mpeg4")])
def test_other_containers_and_codecs_decode_frame_by_frame(tmp_path, suffix, codec):
    target = tmp_path / f"clip{suffix}"
    subprocess.run([imageio_ffmpeg.get_ffmpeg_exe(), "-loglevel", "error", "-i", str(VIDEO), "-frames:v", "12",
                    "-vf", "scale=180:320", "-c:v", codec, str(target)], check=True)
    source = open_video(target)
    frames = list(source.frames())
    assert (source.width, source.height, source.fps) == (180, 320, 60)
    assert len(frames) == 12 and frames[0].shape == (320, 180, 3) and frames[0].dtype == np.uint8
    assert len(list(source.frames())) == 12  # every call starts from the first frame


def test_an_image_folder_is_read_in_frame_order(tmp_path):
    for index, value in ((10, 200), (2, 100), (1, 50)):
        cv2.imwrite(str(tmp_path / f"frame{index}.png"), np.full((8, 6, 3), value, np.uint8))
    (tmp_path / "notes.txt").write_text("not an image")
    source = open_video(tmp_path, fps=25)
    assert [int(f[0, 0, 0]) for f in source.frames()] == [50, 100, 200]
    assert (source.width, source.height, source.fps, source.frame_count) == (6, 8, 25, 3)


def test_bad_inputs_are_one_sentence(tmp_path):
    with pytest.raises(H2OTError, match="fps must be positive"):
        open_video(VIDEO, fps=0)
    odd = tmp_path / "odd"
    odd.mkdir()
    cv2.imwrite(str(odd / "a1.png"), np.zeros((8, 6, 3), np.uint8))
    cv2.imwrite(str(odd / "a2.png"), np.zeros((10, 6, 3), np.uint8))
    with pytest.raises(H2OTError, match="a folder must hold frames of one size"):
        list(open_video(odd).frames())
