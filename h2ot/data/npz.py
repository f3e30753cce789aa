"""Open the pickled `.npz` files of the VideoPose3D family safely enough.

Those files hold Python dicts, which numpy can only read with `allow_pickle=True`, and unpickling runs
code from the file. So: the file's array names are checked against the known layouts first (reading the
names unpickles nothing), and only then is a known array unpickled. Open only files you trust.
"""

from __future__ import annotations

import zipfile
from pathlib import Path
from typing import Any

import numpy as np

from h2ot.errors import H2OTError


def npz_keys(path: str | Path) -> list[str]:
    """The array names of an `.npz` file, without reading (or unpickling) any array."""
    path = Path(path)
    if not path.is_file():
        raise H2OTError(f"{path}: no such file; check the path.")
    try:
        with zipfile.ZipFile(path) as archive:
            return sorted(name[:-4] if name.endswith(".npy") else name for name in archive.namelist())
    except zipfile.BadZipFile:
        raise H2OTError(f"{path}: is not an .npz file (not a zip archive).") from None


def load_pickled(path: str | Path, layouts: dict[str, tuple[str, ...]]) -> tuple[str, dict[str, Any]]:
    """Match the file's array names to one of `layouts` (name -> required arrays), then load those arrays.

    Returns the layout's name and {array name: value}; a 0-d object array (a pickled dict) is unwrapped."""
    path = Path(path)
    keys = set(npz_keys(path))
    layout = next((name for name, required in layouts.items() if set(required) <= keys), None)
    if layout is None:
        expected = "; ".join(f"{name}: {', '.join(req)}" for name, req in layouts.items())
        raise H2OTError(
            f"{path}: unknown layout (arrays: {', '.join(sorted(keys)) or 'none'}); expected one of "
            f"[{expected}]."
        )
    required = layouts[layout]
    out: dict[str, Any] = {}
    try:
        with np.load(path, allow_pickle=True) as data:  # only the known arrays below are read
            for key in required:
                value = data[key]
                out[key] = value.item() if value.dtype == object and value.shape == () else value
    except (ValueError, OSError, EOFError) as error:
        raise H2OTError(f"{path}: cannot read the {layout} arrays ({error}).") from None
    return layout, out
