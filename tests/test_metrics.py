import math

import pytest
import torch

from h2ot.metrics import auc, mpjpe, mpjve, n_mpjpe, p_mpjpe, pck, procrustes_align


def rotation_z(angle):
    c, s = math.cos(angle), math.sin(angle)
    return torch.tensor([[c, -s, 0.0], [s, c, 0.0], [0.0, 0.0, 1.0]])


def test_mpjpe_is_the_mean_joint_distance():
    target = torch.zeros(2, 17, 3)
    pred = target.clone()
    pred[0, 0] = torch.tensor([3.0, 4.0, 0.0])  # 5 m off on one joint of 17
    assert mpjpe(pred, target).tolist() == pytest.approx([5 / 17, 0.0])


def test_p_mpjpe_forgives_rotation_scale_and_translation_only():
    torch.manual_seed(0)
    target = torch.randn(4, 17, 3, dtype=torch.float64)
    moved = 1.7 * target @ rotation_z(0.8).double().T + torch.tensor([1.0, -2.0, 0.5], dtype=torch.float64)
    assert p_mpjpe(moved, target).max() < 1e-6
    torch.testing.assert_close(procrustes_align(moved, target), target)
    noisy = target + 0.1 * torch.randn_like(target)
    assert 0 < p_mpjpe(noisy, target).mean() < mpjpe(noisy, target).mean()
    mirrored = target * torch.tensor([-1.0, 1.0, 1.0], dtype=torch.float64)  # a reflection is not forgiven
    assert p_mpjpe(mirrored, target).mean() > 0.1


def test_n_mpjpe_forgives_scale():
    target = torch.randn(3, 17, 3)
    assert n_mpjpe(0.5 * target, target).max() < 1e-6
    assert mpjpe(0.5 * target, target).min() > 0.1


def test_mpjve_compares_velocities():
    target = torch.zeros(5, 17, 3)
    pred = target + torch.tensor([1.0, 0.0, 0.0])  # constant offset: no velocity error
    assert mpjve(pred, target).tolist() == [0.0] * 4
    pred[2, :, 0] += 1.0  # one frame jumps by 1 m on x: two velocities off by 1
    assert mpjve(pred, target).tolist() == pytest.approx([0.0, 1.0, 1.0, 0.0])


def test_pck_and_auc_count_joints_within_thresholds():
    target = torch.zeros(1, 4, 3)
    pred = torch.tensor([[[0.012, 0, 0], [0.102, 0, 0], [0.147, 0, 0], [0.2, 0, 0]]])
    assert pck(pred, target).item() == pytest.approx(0.75)
    # thresholds 0, 5, ..., 150 mm: the joints pass 28, 10, 1 and 0 of the 31 thresholds
    assert auc(pred, target).item() == pytest.approx((28 + 10 + 1 + 0) / (31 * 4))


def test_mismatched_shapes_are_refused():
    with pytest.raises(ValueError, match="must share"):
        mpjpe(torch.zeros(2, 17, 3), torch.zeros(2, 16, 3))
