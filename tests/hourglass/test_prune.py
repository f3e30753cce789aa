from pathlib import Path

import numpy as np
import pytest
import torch
from golden_vectors import CONDITIONED, load_golden

import h2ot
from h2ot.errors import H2OTError
from h2ot.hourglass.prune import (
    ClusterPruner,
    MotionPruner,
    PruneContext,
    SamplingPruner,
    denser_than,
    make_pruner,
    squared_distances,
    top_positions,
)

WALK = Path(__file__).resolve().parents[2].parent / "shared" / "data" / "bandai-namco" / "dataset-1" / "data" / \
    "dataset-1_walk_normal_001.bvh.gz"


def context(features=None, frames=None, keypoints=None, attention=None, t=6):
    features = features if features is not None else torch.zeros(1, t, 4)
    batch, t = features.shape[:2]
    frames = frames if frames is not None else torch.arange(t).expand(batch, -1)
    keypoints = keypoints if keypoints is not None else torch.zeros(batch, t, 17, 2)
    return PruneContext(features, frames, keypoints, attention)


def test_tpc_keeps_one_peak_per_cluster_then_the_outlier():
    # Two tight pairs far apart and one point half way. The frames of a pair have exactly equal densities and the
    # earlier one counts as the denser, so the peaks are frames 0 and 3, in either direction of time; the outlier
    # comes next (far from anything denser), the second frame of each pair last.
    x = torch.tensor([0.0, 0.01, 0.5, 1.0, 1.01]).view(1, 5, 1)
    for features in (x, x.flip(1)):
        assert ClusterPruner().select(context(features), 2)[0].tolist() == [0, 3]
        assert ClusterPruner().select(context(features), 3)[0].tolist() == [0, 2, 3]


def test_tpc_score_matches_the_density_peak_definition():
    x = torch.tensor([0.0, 0.01, 0.5, 1.0, 1.01]).view(1, 5, 1)
    score = ClusterPruner().score(context(x))[0]
    # outlier: density exp(-(0.49^2)/2), distance to the nearest denser frame 0.49
    assert score[2].item() == pytest.approx(torch.exp(torch.tensor(-(0.49**2) / 2)).item() * 0.49, rel=1e-4)
    # the densest frame of the clip gets the largest distance of the clip (1.01)
    assert score.max().item() == pytest.approx(torch.exp(torch.tensor(-(0.01**2) / 2)).item() * 1.01, rel=1e-4)


def test_distances_are_exact_symmetric_and_zero_between_identical_frames():
    torch.manual_seed(0)
    x = torch.randn(2, 64, 256) * 3 + 40  # a large common offset: float32 cdist is off by 1e-4 of the largest
    x[:, 50] = x[:, 7]
    squared = squared_distances(x)
    assert squared.dtype == torch.float64 and torch.equal(squared, squared.mT)
    assert not squared.diagonal(dim1=1, dim2=2).any() and not squared[:, 50, 7].any()
    exact = (x.double()[:, :, None] - x.double()[:, None]).square().sum(dim=-1)
    assert ((squared - exact).abs().max() / exact.max()).item() < 1e-13


def test_ties_go_to_the_earlier_frame():
    denser = denser_than(torch.tensor([[0.2, 0.1, 0.2, 0.1]]))[0]  # [i, j]: j is denser than i
    assert denser.tolist() == [[False, True, False, True], [False, False, False, False],
                               [True, True, False, True], [False, True, False, False]]
    assert top_positions(torch.tensor([[1.0, 3.0, 3.0, 1.0, 0.0], [0.0] * 5]), 3).tolist() == [[1, 2, 0], [0, 1, 2]]


def test_tpc_chooses_the_official_frames_of_tpc_function_npz():
    meta, _, arrays = load_golden("tpc_function", CONDITIONED)
    for case in meta["cases"]:
        tokens, official = arrays[f"tokens_{case['case']}"], arrays[f"index_{case['case']}"]
        pruner, centre = ClusterPruner(k=case["k"]), case["center"]
        if centre is None:
            kept = pruner.select(context(tokens), case["cluster_num"]).tolist()
        else:  # the official centre variant returns the chosen frames without the centre
            kept = pruner.select(context(tokens), case["cluster_num"] + 1, protect=centre).tolist()
            kept = [[frame for frame in row if frame != centre] for row in kept]
        assert [set(row) for row in kept] == [set(row) for row in official.tolist()], case["case"]


@pytest.fixture(scope="module")
def walking() -> torch.Tensor:
    """Three 81-frame windows of 2D keypoints of a real walk (Bandai Namco mocap, filmed by a virtual camera)."""
    if not WALK.is_file():
        pytest.skip(f"{WALK} is absent (the project's ../shared/data is not beside this checkout)")
    from h2ot.data import evaluation_rig, load_bvh, view_motion

    motion = load_bvh(WALK)
    keypoints = view_motion(motion, evaluation_rig(motion.positions)[1], confidence=False).keypoints
    return torch.from_numpy(np.stack([keypoints[start:start + 81] for start in (0, 57, 114)]))


