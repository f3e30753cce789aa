"""Limb pose augmentation on real motion: new limb poses, the same bones, the same motion, within the joint range."""

from pathlib import Path

import numpy as np
import pytest

from h2ot.data import load_bvh
from h2ot.data.limb_augment import LimbAugment, bend_limbs
from h2ot.data.sequence import mocap_sequences
from h2ot.data.sources import DataSpec
from h2ot.errors import H2OTError
from h2ot.skeleton import JOINT_INDEX, PARENTS

CMU = Path(__file__).resolve().parents[2].parent / "shared" / "data" / "cmu-sample"
I = JOINT_INDEX  # noqa: E741
pytestmark = pytest.mark.skipif(not CMU.exists(), reason=f"the CMU sample is not at {CMU}")
LIMBS = {"left_arm": ("left_shoulder", "left_elbow", "left_wrist"),
         "right_arm": ("right_shoulder", "right_elbow", "right_wrist"),
         "left_leg": ("left_hip", "left_knee", "left_ankle"), "right_leg": ("right_hip", "right_knee", "right_ankle")}


@pytest.fixture(scope="module")
def walk() -> np.ndarray:
    return load_bvh(CMU / "07_01.bvh").positions[:120].astype(np.float64)  # a walk, 120 frames


def bones(positions: np.ndarray) -> np.ndarray:
    return np.stack([np.linalg.norm(positions[:, j] - positions[:, p], axis=-1)
                     for j, p in enumerate(PARENTS) if p >= 0], axis=-1)


def bend(positions: np.ndarray, limb: str) -> np.ndarray:
    root, middle, end = (positions[:, I[n]] for n in LIMBS[limb])
    upper, lower = middle - root, end - middle
    cosine = np.sum(upper * lower, -1) / np.linalg.norm(upper, axis=-1) / np.linalg.norm(lower, axis=-1)
    return np.degrees(np.arccos(np.clip(cosine, -1, 1)))


def test_every_limb_moves_and_every_bone_keeps_its_length(walk):
    out = bend_limbs(walk, np.random.default_rng(0), LimbAugment(probability=1.0))
    np.testing.assert_allclose(bones(out), bones(walk), atol=1e-9)
    trunk = [I[n] for n in ("pelvis", "spine", "thorax", "neck", "head", "left_hip", "right_hip", "left_shoulder",
                            "right_shoulder")]
    np.testing.assert_array_equal(out[:, trunk], walk[:, trunk])
    for *_, end in LIMBS.values():
        assert np.abs(out[:, I[end]] - walk[:, I[end]]).max() > 0.05  # metres
    for limb in LIMBS:
        assert bend(out, limb).max() <= 150.0 + 1e-6


def test_the_limb_keeps_its_motion_turned_as_a_whole(walk):
    """The root's turn is one rotation for the clip: the upper limb's directions keep their angles to each
    other over time (their Gram matrix), only the bend of the middle joint changes, by at most its range."""
    augment = LimbAugment(probability=1.0, elbow=0.0, knee=0.0)
    out = bend_limbs(walk, np.random.default_rng(1), augment)
    for root, middle, _ in LIMBS.values():
        before, after = (p[:, I[middle]] - p[:, I[root]] for p in (walk, out))
        np.testing.assert_allclose(after @ after.T, before @ before.T, atol=1e-9)
    for limb in LIMBS:  # no bend change asked: the elbows and knees keep their angles
        np.testing.assert_allclose(bend(out, limb), bend(walk, limb), atol=1e-6)
    bent = bend_limbs(walk, np.random.default_rng(1), LimbAugment(probability=1.0, elbow=30.0, knee=30.0))
    for limb in LIMBS:
        change = bend(bent, limb) - bend(walk, limb)
        assert np.abs(change).max() <= 30.0 + 1e-6 and np.ptp(change) < 30.0 + 1e-6


def test_it_is_seeded_and_probability_zero_changes_nothing(walk):
    first = bend_limbs(walk, np.random.default_rng(5))
    np.testing.assert_array_equal(first, bend_limbs(walk, np.random.default_rng(5)))
    np.testing.assert_array_equal(bend_limbs(walk, np.random.default_rng(5), LimbAugment(probability=0.0)), walk)
    with pytest.raises(H2OTError, match=r"shape \[T, 17, 3\]"):
        bend_limbs(walk[..., :2], np.random.default_rng(0))
    with pytest.raises(H2OTError, match="probability must be in"):
        LimbAugment(probability=1.5)
    with pytest.raises(H2OTError, match=r"limb_augment is a probability in \[0, 1\], got 2.0"):
        DataSpec(source=str(CMU), limb_augment=2)


def test_each_training_view_films_its_own_posed_copy():
    motion = load_bvh(CMU / "07_01.bvh")
    plain = mocap_sequences([motion], cameras="phone", views=2, keypoints_2d="detector")
    posed = mocap_sequences([motion], cameras="phone", views=2, keypoints_2d="detector",
                            augment=LimbAugment(probability=1.0))
    again = mocap_sequences([motion], cameras="phone", views=2, keypoints_2d="detector",
                            augment=LimbAugment(probability=1.0))
    assert [s.poses.shape for s in posed] == [s.poses.shape for s in plain]
    np.testing.assert_array_equal(posed[0].poses, again[0].poses)
    assert not np.allclose(posed[0].poses, plain[0].poses, atol=1e-3)
    assert not np.allclose(posed[0].poses[:, I["left_wrist"]] - posed[0].poses[:, I["left_elbow"]],
                           posed[1].poses[:, I["left_wrist"]] - posed[1].poses[:, I["left_elbow"]], atol=1e-3)
