"""The ways out to files other tools open: `poses.npz` (h2ot's own), BVH (Blender and animation tools) and TRC
(OpenSim markers); and the model itself as an ONNX file (`h2ot.export.onnx.export_onnx`, with the onnx extra).
Every writer checks its input, writes atomically and never replaces a file without `overwrite=True`."""

from h2ot.export.bvh import write_bvh
from h2ot.export.poses import load_poses, save_poses
from h2ot.export.trc import read_trc, write_trc

__all__ = ["load_poses", "read_trc", "save_poses", "write_bvh", "write_trc"]
