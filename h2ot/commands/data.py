"""`h2ot data ...`: inspect datasets. `h2ot data info SOURCE [--json]`."""

from __future__ import annotations

import argparse
import json


def add_parser(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser("data", help="inspect datasets")
    parser.set_defaults(run=lambda args: parser.print_help() or 0)
    commands = parser.add_subparsers(dest="data_command", metavar="DATA_COMMAND")

    info = commands.add_parser(
        "info",
        help="clips, frames, minutes, fps and split sizes of a dataset",
        description="Summarise a BVH file or folder, a Human3.6M npz (data_3d_h36m.npz, "
        "data_2d_h36m_<detector>.npz) or an MPI-INF-3DHP npz (data_train_3dhp.npz, data_test_3dhp.npz).",
    )
    info.add_argument("source", help="a BVH file or folder, or an .npz file")
    info.add_argument("--json", action="store_true", help="print one JSON object")
    info.add_argument(
        "--units", default="auto", help="BVH units: auto, m, cm, mm, inch, cmu or metres per unit (default: auto)"
    )
    info.add_argument("--joint-map", default=None, help="BVH joint map: a built-in name or a YAML / JSON file")
    info.set_defaults(run=run_info)


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