def noisy_tpc(features: torch.Tensor, keep: int) -> list:
    """The official TPC's choice: float32 densities plus U(0, 1e-6) noise, strictly denser only."""
    distance = (squared_distances(features) / features.shape[-1]).sqrt().float()
    density = (-distance.topk(2, dim=-1, largest=False).values.square().mean(dim=-1)).exp()
    density = density + torch.rand_like(density) * 1e-6
    denser = density[:, None, :] > density[:, :, None]
    largest = distance.flatten(1).max(dim=-1).values[:, None, None]
    score = torch.where(denser, distance, largest).min(dim=-1).values * density
    return score.topk(keep, dim=-1).indices.sort(dim=-1).values.tolist()


def test_tpc_keeps_the_same_frames_on_every_run_of_real_motion(walking):
    torch.manual_seed(0)
    model = h2ot.create_model("mixste", frames=81, dim=32, mlp_hidden=64, depth=4, num_heads=4,
                              hourglass={"pruner": "tpc", "recoverer": "tra", "schedule": [[1, 41], [2, 21]]}).eval()
    with torch.no_grad():
        features = model.backbone.frame_features(model.backbone.forward_block(0, model.backbone.embed(walking)))
        runs = []
        for seed in range(3):
            torch.manual_seed(seed)  # the official TPC's noise would differ from run to run
            runs.append(model.predict(walking))
    # What makes it matter: every window has frames of exactly equal density (mutual nearest neighbours), and the
    # official noise decides between them, differently on every run.
    nearest = squared_distances(features).topk(2, dim=-1, largest=False).values[..., 1]
    assert all(len(row.unique()) < len(row) for row in nearest)
    torch.manual_seed(0)
    assert noisy_tpc(features, 41) != noisy_tpc(features, 41)
    for run in runs[1:]:
        assert all(map(torch.equal, run.kept, runs[0].kept)) and torch.equal(run.poses, runs[0].poses)


def test_protected_frame_is_always_kept_and_output_sorted():
    x = torch.tensor([0.0, 0.01, 0.5, 1.0, 1.01]).view(1, 5, 1)
    kept = ClusterPruner().select(context(x), 2, protect=2)[0].tolist()
    assert 2 in kept and kept == sorted(kept)


def test_tps_is_uniform_keeps_both_ends_and_moves_the_nearest_sample_onto_the_centre():
    ctx = context(t=9)
    assert SamplingPruner().select(ctx, 5)[0].tolist() == [0, 2, 4, 6, 8]
    assert SamplingPruner().select(ctx, 3)[0].tolist() == [0, 4, 8]
    ctx = context(t=10)
    assert SamplingPruner().select(ctx, 4)[0].tolist() == [0, 3, 6, 9]
    assert SamplingPruner().select(ctx, 4, protect=4)[0].tolist() == [0, 4, 6, 9]


def test_tpmo_scores_motion_between_consecutive_frames_in_play():
    keypoints = torch.zeros(1, 6, 17, 2)
    keypoints[0, 3, 0, 0] = 3.0  # joint 0 jumps at frame 3 and stays
    keypoints[0, 4:, 0, 0] = 3.0
    keypoints[0, 5, 1, 1] = 4.0  # joint 1 moves at frame 5
    score = MotionPruner().score(context(keypoints=keypoints, t=6))[0]
    assert score.tolist() == [0.0, 0.0, 0.0, 3.0, 0.0, 4.0]
    assert MotionPruner().select(context(keypoints=keypoints, t=6), 2)[0].tolist() == [3, 5]
    # among frames in play [0, 2, 4], frame 4 moved by 3 from frame 2
    sub = MotionPruner().score(context(torch.zeros(1, 3, 4), torch.tensor([[0, 2, 4]]), keypoints))[0]
    assert sub.tolist() == [0.0, 0.0, 3.0]


def test_tpa_keeps_the_most_attended_frames():
    attention = torch.tensor([[0.1, 0.4, 0.05, 0.3, 0.15]])
    kept = make_pruner("tpa").select(context(torch.zeros(1, 5, 2), attention=attention), 2)
    assert kept[0].tolist() == [1, 3]
    with pytest.raises(H2OTError, match="attention"):
        make_pruner("tpa").select(context(torch.zeros(1, 5, 2)), 2)


def test_unknown_pruner_is_named():
    with pytest.raises(H2OTError, match="tpc, tpa, tpmo, tps"):
        make_pruner("tpx")
