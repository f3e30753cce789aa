"""`describe(source)`: clips, frames, minutes, frame rates and split sizes of a dataset source.

A source is a BVH file or folder, a motion pack (h2ot data pack), a Human3.6M npz (3D or 2D) or an MPI-INF-3DHP
npz (training or test).
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path
from typing import Any

from h2ot.data.motion_pack import is_motion_pack
from h2ot.data.npz import npz_keys
from h2ot.errors import H2OTError


def _summary(kind: str, source: Path, items: Iterable[tuple[str, int, float]]) -> dict[str, Any]:
    """items: (split, frames, fps) per clip."""
    items = list(items)
    frames = sum(n for _, n, _ in items)
    rates = sorted({fps for _, _, fps in items})
    splits: dict[str, dict[str, Any]] = {}
    for split, n, _ in items:
        entry = splits.setdefault(split, {"clips": 0, "frames": 0})
        entry["clips"] += 1
        entry["frames"] += n
    for entry in splits.values():
        entry["fraction"] = round(entry["frames"] / max(frames, 1), 4)
    order = ("train", "validation", "test")
    splits = dict(sorted(splits.items(), key=lambda kv: order.index(kv[0]) if kv[0] in order else len(order)))
    return {
        "source": str(source),
        "kind": kind,
        "clips": len(items),
        "frames": frames,
        "minutes": round(sum(n / fps for _, n, fps in items) / 60.0, 2),
        "fps": rates[0] if len(rates) == 1 else rates,
        "splits": splits,
    }


def describe(source: str | Path, **bvh_options: Any) -> dict[str, Any]:
    """A summary dict: source, kind, clips, frames, minutes, fps (a number, or a list if several), splits."""
    source = Path(source)
    if not source.exists():
        raise H2OTError(f"{source}: no such file or folder.")
    name = source.name.lower()
    packed = is_motion_pack(source)
    if source.is_dir() or name.endswith((".bvh", ".bvh.gz")) or packed:
        from h2ot.data.mocap import MocapDataset

        dataset = MocapDataset(source, **bvh_options)  # a pack refuses BVH options other than the defaults
        return _summary("motion-pack" if packed else "bvh", source,
                        ((m.meta["split"], m.num_frames, m.fps) for m in dataset))
    if name.endswith(".npz"):
        keys = set(npz_keys(source))
        if "positions_3d" in keys:
            from h2ot.data.h36m import FPS, TEST_SUBJECTS, load_h36m_3d

            data = load_h36m_3d(source)
            return _summary("h36m-3d", source, (("test" if s in TEST_SUBJECTS else "train", len(p), FPS)
                                                for (s, _), p in data.items()))
        if "positions_2d" in keys:
            from h2ot.data.h36m import FPS, TEST_SUBJECTS, load_h36m_2d

            data2 = load_h36m_2d(source)
            return _summary("h36m-2d", source, (("test" if s in TEST_SUBJECTS else "train", len(v), FPS)
                                                for (s, _), views in data2.items() for v in views if v is not None))
        if "data" in keys:
            from h2ot.data.mpi3dhp import load_3dhp

            sequences = load_3dhp(source)
            summary = _summary("mpi-inf-3dhp", source, ((s.meta["split"], s.num_frames, s.fps) for s in sequences))
            valid = [int(s.valid.sum()) for s in sequences if s.valid is not None]
            if valid:
                summary["valid_frames"] = sum(valid)
            return summary
        raise H2OTError(
            f"{source}: unknown npz layout (arrays: {', '.join(sorted(keys))}); expected a motion pack, Human3.6M "
            "(positions_3d or positions_2d + metadata) or MPI-INF-3DHP (data)."
        )
    raise H2OTError(f"{source}: not a BVH file or folder, nor an .npz file; see docs/DATA.md for the formats.")
