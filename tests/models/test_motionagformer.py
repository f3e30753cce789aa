"""MotionAGFormer: official equivalence, published sizes, every pruner x recoverer, config errors."""

from __future__ import annotations

import pytest
import torch
from golden_vectors import load_golden, relative_error

import h2ot.models.motionagformer  # noqa: F401  (registers the backbone, presets and official models)
from h2ot.errors import H2OTError
from h2ot.hourglass.prune import ClusterPruner, PruneContext
from h2ot.models.agformer_graph import TemporalGraphConv
from h2ot.models.motionagformer import MotionAGFormer, official_hot_motionagformer
from h2ot.models.official import from_official, official_config_names
from h2ot.models.registry import build_model, create_model


@pytest.mark.parametrize("name", ["motionagformer", "hot_motionagformer"])
def test_official_config_names(name: str) -> None:
    meta, *_ = load_golden(name)
    assert set(official_config_names(name)) == set(meta["config"])


def test_golden_motionagformer() -> None:
    meta, state, arrays = load_golden("motionagformer")
    x, ref = arrays["input"], arrays["output"]
    model = from_official("motionagformer", state, **meta["config"])
    with torch.no_grad():
        assert relative_error(model(x), ref) <= 1e-5


def test_golden_hot_motionagformer() -> None:
    # With random weights the official TPC's choice was made by its tie-breaking noise: replay its kept_index. That
    # checks everything after the selection: the 9-frame layers, pos_embed_token, TRA.
    meta, state, arrays = load_golden("hot_motionagformer")
    x, ref, kept = arrays["input"], arrays["output"], arrays["kept_index"]
    model = from_official("hot_motionagformer", state, **meta["config"])  # fails unless every key is used
    with torch.no_grad():
        assert relative_error(model.predict(x, kept=[kept]).poses, ref) <= 1e-5
        fresh = model.predict(x)  # our TPC's own choice: not compared
    assert fresh.poses.shape == ref.shape and fresh.kept[0].shape == kept.shape


@pytest.mark.parametrize(("maxlen", "n_layers", "layer_index", "built_for"), [
    (11, 3, 0, [5, 5, 5]),  # on the embedding: every layer is built for the kept frames
    (11, 3, 2, [11, 11, 5]),
    (15, 5, 4, [15, 15, 15, 15, 5]),
])
def test_official_hot_motionagformer_at_other_depths_frames_and_layer_indices(
        maxlen: int, n_layers: int, layer_index: int, built_for: list[int]) -> None:
    """Checked against the official code once (not stored) for layer_index 0, 2 and 3 of the golden's size: 2.7e-7
    with its kept frames, and the same frames chosen."""
    torch.manual_seed(0)
    model = official_hot_motionagformer(maxlen=maxlen, n_layers=n_layers, dim_feat=16, num_heads=2, neighbour_num=2,
                                        token_num=5, layer_index=layer_index).eval()
    assert model.backbone.block_frames == built_for
    x, backbone = torch.randn(2, maxlen, 17, 3), model.backbone
    with torch.no_grad():
        out = model.predict(x)
        tokens = backbone.embed(x)
        for index in range(layer_index):
            tokens = backbone.forward_block(index, tokens)
    context = PruneContext(backbone.frame_features(tokens), torch.arange(maxlen).expand(2, -1), x)
    assert torch.equal(out.kept[0], ClusterPruner().select(context, 5))
    assert out.poses.shape == (2, maxlen, 17, 3)


# Published sizes (MotionAGFormer README / paper; B from the reference README). XS is published as "2.2 M",
# rounded to 0.1 M: the official architecture at that size has 2.24 M, so it gets the rounding as tolerance.
@pytest.mark.parametrize(("name", "published", "tolerance"), [
    ("motionagformer-xs", 2.2e6, 0.05e6),
    ("motionagformer-s", 4.8e6, 0.005 * 4.8e6),
    ("motionagformer-b", 11.72e6, 0.005 * 11.72e6),
    ("motionagformer-l", 19.0e6, 0.005 * 19.0e6),
    ("hot-motionagformer-b", 11.83e6, 0.005 * 11.83e6),
])
def test_preset_parameter_counts(name: str, published: float, tolerance: float) -> None:
    count = sum(p.numel() for p in create_model(name).parameters())
    assert abs(count - published) <= tolerance, f"{name}: {count} parameters"


def test_hierarchical_preset_is_built_per_stage() -> None:
    model = create_model("h2ot-motionagformer-b")
    assert len(model.schedule) >= 2
    assert [layer.graph_temporal.mixer.batch_norm.num_features for layer in model.backbone.layers] == \
        model.backbone.block_frames == model.schedule.block_frames(243, 16)


TINY = {"backbone": "motionagformer", "frames": 9, "dim": 16, "n_layers": 3, "dim_rep": 16, "num_heads": 2,
        "neighbour_num": 2}


@pytest.mark.parametrize("recoverer", ["tra", "tri"])
@pytest.mark.parametrize("pruner", ["tpc", "tpa", "tpmo", "tps"])
def test_every_pruner_and_recoverer(pruner: str, recoverer: str) -> None:
    torch.manual_seed(0)
    model = build_model(TINY | {"hourglass": {"pruner": pruner, "recoverer": recoverer, "schedule": [[1, 6], [2, 3]]}})
    assert [layer.graph_temporal.mixer.batch_norm.num_features for layer in model.backbone.layers] == [9, 6, 3]
    if model.recoverer is not None and hasattr(model.recoverer, "queries"):
        torch.nn.init.normal_(model.recoverer.queries)  # zero at init, which leaves linear_q without gradient
    x = torch.randn(2, 9, 17, 3)
    result = model.predict(x)
    assert result.poses.shape == (2, 9, 17, 3)
    assert [k.shape for k in result.kept] == [(2, 6), (2, 3)]
    result.poses.square().mean().backward()
    starved = [name for name, p in model.named_parameters() if p.requires_grad and (p.grad is None or not p.grad.any())]
    assert not starved, f"no gradient reaches {starved}"


def test_depth_setting_is_n_layers() -> None:
    assert MotionAGFormer.count_blocks({"n_layers": 5}) == 5
    assert MotionAGFormer.count_blocks({}) == 16
    model = build_model(TINY | {"n_layers": 4, "hourglass": {"schedule": [[3, 5]]}})
    assert model.backbone.depth == 4 and model.backbone.block_frames == [9, 9, 9, 5]


def test_tiny_temporal_attention_is_batch_major() -> None:
    model = build_model(TINY).eval()
    layer = model.backbone.temporal_attentions(0)[0]
    layer.record_received = True
    with torch.no_grad():
        model.backbone.forward_block(0, torch.randn(2, 9, 17, 16))
    assert layer.received.shape == (2 * 17, 9)
    assert torch.allclose(layer.received.reshape(2, -1, 9).sum(dim=-1), torch.ones(2, 17))


@pytest.mark.parametrize(("overrides", "message"), [
    ({"dim": 15}, "divisible by num_heads"),
    ({"num_joints": 16}, "17-joint"),
    ({"neighbour_num": 0}, "at least 1"),
    ({"n_layers": 2, "hourglass": {"schedule": [[2, 4]]}}, "block must be between"),
    ({"depth": 4}, "no setting 'depth'"),
])
def test_bad_config(overrides: dict, message: str) -> None:
    with pytest.raises(H2OTError, match=message):
        build_model(TINY | overrides)


def test_wrong_frame_count_is_explained() -> None:
    with pytest.raises(H2OTError, match="built for 9 frames"):
        TemporalGraphConv(16, 9, 2)(torch.randn(1, 5, 17, 16))
