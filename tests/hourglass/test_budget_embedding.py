"""Budget embeddings: a learned vector per budget, interpolated in log between anchors, zero at the start."""

import numpy as np
import pytest
import torch

import h2ot
from h2ot.errors import H2OTError
from h2ot.hourglass.budget_embedding import anchor_weights


def test_the_anchors_are_spaced_in_log_and_a_count_between_two_shares_them():
    assert anchor_weights(81, 81) == [1.0, 0.0, 0.0, 0.0, 0.0]  # no pruning
    assert anchor_weights(1, 81) == [0.0, 0.0, 0.0, 0.0, 1.0]  # one frame
    np.testing.assert_allclose(anchor_weights(9, 81), [0, 0, 1, 0, 0], atol=1e-12)  # 81, 27, 9, 3, 1 frames
    upper = np.log(9 / 8) / np.log(3)  # 8 frames: 10.7% of the way in log from the anchor at 9 to the one at 3
    np.testing.assert_allclose(anchor_weights(8, 81), [0, 0, 1 - upper, upper, 0], atol=1e-12)
    assert sum(anchor_weights(40, 81, anchors=7)) == pytest.approx(1.0)
    with pytest.raises(ValueError, match="a stage keeps 1 to 81 frames, got 0"):
        anchor_weights(0, 81)


def models(where="stages"):
    """The same elastic model with and without budget embeddings (at the tables' start: zero)."""
    config = dict(frames=27, dim=16, mlp_hidden=32, depth=4, num_heads=2)
    hourglass = {"pruner": "tps", "recoverer": "tri", "schedule": [[1, 13], [2, 7]], "elastic": True}
    torch.manual_seed(0)
    plain = h2ot.create_model("mixste", **config, hourglass=hourglass).eval()
    with torch.no_grad():
        for parameter in plain.parameters():
            parameter.add_(0.02 * torch.randn_like(parameter))
    embedded = h2ot.create_model("mixste", **config, hourglass=hourglass | {"budget_embedding": where}).eval()
    missing = embedded.load_state_dict(plain.state_dict(), strict=False).missing_keys
    assert missing == [f"budget_embedding.tables.{i}" for i in range(2 if where == "stages" else 4)]
    return plain, embedded


@pytest.mark.parametrize("where", ["stages", "blocks"])
def test_zero_tables_change_nothing(where):
    plain, embedded = models(where)
    x = torch.randn(2, 27, 17, 2, generator=torch.Generator().manual_seed(1))
    assert [tuple(t.shape) for t in embedded.budget_embedding.tables] == [(5, 17, 16)] * (2 if where == "stages" else 4)
    with torch.no_grad():
        for budget in (0.1, 0.5, 1.0, None):  # a fine-tune starts where its checkpoint was
            np.testing.assert_array_equal(embedded.predict(x, budget=budget).poses,
                                          plain.predict(x, budget=budget).poses)


def test_a_stage_adds_the_vector_interpolated_at_the_count_it_keeps():
    plain, embedded = models("stages")
    x = torch.randn(2, 27, 17, 2, generator=torch.Generator().manual_seed(1))
    with torch.no_grad():
        anchors = torch.randn(5, 1, 16, generator=torch.Generator().manual_seed(2))  # the same for every joint
        embedded.budget_embedding.tables[0].copy_(anchors.expand(5, 17, 16))
        out = embedded.predict(x, budget=0.2)  # keeps 10 then 5 of the 27 frames
        assert [k.shape[1] for k in out.kept] == [10, 5]
        weights = torch.tensor(anchor_weights(10, 27))
        assert int((weights > 0).sum()) == 2
        plain.stage_embeddings[0].add_((weights[:, None, None] * anchors).sum(dim=0))  # [1, 16] on every frame
        torch.testing.assert_close(out.poses, plain.predict(x, budget=0.2).poses, rtol=0, atol=1e-6)
        assert not torch.allclose(out.poses, embedded.predict(x, budget=0.5).poses)
        unpruned = embedded.predict(x, budget=1.0)  # no stage runs, so no budget vector is added
        np.testing.assert_allclose(unpruned.poses, embedded.backbone(x), atol=1e-6)


def test_blocks_add_before_every_block_the_vector_of_the_count_the_last_stage_keeps():
    plain, embedded = models("blocks")
    x = torch.randn(2, 27, 17, 2, generator=torch.Generator().manual_seed(1))
    shift = torch.randn(16, generator=torch.Generator().manual_seed(2))  # the same for every joint
    with torch.no_grad():
        embedded.budget_embedding.tables[0].add_(shift)  # at every anchor: the input, whatever the budget
        original = plain.backbone.embed
        plain.backbone.embed = lambda keypoints: original(keypoints) + shift  # the same shift, at the input
        for budget in (0.2, 1.0):
            torch.testing.assert_close(embedded.predict(x, budget=budget).poses, plain.predict(x, budget=budget).poses,
                                       rtol=0, atol=1e-6)
        plain.backbone.embed = original
        embedded.budget_embedding.tables[0].zero_()
        anchors = torch.randn(5, 1, 16, generator=torch.Generator().manual_seed(3))
        embedded.budget_embedding.tables[2].copy_(anchors.expand(5, 17, 16))  # before block 2, where stage 1 prunes
        out = embedded.predict(x, budget=0.2)  # keeps 10 then 5 of the 27 frames: read at 5
        weights = torch.tensor(anchor_weights(5, 27))
        plain.stage_embeddings[1].add_((weights[:, None, None] * anchors).sum(dim=0))
        torch.testing.assert_close(out.poses, plain.predict(x, budget=0.2).poses, rtol=0, atol=1e-6)


def test_budget_embeddings_need_an_elastic_model_and_a_known_place():
    with pytest.raises(H2OTError, match=r"budget_embedding learns a vector per budget.*set elastic: true too"):
        h2ot.create_model("mixste", frames=27, dim=16, mlp_hidden=32, depth=4, num_heads=2, hourglass={
            "pruner": "tps", "recoverer": "tri", "schedule": [[1, 13]], "budget_embedding": "stages"})
    with pytest.raises(H2OTError, match="unknown budget_embedding 'everywhere': choose null, stages, blocks"):
        h2ot.create_model("mixste", frames=27, dim=16, mlp_hidden=32, depth=4, num_heads=2, hourglass={
            "pruner": "tps", "recoverer": "tri", "schedule": [[1, 13]], "elastic": True,
            "budget_embedding": "everywhere"})
