"""Joint maps: automatic choice, user maps in YAML / JSON, clear errors, and the head-top rule."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from humanoid import humanoid_bvh
from shared_data import BANDAI, need

from h2ot.data import BUILTIN_MAPS, load_bvh, load_joint_map, parse_bvh
from h2ot.data.bvh import forward_kinematics, local_transforms
from h2ot.errors import H2OTError
from h2ot.skeleton import JOINT_INDEX, JOINT_NAMES

I = JOINT_INDEX  # noqa: E741


def test_mixamo_naming_is_picked_and_mapped(tmp_path: Path) -> None:
    motion = load_bvh(humanoid_bvh(tmp_path / "mixamo.bvh"))
    assert motion.joint_map == "mixamo" and motion.units == 0.01 and motion.fps == 25.0
    p = motion.positions[0]
    np.testing.assert_allclose(p[I["left_hip"]], [0.09, 0.90, 0.0], atol=1e-6)
    np.testing.assert_allclose(p[I["pelvis"]], [0.0, 0.90, 0.0], atol=1e-6)  # mid-hips
    np.testing.assert_allclose(p[I["right_ankle"]], [-0.09, 0.06, 0.0], atol=1e-6)
    np.testing.assert_allclose(p[I["spine"]], [0.0, 1.15, 0.0], atol=1e-6)  # Spine1
    np.testing.assert_allclose(p[I["head"]], [0.0, 1.68, 0.0], atol=1e-6)  # HeadTop_End
    np.testing.assert_allclose(p[I["left_wrist"]], [0.70, 1.35, 0.0], atol=1e-6)
    np.testing.assert_allclose(motion.positions[2, 0, 2] - motion.positions[0, 0, 2], 0.2, atol=1e-6)


def test_mixamo_without_head_top_joint_uses_the_head_end_site(tmp_path: Path) -> None:
    motion = load_bvh(humanoid_bvh(tmp_path / "m.bvh", prefix="", drop=("HeadTop_End",)))
    assert motion.joint_map == "mixamo"
    np.testing.assert_allclose(motion.positions[0, I["head"]], motion.positions[0, I["neck"]], atol=1e-6)


def test_unknown_naming_lists_the_missing_joints(tmp_path: Path) -> None:
    path = humanoid_bvh(tmp_path / "odd.bvh", rename={"LeftUpLeg": "thigh_l", "LeftLeg": "calf_l"})
    with pytest.raises(H2OTError) as error:
        load_bvh(path)
    message = str(error.value)
    assert "odd.bvh" in message and "LeftUpLeg" in message and "LeftLeg" in message
    assert "joint_map=" in message


def test_user_map_yaml_and_json(tmp_path: Path) -> None:
    rename = {"LeftUpLeg": "thigh_l", "LeftLeg": "calf_l", "Spine2": "chest"}
    path = humanoid_bvh(tmp_path / "odd.bvh", prefix="", rename=rename)
    joints = dict(BUILTIN_MAPS["mixamo"].joints)
    joints.update(pelvis=["thigh_l", "RightUpLeg"], left_hip="thigh_l", left_knee="calf_l",
                  head={"extend": "Head", "length_m": 0.2})
    (tmp_path / "map.yaml").write_text(
        "name: studio\njoints:\n" + "".join(f"  {k}: {json.dumps(v)}\n" for k, v in joints.items())
    )
    (tmp_path / "map.json").write_text(json.dumps({"name": "studio", "joints": joints}))
    from_yaml = load_bvh(path, joint_map=tmp_path / "map.yaml")
    from_json = load_bvh(path, joint_map=str(tmp_path / "map.json"))
    assert from_yaml.joint_map == "studio"
    np.testing.assert_array_equal(from_yaml.positions, from_json.positions)
    reference = load_bvh(humanoid_bvh(tmp_path / "plain.bvh", prefix=""))
    np.testing.assert_allclose(from_yaml.positions[:, :10], reference.positions[:, :10], atol=1e-6)
    # The head top: 0.2 m past Head along the Neck -> Head bone (straight up in the rest pose).
    np.testing.assert_allclose(from_yaml.positions[0, I["head"]], [0.0, 1.50 + 0.2, 0.0], atol=1e-6)


def test_bad_user_maps(tmp_path: Path) -> None:
    path = humanoid_bvh(tmp_path / "m.bvh")
    partial = tmp_path / "partial.yaml"
    partial.write_text("joints:\n  pelvis: Hips\n  nose: Head\n")
    with pytest.raises(H2OTError, match=r"partial\.yaml.*lacks right_hip.*unknown targets nose"):
        load_joint_map(partial)
    broken = tmp_path / "broken.json"
    broken.write_text("{not json")
    with pytest.raises(H2OTError, match=r"broken\.json: is not valid YAML / JSON"):
        load_bvh(path, joint_map=broken)
    absent = dict(BUILTIN_MAPS["mixamo"].joints, left_wrist="LeftPinky")
    with pytest.raises(H2OTError, match="lacks: LeftPinky"):
        load_bvh(path, joint_map={"name": "x", "joints": absent})
    with pytest.raises(H2OTError, match="neither a built-in map"):
        load_bvh(path, joint_map="no-such-map")
    assert set(BUILTIN_MAPS["cmu"].joints) == set(JOINT_NAMES)


def test_bandai_head_top_rule_follows_the_head() -> None:
    """Eleven dataset-1 "normal" clips carry a Head end site 10 cm along the head's axis: our head top (0.22 m along the
    same axis, whatever the file says) must lie on that line, 2.2 times as far, in every frame."""
    path = need(BANDAI) / "dataset-1/data/dataset-1_run_normal_001.bvh.gz"
    bvh = parse_bvh(path)
    raw, _ = forward_kinematics(bvh.skeleton.parents, *local_transforms(bvh))
    names = bvh.skeleton.names
    head, head_end = raw[:, names.index("Head")] * 0.01, raw[:, names.index("Head_End")] * 0.01
    motion = load_bvh(path)
    np.testing.assert_allclose(motion.positions[:, I["head"]], head + 2.2 * (head_end - head), atol=1e-5)
    np.testing.assert_allclose(motion.positions[:, I["neck"]], head, atol=1e-5)
