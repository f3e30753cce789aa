"""The BVH folder dataset: the default split, the cache, the pool."""

from __future__ import annotations

import os
import shutil
import time
from pathlib import Path

import numpy as np
import pytest
from shared_data import BANDAI, CMU, need

import h2ot.data.mocap as mocap
from h2ot.data import SPLIT_STYLES, MocapDataset, load_bvh, split_of
from h2ot.data.mocap import STYLE_SYNONYMS, bandai_namco_meta
from h2ot.errors import H2OTError


def test_bandai_names_are_parsed() -> None:
    assert bandai_namco_meta("dataset-2_raise-up-both-hands_active_001") == {
        "dataset": "dataset-2", "content": "raise-up-both-hands", "style": "active", "take": "001"}
    assert bandai_namco_meta("07_01") == {}


def test_default_split_by_style(bandai) -> None:
    sizes = bandai.split_sizes()
    assert (sizes["train"]["clips"], sizes["validation"]["clips"], sizes["test"]["clips"]) == (2223, 55, 397)
    assert (sizes["train"]["frames"], sizes["validation"]["frames"], sizes["test"]["frames"]) == (292691, 8965, 60539)
    assert 0.15 <= sizes["test"]["fraction"] <= 0.25
    assert sizes["validation"]["frames"] > 5000
    styles = {split: {STYLE_SYNONYMS.get(m.meta["style"], m.meta["style"]) for m in bandai.split(split)}
              for split in ("train", "validation", "test")}
    assert not styles["train"] & styles["test"] and not styles["train"] & styles["validation"]
    assert not styles["validation"] & styles["test"]
    assert styles["test"] == set(SPLIT_STYLES["test"]) and styles["validation"] == set(SPLIT_STYLES["validation"])
    # "tired" (dataset-1) is "exhausted" (dataset-2): held out together.
    assert {m.meta["style"] for m in bandai.split("test")} >= {"tired", "exhausted"}
    with pytest.raises(H2OTError, match="unknown split"):
        bandai.split("dev")


def test_split_without_styles_is_stable(cmu) -> None:
    assert [m.meta["split"] for m in cmu] == [split_of(m) for m in cmu]
    assert {m.meta["split"] for m in cmu} == {"train", "validation", "test"}


def test_second_load_reads_the_cache(bandai, bandai_cache: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A warm load of all Bandai Namco clips parses nothing and takes seconds."""
    monkeypatch.setenv("H2OT_CACHE", str(bandai_cache))

    def fail(*args, **kwargs):
        raise AssertionError("a cached clip was parsed again")

    monkeypatch.setattr(mocap, "load_bvh", fail)
    start = time.perf_counter()
    again = MocapDataset(BANDAI)
    elapsed = time.perf_counter() - start
    assert elapsed < 30  # about 2 s on an idle 2-core machine
    assert len(again) == len(bandai)
    for a, b in zip(again.motions[::97], bandai.motions[::97], strict=True):
        np.testing.assert_array_equal(a.positions, b.positions)
        assert (a.name, a.fps, a.meta["split"]) == (b.name, b.fps, b.meta["split"])
    assert list(bandai_cache.rglob("*.npz")) and not list(BANDAI.rglob("*.npz"))  # nothing beside the data


def test_pool_and_direct_loads_agree(bandai) -> None:
    for motion in bandai.motions[::500]:
        np.testing.assert_array_equal(motion.positions, load_bvh(motion.path).positions)


def test_cache_key_follows_file_and_options(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("H2OT_CACHE", str(tmp_path / "cache"))
    folder = tmp_path / "clips"
    folder.mkdir()
    clip = Path(shutil.copy(need(CMU) / "09_01.bvh", folder / "09_01.bvh"))
    first = MocapDataset(folder)
    files = list((tmp_path / "cache").rglob("*.npz"))
    assert len(files) == 1
    MocapDataset(folder)
    assert len(list((tmp_path / "cache").rglob("*.npz"))) == 1  # a hit
    at30 = MocapDataset(folder, fps=30)  # other options: another entry
    assert len(list((tmp_path / "cache").rglob("*.npz"))) == 2
    assert at30[0].num_frames < first[0].num_frames
    # Editing the file (its size and time change) loads it afresh.
    text = clip.read_text().splitlines()
    frames = text.index("MOTION") + 1
    text[frames] = f"Frames: {int(text[frames].split()[1]) - 1}"
    clip.write_text("\n".join(text[:-1]) + "\n")
    os.utime(clip, ns=(time.time_ns(), time.time_ns() + 10**9))
    edited = MocapDataset(folder)
    assert edited[0].num_frames == first[0].num_frames - 1
    # A corrupt cache entry is ignored and replaced.
    for file in (tmp_path / "cache").rglob("*.npz"):
        file.write_bytes(b"garbage")
    assert MocapDataset(folder)[0].num_frames == edited[0].num_frames


def test_cache_never_writes_beside_the_data(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("H2OT_CACHE", raising=False)
    monkeypatch.setenv("HOME", str(tmp_path))
    assert mocap.cache_root() == tmp_path / ".cache" / "h2ot"
    monkeypatch.setenv("H2OT_CACHE", str(tmp_path / "elsewhere"))
    assert mocap.cache_root() == tmp_path / "elsewhere"


def test_folder_errors(tmp_path: Path) -> None:
    with pytest.raises(H2OTError, match="no such file or folder"):
        MocapDataset(tmp_path / "absent")
    with pytest.raises(H2OTError, match=r"holds no \.bvh"):
        MocapDataset(tmp_path)
