"""A folder of BVH files as a dataset: loading with a cache and a process pool, and the default split.

The cache: one small `.npz` per file (no pickle) under `$H2OT_CACHE/bvh` (default `~/.cache/h2ot/bvh`),
keyed by the file's absolute path, size and modification time and by the loader options, so an edited
file or other options load afresh. Nothing is written beside the data.

The default split (docs/DATA.md): Bandai Namco clips by style, since no file says which actor performs;
other folders by a stable hash of the clip name.
"""

from __future__ import annotations

import hashlib
import json
import multiprocessing
import os
import re
import tempfile
import zlib
from collections.abc import Callable, Iterator
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from pathlib import Path
from typing import Any

import numpy as np

from h2ot.cache import cache_root
from h2ot.data.bvh import Motion, load_bvh
from h2ot.data.joint_maps import JointMap
from h2ot.data.motion_pack import is_motion_pack, read_motion_pack
from h2ot.errors import H2OTError

CACHE_VERSION = 1
SPLITS = ("train", "validation", "test")

# Bandai Namco styles held out. Synonymous styles of the two datasets count as one style, so a held-out
# style is unseen in training: dataset-1 "tired", "old", "masculinity" are dataset-2 "exhausted",
# "elderly", "masculine".
STYLE_SYNONYMS = {"tired": "exhausted", "old": "elderly", "masculinity": "masculine"}
SPLIT_STYLES: dict[str, tuple[str, ...]] = {
    "test": ("exhausted", "sad", "giant", "chimpira"),
    "validation": ("happy", "proud", "childish", "musical", "angry"),
}
# Folders without styles: clips whose name hashes (crc32 % 100) below these go to test / validation.
HASH_SPLIT = {"test": 20, "validation": 30}

_BANDAI_NAME = re.compile(r"^(dataset-\d+)_([^_]+)_([^_]+)_(\d+)$")


def bandai_namco_meta(name: str) -> dict[str, str]:
    """{"dataset", "content", "style", "take"} from a Bandai Namco clip name, or {} for other names."""
    match = _BANDAI_NAME.match(name)
    if not match:
        return {}
    dataset, content, style, take = match.groups()
    return {"dataset": dataset, "content": content, "style": style, "take": take}


def split_of(motion: Motion) -> str:
    """The default split of a clip: by style for Bandai Namco, by a stable name hash otherwise."""
    style = motion.meta.get("style")
    if style is not None:
        style = STYLE_SYNONYMS.get(style, style)
        for split, styles in SPLIT_STYLES.items():
            if style in styles:
                return split
        return "train"
    bucket = zlib.crc32(motion.name.encode()) % 100
    if bucket < HASH_SPLIT["test"]:
        return "test"
    if bucket < HASH_SPLIT["validation"]:
        return "validation"
    return "train"


def _map_key(joint_map: Any) -> Any:
    if joint_map is None or isinstance(joint_map, dict):
        return joint_map
    if isinstance(joint_map, JointMap):
        return [joint_map.name, joint_map.joints, joint_map.drop_first_frame]
    path = Path(joint_map)
    if path.is_file():  # a user map: its content counts, not only its name
        return [str(path.resolve()), hashlib.sha1(path.read_bytes()).hexdigest()]
    return str(joint_map)


def _cache_file(path: Path, options: dict[str, Any]) -> Path:
    stat = path.stat()
    key = json.dumps(
        [CACHE_VERSION, str(path.resolve()), stat.st_size, stat.st_mtime_ns,
         options["units"], _map_key(options["joint_map"]), options["fps"], options["drop_first_frame"]],
        sort_keys=True, default=str,
    )
    digest = hashlib.sha1(key.encode()).hexdigest()
    return cache_root() / "bvh" / digest[:2] / f"{digest}.npz"


def _read_cache(file: Path, path: Path) -> Motion | None:
    try:
        with np.load(file, allow_pickle=False) as data:
            if not np.isfinite(data["positions"]).all():
                return None  # cached before NaN were refused: load afresh, which names the bad value
            return Motion(
                positions=data["positions"], fps=float(data["fps"]), name=str(data["name"]), path=str(path),
                units=float(data["units"]), joint_map=str(data["joint_map"]), up_axis=str(data["up_axis"]),
                meta={"source_fps": float(data["source_fps"])},
            )
    except (OSError, KeyError, ValueError, EOFError, zlib.error):
        return None  # absent or unreadable: load afresh


def _write_cache(file: Path, motion: Motion) -> None:
    try:
        file.parent.mkdir(parents=True, exist_ok=True)
        handle, tmp = tempfile.mkstemp(dir=file.parent, suffix=".tmp")
        with os.fdopen(handle, "wb") as out:
            np.savez(
                out, positions=motion.positions, fps=motion.fps, name=motion.name, units=motion.units,
                joint_map=motion.joint_map, up_axis=motion.up_axis,
                source_fps=motion.meta.get("source_fps", motion.fps),
            )
        os.replace(tmp, file)  # atomic: a reader never sees half a file
    except OSError:
        pass  # a read-only or full cache only costs speed


def load_bvh_cached(path: str | Path, cache: bool = True, **options: Any) -> Motion:
    """`load_bvh(path, **options)` through the cache (options: units, joint_map, fps, drop_first_frame)."""
    path = Path(path)
    options = {"units": "auto", "joint_map": None, "fps": None, "drop_first_frame": None, **options}
    file = _cache_file(path, options) if cache else None
    if file is not None:
        motion = _read_cache(file, path)
        if motion is not None:
            return motion
    motion = load_bvh(path, **options)
    if file is not None:
        _write_cache(file, motion)
    return motion


