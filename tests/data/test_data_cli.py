"""`h2ot data info`."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from shared_data import BANDAI, CMU, need

from h2ot.cli import main


def run(capsys: pytest.CaptureFixture, *argv: str) -> tuple[int, str, str]:
    code = main(["data", "info", *argv])
    out, err = capsys.readouterr()
    return code, out, err


def test_bandai_namco_info(bandai, bandai_cache: Path, capsys, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("H2OT_CACHE", str(bandai_cache))  # warm from the session's load
    code, out, _ = run(capsys, str(BANDAI), "--json")
    info = json.loads(out)
    assert code == 0
    assert (info["clips"], info["frames"], info["fps"], info["kind"]) == (2675, 362195, 30.0, "bvh")
    assert info["minutes"] == pytest.approx(362195 / 30 / 60, abs=0.01)
    assert info["splits"]["test"] == {"clips": 397, "frames": 60539, "fraction": 0.1671}
    code, out, _ = run(capsys, str(BANDAI))
    assert code == 0 and "clips       2675" in out and "test        397 clips, 60539 frames (16.7%)" in out


def test_cmu_info(capsys, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("H2OT_CACHE", str(tmp_path))
    code, out, _ = run(capsys, str(need(CMU)), "--json")
    info = json.loads(out)
    assert code == 0 and info["clips"] == 24 and info["fps"] == 120.0
    assert info["frames"] == sum(s["frames"] for s in info["splits"].values())


def test_npz_info(capsys, tmp_path: Path) -> None:
    positions = {"S1": {"Walking": np.zeros((100, 32, 3))}, "S11": {"Eating": np.zeros((50, 32, 3))}}
    np.savez(tmp_path / "data_3d_h36m.npz", positions_3d=positions)
    code, out, _ = run(capsys, str(tmp_path / "data_3d_h36m.npz"), "--json")
    info = json.loads(out)
    assert code == 0 and (info["kind"], info["clips"], info["frames"], info["fps"]) == ("h36m-3d", 2, 150, 50.0)
    assert info["splits"]["test"]["frames"] == 50
    data = {"TS1": {"data_2d": np.zeros((10, 17, 2)), "data_3d": np.zeros((10, 17, 3)), "valid": np.ones(10)}}
    np.savez(tmp_path / "data_test_3dhp.npz", data=data)
    code, out, _ = run(capsys, str(tmp_path / "data_test_3dhp.npz"))
    assert code == 0 and "valid       10 frames" in out and "fps         25" in out


def test_errors_are_one_sentence(capsys, tmp_path: Path) -> None:
    code, _, err = run(capsys, str(tmp_path / "absent"))
    assert code == 2 and err.startswith("h2ot data: error:") and "no such file or folder" in err
    np.savez(tmp_path / "x.npz", weights=np.zeros(2))
    code, _, err = run(capsys, str(tmp_path / "x.npz"))
    assert code == 2 and "unknown npz layout" in err
