"""Clip windows and the torch Dataset over them."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from torch.utils.data import DataLoader

from h2ot.data import ClipDataset, Sequence, centred_windows, evaluation_windows, flip, training_windows
from h2ot.errors import H2OTError


def make_sequence(frames: int, name: str = "s", valid=None, channels: int = 3) -> Sequence:
    t = np.arange(frames, dtype=np.float32)
    keypoints = np.broadcast_to(t[:, None, None], (frames, 17, channels)).copy()
    keypoints[..., 0] += np.arange(17) / 100  # every joint distinguishable
    poses = np.broadcast_to(t[:, None, None], (frames, 17, 3)).copy() + np.arange(17)[:, None] / 100
    return Sequence(keypoints=keypoints, poses=poses, name=name, fps=30.0, valid=valid)


def test_training_windows() -> None:
    w = training_windows(100, 27, 9)
    assert w.shape[1] == 27 and w[0, 0] == 0 and w[-1, -1] == 99
    assert set(np.unique(w)) == set(range(100))
    np.testing.assert_array_equal(np.diff(w[:, 0])[:-1], 9)
    short = training_windows(5, 8, 3)
    np.testing.assert_array_equal(short, [[0, 1, 2, 3, 4, 4, 4, 4]])  # edge replication
    with pytest.raises(H2OTError):
        training_windows(10, 4, 0)


@pytest.mark.parametrize("n", [1, 26, 27, 28, 100, 243])
def test_evaluation_windows_predict_every_frame_once(n: int) -> None:
    indices, real = evaluation_windows(n, 27)
    np.testing.assert_array_equal(indices[real], np.arange(n))
    assert real.sum() == n
    assert (indices[~real] == n - 1).all()  # the padding repeats the last frame


def test_centred_windows() -> None:
    w = centred_windows(10, 5)
    assert w.shape == (10, 5)
    np.testing.assert_array_equal(w[:, 2], np.arange(10))
    np.testing.assert_array_equal(w[0], [0, 0, 0, 1, 2])
    np.testing.assert_array_equal(w[-1], [7, 8, 9, 9, 9])
    with pytest.raises(H2OTError, match="odd"):
        centred_windows(10, 4)


def test_batches_through_a_dataloader() -> None:
    sequences = [make_sequence(100, "a"), make_sequence(40, "b")]
    dataset = ClipDataset(sequences, frames=27, stride=9)
    batch = next(iter(DataLoader(dataset, batch_size=4, shuffle=False)))
    assert batch["keypoints"].shape == (4, 27, 17, 3) and batch["keypoints"].dtype == torch.float32
    assert batch["poses"].shape == (4, 27, 17, 3)
    assert batch["mask"].shape == (4, 27) and batch["mask"].all()
    np.testing.assert_array_equal(batch["frames"][1].numpy(), np.arange(9, 36))
    np.testing.assert_allclose(batch["poses"][1, :, 0, 0].numpy(), np.arange(9, 36))
    two = ClipDataset([make_sequence(50, channels=2)], frames=9)
    assert two[0]["keypoints"].shape == (9, 17, 2)


def test_evaluation_reassembles_every_frame_once() -> None:
    """Scatter 'predictions' (here the targets) back with frames and mask: each frame exactly once."""
    sequences = [make_sequence(100, "a"), make_sequence(30, "b")]
    dataset = ClipDataset(sequences, frames=27, train=False)
    counts = [np.zeros(s.num_frames, int) for s in sequences]
    rebuilt = [np.zeros_like(s.poses) for s in sequences]
    for batch in DataLoader(dataset, batch_size=3):
        for b in range(len(batch["sequence"])):
            s, mask = int(batch["sequence"][b]), batch["mask"][b].numpy()
            frames = batch["frames"][b].numpy()[mask]
            counts[s][frames] += 1
            rebuilt[s][frames] = batch["poses"][b].numpy()[mask]
    for s, seq in enumerate(sequences):
        assert (counts[s] == 1).all()
        np.testing.assert_array_equal(rebuilt[s], seq.poses)


def test_seq2frame_and_valid_flags() -> None:
    valid = np.ones(20, bool)
    valid[5:8] = False
    dataset = ClipDataset([make_sequence(20, valid=valid)], frames=9, mode="seq2frame")
    assert len(dataset) == 20
    item = dataset[6]
    np.testing.assert_array_equal(item["frames"].numpy(), np.arange(2, 11))
    assert not item["mask"].any()  # centre frame 6 is not valid
    assert dataset[10]["mask"].tolist() == [False] * 4 + [True] + [False] * 4
    evaluation = ClipDataset([make_sequence(20, valid=valid)], frames=9, train=False)
    assert sum(int(evaluation[i]["mask"].sum()) for i in range(len(evaluation))) == 17


def test_flip_augmentation_in_the_dataset() -> None:
    sequence = make_sequence(30)
    always = ClipDataset([sequence], frames=9, flip=1.0)
    never = ClipDataset([sequence], frames=9, flip=0.0)
    a, b = always[0], never[0]
    torch.testing.assert_close(a["keypoints"], flip(b["keypoints"]))
    torch.testing.assert_close(a["poses"], flip(b["poses"]))
    evaluation = ClipDataset([sequence], frames=9, train=False, flip=1.0)
    torch.testing.assert_close(evaluation[0]["poses"], b["poses"])  # no augmentation in evaluation


def test_bad_arguments() -> None:
    with pytest.raises(H2OTError, match="mode"):
        ClipDataset([make_sequence(10)], frames=9, mode="frame2frame")
    with pytest.raises(H2OTError, match="at least one sequence"):
        ClipDataset([], frames=9)
    with pytest.raises(H2OTError, match="same frames"):
        Sequence(keypoints=np.zeros((5, 17, 2)), poses=np.zeros((6, 17, 3)), name="x", fps=30)