def _context() -> multiprocessing.context.BaseContext:
    """"fork" where the platform has it: the workers only run numpy, and a fork needs no
    `if __name__ == "__main__"` guard in the caller's script, as "spawn" would."""
    methods = multiprocessing.get_all_start_methods()
    return multiprocessing.get_context("fork" if "fork" in methods else None)


def _load_many(args: tuple[list[str], bool, dict[str, Any]]) -> list[Motion]:
    paths, cache, options = args
    return [load_bvh_cached(p, cache=cache, **options) for p in paths]


def find_bvh_files(root: str | Path) -> list[Path]:
    """All `.bvh` and `.bvh.gz` files under `root` (recursively), sorted."""
    root = Path(root)
    if root.is_file():
        return [root]
    if not root.is_dir():
        raise H2OTError(f"{root}: no such file or folder; give a BVH file or a folder of them.")
    files = sorted(p for p in root.rglob("*") if p.name.lower().endswith((".bvh", ".bvh.gz")) and p.is_file())
    if not files:
        raise H2OTError(f"{root}: holds no .bvh or .bvh.gz file.")
    return files


class MocapDataset:
    """Every BVH clip under a folder, as `Motion`s in file-name order, with a split.

    `root` may also be a motion pack (`h2ot.data.motion_pack`): its clips, as they were packed.
    Cache misses load in a process pool (`workers`, default: the CPU count; 0 or 1: in this process).
    `split` maps a `Motion` to "train", "validation" or "test" (default: `split_of`).
    """

    def __init__(
        self,
        root: str | Path,
        units: str | float = "auto",
        joint_map: Any = None,
        fps: float | None = None,
        drop_first_frame: bool | None = None,
        cache: bool = True,
        workers: int | None = None,
        split: Callable[[Motion], str] = split_of,
    ) -> None:
        self.root = Path(root)
        if is_motion_pack(self.root):
            if units != "auto" or joint_map is not None or drop_first_frame is not None:
                raise H2OTError(f"{self.root}: a motion pack's clips were converted when it was packed; units, "
                                "joint_map and drop_first_frame apply to BVH files: pack the folder again with them")
            self.files = [self.root]
            self.motions = read_motion_pack(self.root, fps=fps)
        else:
            self.files = find_bvh_files(self.root)
            options = {"units": units, "joint_map": joint_map, "fps": fps, "drop_first_frame": drop_first_frame}
            self.motions = self._load(options, cache, workers)
        for motion in self.motions:
            motion.meta.update(bandai_namco_meta(motion.name))
            motion.meta["split"] = split(motion)

    def _load(self, options: dict[str, Any], cache: bool, workers: int | None) -> list[Motion]:
        paths = [str(p) for p in self.files]
        if workers is None:
            workers = os.cpu_count() or 1
        if workers <= 1 or len(paths) < 64:
            return _load_many((paths, cache, options))
        if cache:  # only the misses go to the pool
            hits: dict[str, Motion] = {}
            for p in paths:
                motion = _read_cache(_cache_file(Path(p), options), Path(p))
                if motion is not None:
                    hits[p] = motion
            missing = [p for p in paths if p not in hits]
        else:
            hits, missing = {}, paths
        if missing:
            size = max(1, min(64, len(missing) // (workers * 4) or 1))
            chunks = [missing[i : i + size] for i in range(0, len(missing), size)]
            try:
                with ProcessPoolExecutor(max_workers=min(workers, len(chunks)), mp_context=_context()) as pool:
                    jobs = [(c, cache, options) for c in chunks]
                    for chunk, motions in zip(chunks, pool.map(_load_many, jobs), strict=True):
                        hits.update(zip(chunk, motions, strict=True))
            except (BrokenProcessPool, RuntimeError):
                pass  # no pool here (e.g. "spawn" from an unguarded script): load the rest in-process
            rest = [p for p in missing if p not in hits]
            hits.update(zip(rest, _load_many((rest, cache, options)), strict=True))
        return [hits[p] for p in paths]

    def __len__(self) -> int:
        return len(self.motions)

    def __getitem__(self, index: int) -> Motion:
        return self.motions[index]

    def __iter__(self) -> Iterator[Motion]:
        return iter(self.motions)

    @property
    def num_frames(self) -> int:
        return sum(m.num_frames for m in self.motions)

    @property
    def fps(self) -> list[float]:
        """The distinct frame rates, ascending."""
        return sorted({m.fps for m in self.motions})

    def split(self, name: str) -> list[Motion]:
        """The clips of one split ("train", "validation" or "test")."""
        if name not in SPLITS:
            raise H2OTError(f"unknown split {name!r}; use one of {', '.join(SPLITS)}.")
        return [m for m in self.motions if m.meta["split"] == name]

    def split_sizes(self) -> dict[str, dict[str, float]]:
        """Per split: clips, frames and the fraction of all frames."""
        total = max(1, self.num_frames)
        sizes = {}
        for name in SPLITS:
            motions = self.split(name)
            frames = sum(m.num_frames for m in motions)
            sizes[name] = {"clips": len(motions), "frames": frames, "fraction": frames / total}
        return sizes
