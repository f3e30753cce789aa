"""Where h2ot keeps what it can recompute (parsed BVH files, ONNX exports): `$H2OT_CACHE`, else `~/.cache/h2ot`."""

from __future__ import annotations

import os
from pathlib import Path


def cache_root() -> Path:
    """`$H2OT_CACHE`, else `~/.cache/h2ot`."""
    return Path(os.environ.get("H2OT_CACHE") or Path.home() / ".cache" / "h2ot").expanduser()
