"""Training and evaluation sequences from one description of the data, as stored in configs and checkpoints.

    {"source": "../shared/data/bandai-namco",   # a BVH folder or file or motion pack, a Human3.6M data_3d npz, an
                                                # MPI-INF-3DHP npz
     "detections": None,                        # Human3.6M: a data_2d npz (default: the projected ground truth)
     "test_source": None,                       # MPI-INF-3DHP: the test file (the source is the training file)
     "fps": 30, "train_views": 4, "noise": True, "seed": 0, "max_clips": None,
     "keypoints_2d": "joints",                  # or "detector": a detector's keypoints, converted as videos are
     "cameras": "studio",                       # training cameras, or "phone": phones and webcams
     "eval_cameras": "rig",                     # evaluation cameras, or "phone": four phone cameras per clip
     "limb_augment": 0.0}                       # training: the chance per limb and view of a new limb pose

BVH: training clips are filmed by `train_views` random cameras each, evaluation clips by the fixed four-camera
rig; with `noise`, the seeded detection-noise model turns the projections into detections (the same seed gives
the same evaluation set). A folder with a default split (Bandai Namco's styles) is split by it; any other
folder is evaluated on every clip. Human3.6M: subjects S1, S5, S6, S7, S8 train, S9 and S11 test (the
Human3.6M and MPI-INF-3DHP files bring their own 2D: `keypoints_2d` and the cameras apply to BVH only).

Several BVH sources: `source` is a list whose items are a path (the folder's own split: Bandai Namco's styles,
or the name hash of `h2ot.data.mocap.split_of` for other folders, the same clips in every run) or
{"path": ..., "split": "train" | "validation" | "test"} (every clip of that path in that one split), e.g. the
Bandai Namco training styles plus every CMU clip for training:

    ["../shared/data/bandai-namco", {"path": "../shared/data/cmu-sample", "split": "train"},
     {"path": "../shared/data/cmu-extra", "split": "train"}]
"""

from __future__ import annotations

import os
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from h2ot.data.bvh import Motion
from h2ot.data.detector_keypoints import KEYPOINTS_2D
from h2ot.data.h36m import TEST_SUBJECTS, TRAIN_SUBJECTS, h36m_sequences
from h2ot.data.limb_augment import LimbAugment
from h2ot.data.mocap import MocapDataset
from h2ot.data.motion_pack import is_motion_pack
from h2ot.data.mpi3dhp import load_3dhp
from h2ot.data.noise import DetectionNoise
from h2ot.data.npz import npz_keys
from h2ot.data.sequence import Sequence, mocap_sequences
from h2ot.errors import H2OTError
from h2ot.settings import check_types, type_hints

SPLITS = ("train", "validation", "test")
# DataSpec.cameras -> the cameras of h2ot.data.sequence.mocap_sequences; DataSpec.eval_cameras: "rig" or "phone".
TRAIN_CAMERAS = {"studio": "random", "phone": "phone"}
EVAL_CAMERAS = ("rig", "phone")
EVAL_PHONE_VIEWS = 4  # phone cameras per evaluation clip, as many as the rig has


@dataclass
class DataSpec:
    source: str | list[str | dict[str, str]]
    detections: str | None = None
    test_source: str | None = None
    fps: float | None = 30.0
    train_views: int = 4
    noise: bool = True
    seed: int = 0
    max_clips: int | None = None
    keypoints_2d: str = "joints"
    cameras: str = "studio"
    eval_cameras: str = "rig"
    limb_augment: float = 0.0  # training only: the chance per limb and view of a new pose (h2ot.data.limb_augment)

    def __post_init__(self) -> None:
        for name, value in check_types("data", asdict(self), type_hints(DataSpec)).items():
            setattr(self, name, value)
        if not 0 <= self.limb_augment <= 1:
            raise H2OTError(f"the data setting limb_augment is a probability in [0, 1], got {self.limb_augment}")
        choices = {"keypoints_2d": tuple(KEYPOINTS_2D), "cameras": tuple(TRAIN_CAMERAS), "eval_cameras": EVAL_CAMERAS}
        for name, allowed in choices.items():
            if getattr(self, name) not in allowed:
                raise H2OTError(f"the data setting {name} must be one of {', '.join(map(repr, allowed))}, "
                                f"got {getattr(self, name)!r}")
        source_entries(self.source)  # a clear error now, not when the data loads

    def keypoint_definition(self) -> str:
        """What the 2D inputs are, as a checkpoint's normalisation["keypoints_2d"] says it."""
        return KEYPOINTS_2D[self.keypoints_2d]

    @classmethod
    def from_dict(cls, values: dict[str, Any]) -> DataSpec:
        unknown = sorted(set(values) - set(cls.__dataclass_fields__))
        if unknown:
            raise H2OTError(f"the data section has no setting {', '.join(map(repr, unknown))}; its settings are "
                            f"{', '.join(cls.__dataclass_fields__)}")
        if "source" not in values:
            raise H2OTError("the data section needs a 'source': a BVH folder, a motion pack, a Human3.6M or an "
                            "MPI-INF-3DHP file")
        return cls(**values)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def source_entries(source: Any) -> list[tuple[Path, str]]:
    """`DataSpec.source` as (path, split) pairs: split "auto" for a lone source (the rules above), "default" for a
    plain path in a list (the folder's own split), or the split every clip of the path goes to."""
    if isinstance(source, (str, Path)):
        return [(Path(source), "auto")]
    if not isinstance(source, (list, tuple)) or not source:
        raise H2OTError(f"the data source must be a path or a non-empty list of them, got {source!r}")
    entries = []
    for item in source:
        if isinstance(item, (str, Path)):
            item = {"path": str(item)}
        use = item.get("split", "default") if isinstance(item, dict) else None
        if not (isinstance(item, dict) and isinstance(item.get("path"), str) and set(item) <= {"path", "split"}
                and use in ("default", *SPLITS)):
            raise H2OTError(f"a data source in a list must be a path or {{path: ..., split: train | validation | "
                            f"test}}, got {item!r}")
        entries.append((Path(item["path"]), use))
    return entries


