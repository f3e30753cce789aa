"""Elastic hourglasses: one set of weights at any budget; the budget decides the kept counts, nothing else."""

import numpy as np
import pytest
import torch

import h2ot
from h2ot.errors import H2OTError


def elastic(pruner="tps", recoverer="tri", schedule=((1, 13), (2, 7)), **overrides) -> h2ot.HourglassModel:
    torch.manual_seed(0)
    model = h2ot.create_model("mixste", frames=27, dim=16, mlp_hidden=32, depth=4, num_heads=2, hourglass={
        "pruner": pruner, "recoverer": recoverer, "schedule": [list(s) for s in schedule], "elastic": True},
        **overrides).eval()
    with torch.no_grad():  # the stage embeddings and TRA's queries start at zero: move them
        for parameter in model.parameters():
            parameter.add_(0.02 * torch.randn_like(parameter))
    return model


def clips(batch=2, seed=0) -> torch.Tensor:
    return torch.randn(batch, 27, 17, 2, generator=torch.Generator().manual_seed(seed))


def test_its_own_budget_is_its_schedule_and_others_keep_what_the_budget_says():
    model, x = elastic(), clips()
    with torch.no_grad():
        trained = model.predict(x)
        np.testing.assert_array_equal(model.predict(x, budget=7 / 27).poses, trained.poses)
        quarter = model.predict(x, budget=0.1)
    assert [k.shape[1] for k in trained.kept] == [13, 7]
    assert [k.shape[1] for k in quarter.kept] == [5, 3]  # 13 and 7 times 0.1 * 27 / 7, rounded
    assert quarter.poses.shape == trained.poses.shape == (2, 27, 17, 3)
    assert not torch.allclose(quarter.poses, trained.poses)


def test_budget_one_is_the_backbone_unpruned():
    model, x = elastic(), clips()
    with torch.no_grad():
        out = model.predict(x, budget=1.0)
        np.testing.assert_allclose(out.poses, model.backbone(x), atol=1e-6)  # TRI on every frame is the identity
    assert out.kept == []


def test_the_stage_embedding_follows_the_kept_frames_not_their_count():
    """Elastic: a full-length table per stage, read at the kept clip frames."""
    model = elastic(pruner="tpc", recoverer="tra")
    assert [tuple(e.shape) for e in model.stage_embeddings] == [(1, 27, 1, 16)] * 2
    with torch.no_grad():
        x = clips(1, seed=3)
        base = model.predict(x, budget=0.2)
        shift = torch.randn(16, generator=torch.Generator().manual_seed(0))  # not constant: LayerNorm removes that
        table = model.stage_embeddings[0]
        saved = table.clone()
        table[0, base.kept[0][0, 0]] += shift  # a frame this budget keeps at stage 0
        moved = model.predict(x, budget=0.2)
        table.copy_(saved)
        unkept = torch.ones(27, dtype=torch.bool)
        unkept[base.kept[0][0]] = False
        table[0, unkept] += shift  # the frames it drops
        still = model.predict(x, budget=0.2, kept=base.kept)
    assert not torch.allclose(moved.poses, base.poses)
    np.testing.assert_array_equal(still.poses, base.poses)


def test_a_model_runs_at_its_set_budget_when_a_call_gives_none():
    model, x = elastic(), clips()
    with torch.no_grad():
        expected = model.predict(x, budget=0.3).poses
        np.testing.assert_array_equal(model.set_budget(0.3)(x), expected)
        np.testing.assert_array_equal(model.set_budget(None)(x), model.predict(x, budget=7 / 27).poses)


def test_what_cannot_run_at_a_budget_is_one_sentence():
    plain = h2ot.create_model("mixste", frames=27, dim=16, mlp_hidden=32, depth=4, num_heads=2,
                              hourglass={"pruner": "tps", "recoverer": "tri", "schedule": [[1, 13]]})
    with pytest.raises(H2OTError, match="trained for its schedule alone: a budget needs an elastic model"):
        plain.predict(clips(), budget=0.5)
    with pytest.raises(H2OTError, match="a number in"):
        elastic().set_budget(2.0)
    with pytest.raises(H2OTError, match="builds each block for its frame count"):
        h2ot.create_model("motionagformer-xs", frames=27, hourglass={"pruner": "tpc", "recoverer": "tra",
                                                                    "schedule": [[1, 13]], "elastic": True})
    with pytest.raises(H2OTError, match="give it a schedule to scale"):
        h2ot.create_model("mixste", frames=27, dim=16, mlp_hidden=32, depth=4, num_heads=2,
                          hourglass={"schedule": [], "elastic": True})
