import itertools

import pytest
import torch

import h2ot
from h2ot.errors import H2OTError

TINY = {"frames": 27, "dim": 16, "mlp_hidden": 32, "depth": 4, "num_heads": 2}
PRUNERS = ("tpc", "tpa", "tpmo", "tps")


def tiny(pipeline="seq2seq", **hourglass):
    return h2ot.create_model("mixste", **TINY, pipeline=pipeline, hourglass=hourglass or None)


def randomise_recovery_queries(model):
    # TRA's queries start at zero, which leaves the query projection's weight without a gradient at step 0.
    if model.recoverer is not None and hasattr(model.recoverer, "queries"):
        torch.nn.init.normal_(model.recoverer.queries)


@pytest.mark.parametrize(("pruner", "recoverer"), list(itertools.product(PRUNERS, ("tra", "tri"))))
def test_seq2seq_combinations_give_every_frame_and_train_every_parameter(pruner, recoverer):
    model = tiny(pruner=pruner, recoverer=recoverer, schedule=[[1, 13], [3, 5]])
    randomise_recovery_queries(model)
    out = model.predict(torch.randn(2, 27, 17, 2))
    assert out.poses.shape == (2, 27, 17, 3)
    assert out.frames.tolist() == [list(range(27))] * 2
    assert [k.shape for k in out.kept] == [(2, 13), (2, 5)]
    for stage, kept in enumerate(out.kept):
        assert torch.equal(kept, kept.sort(dim=1).values)
        if stage:
            assert all(set(kept[b].tolist()) <= set(out.kept[stage - 1][b].tolist()) for b in range(2))
    out.poses.square().mean().backward()
    silent = [name for name, p in model.named_parameters() if p.grad is None or not p.grad.abs().sum()]
    assert silent == []


@pytest.mark.parametrize("pruner", PRUNERS)
def test_seq2frame_keeps_the_centre_and_returns_the_kept_frames(pruner):
    model = tiny("seq2frame", pruner=pruner, recoverer=None, schedule=[[1, 9], [2, 4]])
    out = model.predict(torch.randn(3, 27, 17, 2))
    assert out.poses.shape == (3, 4, 17, 3)
    assert torch.equal(out.frames, out.kept[-1])
    assert (out.frames == 13).any(dim=1).all()
    out.poses.square().mean().backward()
    assert all(p.grad is not None and p.grad.abs().sum() > 0 for p in model.parameters())


def test_plain_backbone_equals_the_hourglass_without_stages():
    model = tiny().eval()
    x = torch.randn(2, 27, 17, 2)
    torch.testing.assert_close(model(x), model.backbone(x))


def test_replaying_kept_frames_reproduces_the_output():
    model = tiny(pruner="tpc", recoverer="tra", schedule=[[1, 13], [2, 6]]).eval()
    x = torch.randn(2, 27, 17, 2)
    first = model.predict(x)
    again = model.predict(x, kept=first.kept)
    torch.testing.assert_close(again.poses, first.poses)
    flipped = model.predict(x.flip(-1), kept=first.kept)  # e.g. a flipped copy keeps the same frames
    assert all(torch.equal(a, b) for a, b in zip(flipped.kept, first.kept, strict=True))
    with pytest.raises(H2OTError, match="stages"):
        model.predict(x, kept=first.kept[:1])


def test_pruning_changes_the_cost_not_the_interface():
    full, pruned = tiny(), tiny(pruner="tps", recoverer="tri", schedule=[[1, 9]])
    x = torch.randn(1, 27, 17, 2)
    assert full(x).shape == pruned(x).shape


@pytest.mark.parametrize(("kwargs", "message"), [
    ({"recoverer": "tri", "schedule": [[1, 1]]}, "at least 2 kept frames"),
    ({"recoverer": None, "schedule": [[1, 9]]}, "needs a recoverer"),
    ({"recoverer": "trx", "schedule": [[1, 9]]}, "unknown recoverer"),
    ({"pruner": "tpx", "schedule": [[1, 9]]}, "unknown pruner"),
    ({"schedule": [[1, 27]]}, "fewer tokens"),
    ({"schedule": [[4, 9]]}, "between 1 and 3"),
    ({"schedule": [[0, 9]]}, r"blocks before 1 always see every frame"),  # MixSTE's block 0 adds time embeddings
    ({"tokens": 9}, "no setting 'tokens'"),
])
def test_invalid_hourglasses_fail_at_construction(kwargs, message):
    with pytest.raises(H2OTError, match=message):
        tiny(**kwargs)


