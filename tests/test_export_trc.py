"""TRC export: the OpenSim header, Y-up axes, units, exact values to the file's precision, missing frames, errors."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from h2ot.errors import H2OTError
from h2ot.export import read_trc, write_trc
from h2ot.skeleton import JOINT_NAMES


def motion(frames: int = 5) -> np.ndarray:
    poses = np.random.default_rng(0).normal(0, 0.4, (frames, 17, 3))
    return poses - poses[:, :1]


def test_header_is_opensims(tmp_path: Path) -> None:
    path = write_trc(tmp_path / "walk.trc", motion(5), fps=30)
    lines = path.read_text().split("\n")
    assert lines[0] == "PathFileType\t4\t(X/Y/Z)\twalk.trc"
    assert lines[1].split("\t") == ["DataRate", "CameraRate", "NumFrames", "NumMarkers", "Units", "OrigDataRate",
                                    "OrigDataStartFrame", "OrigNumFrames"]
    assert lines[2] == "30\t30\t5\t17\tm\t30\t1\t5"
    assert lines[3] == "Frame#\tTime\t" + "\t\t\t".join(JOINT_NAMES)
    assert lines[4].split("\t")[:5] == ["", "", "X1", "Y1", "Z1"] and lines[4].endswith("X17\tY17\tZ17")
    assert lines[5].startswith("1\t0.000000\t") and lines[6].startswith("2\t0.033333\t")
    assert len(lines[5].split("\t")) == 2 + 17 * 3 and lines[-1] == "" and len(lines) == 5 + 5 + 1


def test_round_trip_is_exact_to_the_files_precision_in_y_up_axes(tmp_path: Path) -> None:
    poses = motion(7)
    back = read_trc(write_trc(tmp_path / "a.trc", poses, fps=29.97))
    assert back["marker_names"] == list(JOINT_NAMES) and back["Units"] == "m"
    assert back["DataRate"] == back["CameraRate"] == back["OrigDataRate"] == 29.97
    assert back["NumFrames"] == back["OrigNumFrames"] == 7 and back["NumMarkers"] == 17
    assert back["OrigDataStartFrame"] == 1 and back["file_name"] == "a.trc"
    assert back["frames"].tolist() == list(range(1, 8))
    np.testing.assert_allclose(back["time"], np.arange(7) / 29.97, atol=5e-7)
    expected = poses * [1, -1, -1]  # camera (y down, z forward) -> Y up, the camera looking along -Z
    assert back["positions"].shape == (7, 17, 3)
    assert np.abs(back["positions"] - expected).max() <= 5e-7 + 1e-12  # 6 decimals


def test_millimetres_and_root_translation(tmp_path: Path) -> None:
    poses = motion(4)
    shift = np.array([[0.0, 0.0, 3.0]] * 4) + np.arange(4)[:, None] * [0.1, 0.0, 0.0]
    back = read_trc(write_trc(tmp_path / "a.trc", poses, fps=60, units="mm", root_translation=shift))
    assert back["Units"] == "mm"
    expected = (poses + shift[:, None]) * [1, -1, -1] * 1000
    assert np.abs(back["positions"] - expected).max() <= 5e-4 + 1e-9  # 3 decimals of a millimetre
    np.testing.assert_allclose(back["positions"][:, 0], shift * [1, -1, -1] * 1000, atol=5e-4)


def test_invalid_frames_are_missing_markers(tmp_path: Path) -> None:
    poses = motion(4)
    poses[2] = np.nan
    back = read_trc(write_trc(tmp_path / "a.trc", poses, fps=30, valid=[True, True, False, True]))
    assert np.isnan(back["positions"][2]).all() and np.isfinite(back["positions"][[0, 1, 3]]).all()
    assert back["NumFrames"] == 4 and back["frames"].tolist() == [1, 2, 3, 4]


@pytest.mark.parametrize(("change", "message"), [
    ({"poses": np.zeros((4, 17))}, "must have shape"),
    ({"units": "cm"}, "units must be one of"),
    ({"fps": "fast"}, "fps must be a number"),
    ({"root_translation": np.zeros((4, 2))}, "root_translation must have shape"),
    ({"poses": np.full((4, 17, 3), np.nan)}, "NaN"),
])
def test_bad_input_is_refused(tmp_path: Path, change: dict, message: str) -> None:
    with pytest.raises(H2OTError, match=message):
        write_trc(tmp_path / "a.trc", **{"poses": motion(4), "fps": 30, **change})
    assert not list(tmp_path.iterdir())


def test_an_existing_file_is_kept_unless_overwrite(tmp_path: Path) -> None:
    path = tmp_path / "a.trc"
    path.write_text("mine")
    with pytest.raises(H2OTError, match="overwrite=True"):
        write_trc(path, motion(2), fps=30)
    assert path.read_text() == "mine"
    write_trc(path, motion(2), fps=30, overwrite=True)
    assert read_trc(path)["NumFrames"] == 2


def test_reader_takes_opensims_own_layout(tmp_path: Path) -> None:
    """OpenSim writes a blank line after the header and a tab after every value."""
    text = ("PathFileType\t4\t(X/Y/Z)\tx.trc\n"
            "DataRate\tCameraRate\tNumFrames\tNumMarkers\tUnits\tOrigDataRate\tOrigDataStartFrame\tOrigNumFrames\n"
            "100\t100\t2\t2\tmm\t100\t1\t2\n"
            "Frame#\tTime\tA\t\t\tB\t\t\t\n"
            "\t\tX1\tY1\tZ1\tX2\tY2\tZ2\t\n"
            "\n"
            "1\t0\t1\t2\t3\t4\t5\t6\t\n"
            "2\t0.01\t\t\t\t7\t8\t9\t\n")
    (tmp_path / "x.trc").write_text(text)
    back = read_trc(tmp_path / "x.trc")
    assert back["marker_names"] == ["A", "B"] and back["DataRate"] == 100.0
    np.testing.assert_array_equal(back["positions"][0], [[1, 2, 3], [4, 5, 6]])
    assert np.isnan(back["positions"][1, 0]).all() and back["positions"][1, 1].tolist() == [7, 8, 9]
    (tmp_path / "bad.trc").write_text("hello\n")
    with pytest.raises(H2OTError, match="not a TRC file"):
        read_trc(tmp_path / "bad.trc")
