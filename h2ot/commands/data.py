"""`h2ot data ...`: inspect and pack datasets. `h2ot data info SOURCE [--json]`, `h2ot data pack FOLDER --out FILE`."""

from __future__ import annotations

import argparse
import json


def add_parser(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser("data", help="inspect and pack datasets")
    parser.set_defaults(run=lambda args: parser.print_help() or 0)
    commands = parser.add_subparsers(dest="data_command", metavar="DATA_COMMAND")

    info = commands.add_parser(
        "info",
        help="clips, frames, minutes, fps and split sizes of a dataset",
        description="Summarise a BVH file or folder, a Human3.6M npz (data_3d_h36m.npz, "
        "data_2d_h36m_<detector>.npz) or an MPI-INF-3DHP npz (data_train_3dhp.npz, data_test_3dhp.npz).",
    )
    info.add_argument("source", help="a BVH file or folder, a motion pack, or an .npz file")
    info.add_argument("--json", action="store_true", help="print one JSON object")
    info.add_argument(
        "--units", default="auto", help="BVH units: auto, m, cm, mm, inch, cmu or metres per unit (default: auto)"
    )
    info.add_argument("--joint-map", default=None, help="BVH joint map: a built-in name or a YAML / JSON file")
    info.set_defaults(run=run_info)

    pack = commands.add_parser(
        "pack",
        help="a BVH folder's clips in one small .npz that data.source takes in its place",
        description="Convert every clip of a BVH file or folder once, at one frame rate, and store the joint "
        "positions (to 0.1 mm) in one compressed .npz: a training set that travels and loads in seconds. Give "
        "the pack wherever the folder was given (data.source, h2ot data info); clips keep their names and split.",
    )
    pack.add_argument("source", help="a BVH file or folder")
    pack.add_argument("--out", required=True, help="the pack to write (.npz); an existing file is never replaced")
    pack.add_argument("--fps", type=float, default=30.0, help="the frame rate to store (default: 30)")
    pack.set_defaults(run=run_pack)


def _fps_text(fps: float | list[float]) -> str:
    return ", ".join(f"{f:g}" for f in fps) if isinstance(fps, list) else f"{fps:g}"


def run_info(args: argparse.Namespace) -> int:
    from h2ot.data.info import describe

    options = {}
    if args.units != "auto" or args.joint_map is not None:
        try:
            units: str | float = float(args.units)  # metres per file unit
        except ValueError:
            units = args.units
        options = {"units": units, "joint_map": args.joint_map}
    summary = describe(args.source, **options)
    if args.json:
        print(json.dumps(summary, indent=2))
        return 0
    rows = [
        ("source", f"{summary['source']} ({summary['kind']})"),
        ("clips", summary["clips"]),
        ("frames", summary["frames"]),
        ("minutes", f"{summary['minutes']:.1f}"),
        ("fps", _fps_text(summary["fps"])),
    ]
    if "valid_frames" in summary:
        rows.append(("valid", f"{summary['valid_frames']} frames"))
    for name, split in summary["splits"].items():
        rows.append((name, f"{split['clips']} clips, {split['frames']} frames ({split['fraction']:.1%})"))
    for label, value in rows:
        print(f"{label:<12}{value}")
    return 0


def run_pack(args: argparse.Namespace) -> int:
    from h2ot.data.mocap import MocapDataset
    from h2ot.data.motion_pack import write_motion_pack

    dataset = MocapDataset(args.source, fps=args.fps)
    path = write_motion_pack(args.out, list(dataset))
    megabytes = path.stat().st_size / 2**20
    print(f"packed {len(dataset)} clips ({dataset.num_frames} frames at {args.fps:g} fps) into {path} "
          f"({megabytes:.1f} MB)")
    return 0
