"""Training and evaluation sequences from one description of the data, as stored in configs and checkpoints.

    {"source": "../shared/data/bandai-namco",   # a BVH folder or file, a Human3.6M data_3d npz, an MPI-INF-3DHP npz
     "detections": None,                        # Human3.6M: a data_2d npz (default: the projected ground truth)
     "test_source": None,                       # MPI-INF-3DHP: the test file (the source is the training file)
     "fps": 30, "train_views": 4, "noise": True, "seed": 0, "max_clips": None}

BVH: training clips are filmed by `train_views` random cameras each, evaluation clips by the fixed four-camera
rig; with `noise`, the seeded detection-noise model turns the projections into detections (the same seed gives
the same evaluation set). A folder with a default split (Bandai Namco's styles) is split by it; any other
folder is evaluated on every clip. Human3.6M: subjects S1, S5, S6, S7, S8 train, S9 and S11 test.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from h2ot.data.h36m import TEST_SUBJECTS, TRAIN_SUBJECTS, h36m_sequences
from h2ot.data.mocap import MocapDataset
from h2ot.data.mpi3dhp import load_3dhp
from h2ot.data.noise import DetectionNoise
from h2ot.data.npz import npz_keys
from h2ot.data.sequence import Sequence, mocap_sequences
from h2ot.errors import H2OTError

SPLITS = ("train", "validation", "test")


@dataclass
class DataSpec:
    source: str
    detections: str | None = None
    test_source: str | None = None
    fps: float | None = 30.0
    train_views: int = 4
    noise: bool = True
    seed: int = 0
    max_clips: int | None = None

    @classmethod
    def from_dict(cls, values: dict[str, Any]) -> DataSpec:
        unknown = sorted(set(values) - set(cls.__dataclass_fields__))
        if unknown:
            raise H2OTError(f"the data section has no setting {', '.join(map(repr, unknown))}; its settings are "
                            f"{', '.join(cls.__dataclass_fields__)}")
        if "source" not in values:
            raise H2OTError("the data section needs a 'source': a BVH folder, a Human3.6M or an MPI-INF-3DHP file")
        return cls(**values)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def kind_of(path: Path) -> str:
    if path.is_dir() or path.name.lower().endswith((".bvh", ".bvh.gz")):
        return "bvh"
    if path.suffix == ".npz":
        keys = set(npz_keys(path))
        if "positions_3d" in keys:
            return "h36m"
        if "data" in keys:
            return "3dhp"
    raise H2OTError(f"{path}: not a BVH folder or file, a Human3.6M data_3d npz or an MPI-INF-3DHP npz")


def load_split(spec: DataSpec, split: str) -> list[Sequence]:
    """The sequences of `split` ("train", "validation", "test", or "all": every clip, filmed for evaluation)."""
    if split not in (*SPLITS, "all"):
        raise H2OTError(f"unknown split {split!r}: choose one of {', '.join(SPLITS)} or all")
    source = Path(spec.source)
    if not source.exists():
        raise H2OTError(f"{source}: no such file or folder")
    kind = kind_of(source)
    if kind == "bvh":
        sequences = _bvh_split(spec, source, split)
    elif kind == "h36m":
        subjects = {"train": TRAIN_SUBJECTS, "validation": TEST_SUBJECTS, "test": TEST_SUBJECTS}.get(split)
        sequences = h36m_sequences(source, spec.detections, subjects)
    else:
        path = source if split == "train" or spec.test_source is None else Path(spec.test_source)
        sequences = load_3dhp(path)
    if spec.max_clips is not None:
        sequences = sequences[: spec.max_clips]
    if not sequences:
        raise H2OTError(f"{source} has no clip in its {split} split")
    return sequences


def has_default_split(dataset: MocapDataset) -> bool:
    """Whether the folder's clips carry the labels of a documented split (Bandai Namco's styles)."""
    return any("style" in motion.meta for motion in dataset)


def _bvh_split(spec: DataSpec, source: Path, split: str) -> list[Sequence]:
    dataset = MocapDataset(source, fps=spec.fps)
    if split == "all" or (split != "train" and not has_default_split(dataset)):
        motions = list(dataset)
    else:
        motions = dataset.split(split)
    noise = DetectionNoise() if spec.noise else None
    if split == "train":
        return mocap_sequences(motions, cameras="random", views=spec.train_views, noise=noise, seed=spec.seed)
    return mocap_sequences(motions, cameras="rig", noise=noise, seed=spec.seed + 1)
