"""Every CMU file in ../shared/data loads with the automatic joint maps: cgspeed `Hips`, ASF names, DAZ `hip`."""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pytest
from shared_data import CMU, DATA, need

from h2ot.data import MocapDataset, load_bvh
from h2ot.skeleton import JOINT_INDEX, standing_height

I = JOINT_INDEX  # noqa: E741
EXTRA = DATA / "cmu-extra"


@pytest.fixture(scope="module")
def extra(tmp_path_factory: pytest.TempPathFactory) -> MocapDataset:
    old = os.environ.get("H2OT_CACHE")
    os.environ["H2OT_CACHE"] = str(tmp_path_factory.mktemp("cache"))
    try:
        return MocapDataset(need(EXTRA), fps=30)
    finally:
        if old is None:
            del os.environ["H2OT_CACHE"]
        else:
            os.environ["H2OT_CACHE"] = old


def knees_bend_forward(positions: np.ndarray) -> bool:
    """Whether the knees lie ahead of the hip-ankle lines, forward being left x up: false for mirrored sides."""
    p = positions.astype(np.float64)
    up = (p[:, I["left_shoulder"]] + p[:, I["right_shoulder"]] - p[:, I["left_hip"]] - p[:, I["right_hip"]]) / 2
    up /= np.linalg.norm(up, axis=-1, keepdims=True)
    forward = np.cross(p[:, I["left_hip"]] - p[:, I["right_hip"]], up)
    bends = [np.median(np.sum((p[:, I[f"{s}_knee"]] - (p[:, I[f"{s}_hip"]] + p[:, I[f"{s}_ankle"]]) / 2) * forward, -1))
             for s in ("left", "right")]
    return min(bends) > 0


def test_every_cmu_file_loads_with_an_automatic_map(extra: MocapDataset) -> None:
    maps = {Path(m.path).relative_to(EXTRA).parts[:-1]: m.joint_map for m in extra}
    assert maps == {(): "cmu", ("other-skeletons", "asf30"): "cmu-asf", ("other-skeletons", "daz"): "daz"}
    assert len(extra) == 16 and extra.fps == [30.0]
    assert extra.num_frames == 3946 + 322 + 442  # the NOTICE's counts less the T-poses the maps drop
    sample = MocapDataset(need(CMU), cache=False, fps=30)
    assert len(sample) == 24 and {m.joint_map for m in sample} == {"cmu"}
    for motion in extra:
        assert knees_bend_forward(motion.positions), motion.name
        assert 1.45 < standing_height(motion.positions) < 1.75, motion.name


def test_asf_names() -> None:
    motion = load_bvh(need(EXTRA) / "other-skeletons/asf30/16_01.bvh.gz")
    assert motion.joint_map == "cmu-asf" and motion.units == pytest.approx(0.0254 / 0.45)
    assert motion.num_frames == 322 and motion.fps == pytest.approx(30.0, rel=1e-4)  # no T-pose to drop
    p = motion.positions
    np.testing.assert_allclose(p[:, I["pelvis"]], (p[:, I["left_hip"]] + p[:, I["right_hip"]]) / 2, atol=1e-6)
    # head = head_End, 1.687 file units (0.095 m) past the head joint, as the cgspeed files' Head_End
    np.testing.assert_allclose(np.linalg.norm(p[:, I["head"]] - p[:, I["neck"]], axis=-1), 0.0952, atol=5e-4)


def test_daz_names() -> None:
    motion = load_bvh(need(EXTRA) / "other-skeletons/daz/12_01.bvh.gz")
    assert motion.joint_map == "daz" and motion.units == 0.01  # centimetres
    assert motion.num_frames == 131  # the added T-pose dropped
    p = motion.positions
    # The head top: 0.20 m past the head joint, along the neck -> head bone (about 0.11 m above the eyes).
    np.testing.assert_allclose(np.linalg.norm(p[:, I["head"]] - p[:, I["neck"]], axis=-1), 0.20, atol=1e-6)
