"""Data: motion capture (BVH), Human3.6M and MPI-INF-3DHP files, virtual cameras, 2D noise, clip windows.

The path from a BVH folder to training batches:

    dataset = MocapDataset("../shared/data/bandai-namco")            # Motion: [T, 17, 3] metres, world
    sequences = mocap_sequences(dataset.split("train"), cameras="random", views=4,
                                noise=DetectionNoise(), seed=0)      # Sequence: 2D screen, 3D camera
    loader = DataLoader(ClipDataset(sequences, frames=81, flip=0.5), batch_size=32, shuffle=True)

Conventions and the rules behind every default: docs/DATA.md.
"""

from h2ot.data.augment import flip, flip_keypoints, flip_poses
from h2ot.data.bvh import UNITS, BvhFile, BvhSkeleton, Motion, load_bvh, parse_bvh
from h2ot.data.clips import ClipDataset, centred_windows, evaluation_windows, training_windows
from h2ot.data.h36m import (
    TEST_SUBJECTS as H36M_TEST_SUBJECTS,
)
from h2ot.data.h36m import (
    TRAIN_SUBJECTS as H36M_TRAIN_SUBJECTS,
)
from h2ot.data.h36m import h36m_cameras, h36m_sequences, load_h36m_2d, load_h36m_3d
from h2ot.data.info import describe
from h2ot.data.joint_maps import BUILTIN_MAPS, JointMap, load_joint_map
from h2ot.data.mocap import SPLIT_STYLES, MocapDataset, load_bvh_cached, split_of
from h2ot.data.mpi3dhp import MPI3DHP_TO_H36M, load_3dhp
from h2ot.data.noise import DetectionNoise, clean_detections
from h2ot.data.rig import EVALUATION_RIG, RandomCameraSpec, RigSpec, evaluation_rig, look_at, random_camera
from h2ot.data.sequence import Sequence, mocap_sequences, view_motion

__all__ = [
    "BUILTIN_MAPS", "EVALUATION_RIG", "H36M_TEST_SUBJECTS", "H36M_TRAIN_SUBJECTS", "MPI3DHP_TO_H36M",
    "SPLIT_STYLES", "UNITS", "BvhFile", "BvhSkeleton", "ClipDataset", "DetectionNoise", "JointMap",
    "MocapDataset", "Motion", "RandomCameraSpec", "RigSpec", "Sequence", "centred_windows",
    "clean_detections", "describe", "evaluation_rig", "evaluation_windows", "flip", "flip_keypoints",
    "flip_poses", "h36m_cameras", "h36m_sequences", "load_3dhp", "load_bvh", "load_bvh_cached",
    "load_h36m_2d", "load_h36m_3d", "load_joint_map", "look_at", "mocap_sequences", "parse_bvh",
    "random_camera", "split_of", "training_windows", "view_motion",
]