def test_seq2frame_takes_no_recoverer():
    with pytest.raises(H2OTError, match="no recoverer"):
        tiny("seq2frame", recoverer="tra", schedule=[[1, 9]])


@pytest.mark.parametrize(("shape", "message"), [
    ((2, 26, 17, 2), "27 frames"),
    ((2, 27, 16, 2), "17 joints"),
    ((2, 27, 17, 3), "2 channels"),
    ((27, 17, 2), "shape"),
])
def test_bad_input_shapes_are_named(shape, message):
    with pytest.raises(H2OTError, match=message):
        tiny()(torch.randn(shape))


def test_nan_input_is_refused():
    x = torch.randn(1, 27, 17, 2)
    x[0, 3, 4, 0] = float("nan")
    with pytest.raises(H2OTError, match="NaN"):
        tiny()(x)


def test_float64_integer_and_numpy_inputs_are_converted_to_the_models_dtype():
    model = tiny().eval()
    x = torch.randn(2, 27, 17, 2)
    expected = model(x)
    for given in (x.double(), x.numpy(), x.double().numpy()):
        torch.testing.assert_close(model(given), expected, rtol=0, atol=0)
    pixels = torch.randint(-5, 5, (1, 27, 17, 2))
    torch.testing.assert_close(model(pixels), model(pixels.float()), rtol=0, atol=0)
    assert model(pixels.numpy()).dtype == torch.float32


@pytest.mark.parametrize(("given", "message"), [
    (torch.zeros(0, 27, 17, 2), "the batch holds no clip"),
    ("keypoints", "a tensor or a NumPy array of numbers, got str"),
    (torch.zeros(1, 27, 17, 2, dtype=torch.bool), "real numbers, got torch.bool"),
])
def test_inputs_that_are_no_keypoints_are_named(given, message):
    with pytest.raises(H2OTError, match=message):
        tiny().eval()(given)


@pytest.mark.parametrize(("overrides", "message"), [
    ({"frames": -5}, "frames is a size and must be at least 1, got -5"),
    ({"frames": 0}, "frames is a size and must be at least 1, got 0"),
    ({"frames": "abc"}, "the model setting frames takes a whole number, got 'abc'"),
    ({"dim": 2.5}, "the model setting dim takes a whole number, got 2.5"),
    ({"drop_path": "high"}, "the model setting drop_path takes a number, got 'high'"),
    ({"hourglass": "tpc"}, "the model setting hourglass takes a mapping or null, got 'tpc'"),
    ({"hourglass": {"pruner": "tpc", "recoverer": "tra", "schedule": [[1, 5]], "position_embedding": "yes"}},
     "the hourglass setting position_embedding takes true or false, got 'yes'"),
])
def test_bad_model_settings_are_one_sentence(overrides, message):
    with pytest.raises(H2OTError, match=message):
        h2ot.create_model("mixste", **overrides)


def test_unknown_model_and_backbone_settings_are_named():
    with pytest.raises(H2OTError, match="unknown model"):
        h2ot.create_model("mixste-xxl")
    with pytest.raises(H2OTError, match="no setting 'channels'"):
        h2ot.create_model("mixste", channels=3)


def test_a_frames_override_scales_the_preset_pyramid():
    assert h2ot.resolve_config("hot-mixste", frames=81)["hourglass"]["schedule"] == [[3, 27]]
    assert h2ot.resolve_config("hot-mixste", frames=6)["hourglass"]["schedule"] == [[3, 2]]
    with pytest.raises(H2OTError, match=r"hot-mixste's schedule \[\[3, 81\]\] .* cannot be scaled to 5 frames.* "
                                        r"give at least 6 frames"):
        h2ot.resolve_config("hot-mixste", frames=5)
    with pytest.raises(H2OTError, match="give at least 12 frames"):  # 41 of 243 frames: 2 of 12
        h2ot.resolve_config("h2ot-mixste", frames=11)
    given = {"pruner": "tps", "recoverer": "tri", "schedule": [[1, 30]]}
    assert h2ot.resolve_config("hot-mixste", frames=81, hourglass=given)["hourglass"] == given
