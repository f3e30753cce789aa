"""MHFormer: equivalence with the official models, preset sizes and FLOPs, every pruner through the hourglass."""

from __future__ import annotations

import pytest
import torch
from golden_vectors import CONDITIONED, load_golden

import h2ot.models.mhformer  # noqa: F401  (registers the backbone, presets and official models)
from h2ot.bench import count_flops
from h2ot.errors import H2OTError
from h2ot.hourglass.prune import ClusterPruner, PruneContext
from h2ot.models.mhformer import official_key_map
from h2ot.models.official import from_official
from h2ot.models.registry import build_model, create_model

TINY = {"backbone": "mhformer", "frames": 27, "dim": 16, "mlp_hidden": 24, "num_heads": 2, "encoder_depth": 1,
        "drop": 0.0, "drop_path": 0.0}
SCHEDULE = [[1, 13], [2, 5]]


@pytest.mark.parametrize("name", ["mhformer", "tpc_mhformer"])
def test_official_golden(name: str) -> None:
    meta, state, z = load_golden(name)
    model = from_official(name, state, **meta["config"])
    kept = [z["kept_index"]] if "kept_index" in z else None
    with torch.no_grad():
        out = model.predict(z["input"], kept=kept)
    ref = z["output"]
    assert out.poses.shape == ref.shape
    assert ((out.poses - ref).norm() / ref.norm()).item() <= 1e-5
    if kept is not None:
        assert torch.equal(out.frames, kept[0])


def test_converter_maps_the_small_clip_embedding() -> None:
    """Up to 27 frames the official embedding is Conv, BatchNorm, ReLU, Dropout (no golden covers it)."""
    ours = build_model(TINY).state_dict()
    official = {"embedding_3.0.weight": torch.zeros(1), "embedding_3.1.running_var": torch.zeros(1),
                "Transformer_hypothesis.SHR_blocks.1.attn_2.qkv.weight": torch.zeros(1),
                "Transformer_hypothesis.CHI_blocks.0.norm3_21.bias": torch.zeros(1)}
    assert set(official_key_map(official)) <= set(ours)


@pytest.fixture(scope="module")
def full_size():
    """The presets at full size, built once for the tests that need them."""
    models: dict[str, torch.nn.Module] = {}

    def get(name: str) -> torch.nn.Module:
        if name not in models:
            models[name] = create_model(name).eval()
        return models[name]

    return get


@pytest.mark.parametrize("name", ["mhformer", "tpc-mhformer", "h2ot-mhformer"])
def test_preset_parameter_counts(full_size, name: str) -> None:
    published = 31.52e6  # the hourglass of the seq2frame presets adds no parameter (no stage embedding)
    assert abs(sum(p.numel() for p in full_size(name).parameters()) / published - 1) <= 0.005


def test_hierarchical_preset_halves_the_flops(full_size) -> None:
    """The blocks halve them; TPC's distance matrices (a float64 matrix product, 2 t^2 D FLOPs per stage over the
    t frames in play, D = 3 * 512) add 0.42 G, counted too (the official TPC's cdist is invisible to the counter)."""
    x = torch.randn(1, 351, 17, 2)
    tpc = sum(2 * frames**2 * 3 * 512 for frames in (351, 117))
    assert count_flops(full_size("h2ot-mhformer"), x) - tpc <= 0.5 * count_flops(full_size("mhformer"), x)


@pytest.mark.parametrize("pruner", ["tpc", "tpa", "tpmo", "tps"])
@pytest.mark.parametrize(("pipeline", "recoverer"), [("seq2frame", None), ("seq2seq", "tra"), ("seq2seq", "tri")])
def test_pruners_shapes_and_gradients(pruner: str, pipeline: str, recoverer: str | None) -> None:
    torch.manual_seed(0)
    hourglass = {"pruner": pruner, "recoverer": recoverer, "schedule": SCHEDULE}
    model = build_model(dict(TINY, pipeline=pipeline, hourglass=hourglass)).train()
    if model.recoverer is not None and hasattr(model.recoverer, "queries"):
        torch.nn.init.normal_(model.recoverer.queries)
    x = torch.randn(2, 27, 17, 2)
    out = model.predict(x)
    frames = SCHEDULE[-1][1] if pipeline == "seq2frame" else 27
    assert out.poses.shape == (2, frames, 17, 3)
    assert [k.shape for k in out.kept] == [(2, tokens) for _, tokens in SCHEDULE]
    if pipeline == "seq2frame":
        assert bool((out.frames == model.centre).any(dim=1).all())
    out.poses.square().mean().backward()
    silent = [name for name, p in model.named_parameters() if p.grad is None or not p.grad.abs().sum() > 0]
    assert not silent, f"no gradient reached {silent}"


def test_every_hypothesis_attention_records_what_each_frame_received() -> None:
    backbone = build_model(TINY).backbone.eval()
    tokens = backbone.embed(torch.randn(2, 27, 17, 2))[:, :11]
    for block in (0, 2):  # an SHR block, the CHI block
        layers = backbone.temporal_attentions(block)
        assert len(layers) == 3
        for layer in layers:
            layer.record_received = True
        backbone.forward_block(block, tokens)
        for layer in layers:
            assert layer.received.shape == (2, 11)
            assert torch.allclose(layer.received.sum(dim=-1), torch.ones(2))


@pytest.mark.parametrize(("change", "words"), [
    ({"frames": 40}, "multiple of 9"),
    ({"dim": 15}, "multiple of num_heads"),
    ({"depth": 1}, "depth >= 2"),
    ({"hourglass": {"recoverer": None, "schedule": [[3, 5]]}, "pipeline": "seq2frame"}, "between 0 and 2"),
    ({"hourglass": {"recoverer": "tra", "schedule": [[1, 5]]}, "pipeline": "seq2frame"}, "no recoverer"),
    ({"heads": 4}, "no setting 'heads'"),
])
def test_bad_config(change: dict, words: str) -> None:
    with pytest.raises(H2OTError, match=words):
        build_model(dict(TINY, **change))


def test_official_tpc_layer_index_outside_the_shr_blocks() -> None:
    with pytest.raises(H2OTError, match="layer_index must be 0 or 1"):
        from_official("tpc_mhformer", {}, layer_index=2)


def test_official_tpc_mhformer_prunes_before_the_first_shr_block_with_layer_index_0() -> None:
    """As the official code (checked against it once, not stored: 5.9e-7 on these weights with its kept frames):
    TPC clusters the three embedded hypotheses of every frame, and no block sees the dropped frames."""
    meta, state, arrays = load_golden("tpc_mhformer", CONDITIONED)
    config = meta["config"] | {"layer_index": 0}
    model = from_official("tpc_mhformer", state, **config)
    x, frames, token_num = arrays["input"], config["frames"], config["token_num"]
    assert model.schedule.to_list() == [[0, token_num]]
    with torch.no_grad():
        out = model.predict(x)
        features = model.backbone.frame_features(model.backbone.embed(x))
    context = PruneContext(features, torch.arange(frames).expand(len(x), -1), x)
    assert torch.equal(out.kept[0], ClusterPruner().select(context, token_num, protect=model.centre))
    assert out.poses.shape == (len(x), token_num, 17, 3) and torch.equal(out.frames, out.kept[0])
