import pytest
import torch

from h2ot.errors import H2OTError
from h2ot.losses import MIXSTE_JOINT_WEIGHTS, make_loss, temporal_consistency_loss, velocity_loss


def test_mpjpe_loss():
    target = torch.zeros(1, 2, 17, 3)
    pred = target.clone()
    pred[0, 0, 3] = torch.tensor([0.0, 3.0, 4.0])
    assert make_loss("mpjpe")(pred, target).item() == pytest.approx(5 / 34)


def test_mixste_loss_weighs_joints_and_adds_temporal_terms():
    target = torch.zeros(1, 2, 17, 3)
    pred = target.clone()
    pred[0, 1, 12, 0] = 1.0  # joint 12 (weight 4) is 1 m off in the second frame
    weighted = 4 / 34
    consistency = 4 * 1 / (1 * 17 * 3)  # weighted squared difference, averaged over 1 step x 17 joints x 3
    velocity = 1 / 17
    expected = weighted + 0.5 * consistency + 2.0 * velocity
    assert make_loss("mixste")(pred, target).item() == pytest.approx(expected)
    weights = torch.tensor(MIXSTE_JOINT_WEIGHTS)
    assert temporal_consistency_loss(pred, weights).item() == pytest.approx(consistency)
    assert velocity_loss(pred, target).item() == pytest.approx(velocity)


def test_unknown_loss_and_joint_count():
    with pytest.raises(H2OTError, match="mpjpe, mixste"):
        make_loss("l2")
    with pytest.raises(H2OTError, match=r"17 Human3\.6M joints"):
        make_loss("mixste")(torch.zeros(1, 2, 16, 3), torch.zeros(1, 2, 16, 3))