PATH_SETTINGS = ("detections", "test_source")  # the data settings that name a file, besides the source


def resolve_data_paths(values: dict[str, Any], named_in: str | Path) -> dict[str, Any]:
    """A data section as named in a file (a config, a checkpoint): each relative path that does not exist from
    the working directory but does from the folder of `named_in`, or from a folder above it, becomes that path
    (`../shared/data/bandai-namco` in `configs/x.yaml` names the same folder from anywhere)."""
    folders = Path(named_in).resolve().parents

    def resolve(path: Any) -> Any:
        if not isinstance(path, str) or Path(path).is_absolute() or Path(path).exists():
            return path
        found = next((folder / path for folder in folders if (folder / path).exists()), None)
        return path if found is None else os.path.normpath(found)

    values = dict(values)
    source = values.get("source")
    if isinstance(source, list):
        values["source"] = [dict(item, path=resolve(item.get("path"))) if isinstance(item, dict) else resolve(item)
                            for item in source]
    elif source is not None:
        values["source"] = resolve(source)
    for name in PATH_SETTINGS:
        if values.get(name) is not None:
            values[name] = resolve(values[name])
    return values


def require_data(spec: DataSpec, fix: str) -> None:
    """Raise H2OTError when a path the spec names does not exist; the sentence ends with `fix`, formatted with
    `setting` (e.g. "data.source")."""
    paths = [("source", path) for path, _ in source_entries(spec.source)]
    paths += [(name, Path(getattr(spec, name))) for name in PATH_SETTINGS if getattr(spec, name) is not None]
    for name, path in paths:
        if not path.exists():
            raise H2OTError(f"the data {path} is not found from the working directory ({Path.cwd()}) nor from the "
                            f"folder of the file that names it; {fix.format(setting=f'data.{name}')}")


def kind_of(path: Path) -> str:
    if path.is_dir() or path.name.lower().endswith((".bvh", ".bvh.gz")) or is_motion_pack(path):
        return "bvh"  # a pack: the clips of a BVH folder, packed
    if path.suffix == ".npz":
        keys = set(npz_keys(path))
        if "positions_3d" in keys:
            return "h36m"
        if "data" in keys:
            return "3dhp"
    raise H2OTError(f"{path}: not a BVH folder or file, a motion pack, a Human3.6M data_3d npz or an MPI-INF-3DHP "
                    "npz")


def load_split(spec: DataSpec, split: str) -> list[Sequence]:
    """The sequences of `split` ("train", "validation", "test", or "all": every clip, filmed for evaluation)."""
    if split not in (*SPLITS, "all"):
        raise H2OTError(f"unknown split {split!r}: choose one of {', '.join(SPLITS)} or all")
    entries = source_entries(spec.source)
    for path, _ in entries:
        if not path.exists():
            raise H2OTError(f"{path}: no such file or folder")
    source = entries[0][0]
    kind = kind_of(source)
    if len(entries) > 1 or entries[0][1] != "auto":
        if any(kind_of(path) != "bvh" for path, _ in entries):
            raise H2OTError("a list of data sources takes BVH folders or files only (or motion packs of them); give a "
                            "Human3.6M or MPI-INF-3DHP file as the source on its own")
        sequences = _film(spec, _listed_motions(spec, entries, split), split)
    elif kind == "bvh":
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
        raise H2OTError(f"{spec.source} has no clip in its {split} split (Bandai Namco clips are split by the style "
                        "in their names, other clips by a hash of their names: docs/DATA.md); h2ot eval --split all "
                        "evaluates every clip")
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
    return _film(spec, motions, split)


def _listed_motions(spec: DataSpec, entries: list[tuple[Path, str]], split: str) -> list[Motion]:
    motions: list[Motion] = []
    for path, use in entries:
        dataset = MocapDataset(path, fps=spec.fps)
        if split == "all" or use == split:
            motions += list(dataset)
        elif use == "default":
            motions += dataset.split(split)
    return motions


def _film(spec: DataSpec, motions: list[Motion], split: str) -> list[Sequence]:
    noise = DetectionNoise() if spec.noise else None
    if split == "train":
        augment = LimbAugment(probability=spec.limb_augment) if spec.limb_augment else None
        return mocap_sequences(motions, cameras=TRAIN_CAMERAS[spec.cameras], views=spec.train_views, noise=noise,
                               seed=spec.seed, keypoints_2d=spec.keypoints_2d, augment=augment)
    views = EVAL_PHONE_VIEWS if spec.eval_cameras == "phone" else 1
    return mocap_sequences(motions, cameras=spec.eval_cameras, views=views, noise=noise, seed=spec.seed + 1,
                           keypoints_2d=spec.keypoints_2d)
