import pytest
import torch

from h2ot import create_model
from h2ot.errors import H2OTError
from h2ot.hourglass.recover import (
    AttentionRecoverer,
    InterpolationRecoverer,
    interpolate_in_time,
    make_recoverer,
    sinusoidal_code,
)


def test_interpolation_is_exact_for_poses_linear_in_time():
    start, velocity = torch.randn(17, 3), torch.randn(17, 3)
    poses = start + torch.arange(20.0)[:, None, None] * velocity  # [20, 17, 3]
    frames = torch.tensor([[0, 3, 4, 11, 19]])
    out = interpolate_in_time(poses[frames[0]][None], frames, 20)
    torch.testing.assert_close(out[0], poses, rtol=1e-5, atol=1e-5)


def test_interpolation_holds_the_end_values_outside_the_kept_range():
    values = torch.tensor([[[1.0], [3.0], [7.0]]])  # [1, 3, 1]
    frames = torch.tensor([[2, 4, 6]])
    out = interpolate_in_time(values, frames, 9)[0, :, 0]
    assert out.tolist() == [1.0, 1.0, 1.0, 2.0, 3.0, 5.0, 7.0, 7.0, 7.0]


def test_interpolation_is_per_sample():
    values = torch.tensor([[[0.0], [4.0]], [[10.0], [10.0]]])
    frames = torch.tensor([[0, 4], [1, 2]])
    out = interpolate_in_time(values, frames, 5)[..., 0]
    assert out.tolist() == [[0.0, 1.0, 2.0, 3.0, 4.0], [10.0] * 5]


def test_tri_regresses_the_kept_frames_then_interpolates():
    tokens = torch.randn(2, 3, 17, 8)
    frames = torch.tensor([[0, 5, 9], [0, 1, 9]])
    head = torch.nn.Linear(8, 3)
    out = InterpolationRecoverer(frames=10)(tokens, frames, head)
    assert out.shape == (2, 10, 17, 3)
    torch.testing.assert_close(out[:, [0, 9]], head(tokens)[:, [0, 2]])
    torch.testing.assert_close(out[0, 5], head(tokens)[0, 1])


def test_tra_starts_from_zero_queries_and_attends_to_the_kept_tokens():
    recoverer = AttentionRecoverer(frames=10, dim=8, num_heads=2)
    tokens = torch.randn(2, 3, 17, 8)
    out = recoverer(tokens, torch.tensor([[0, 4, 9]] * 2), head=lambda t: t)
    assert out.shape == (2, 10, 17, 8)
    # zero queries: every frame's query is the same, so every recovered frame of a stream is the same
    torch.testing.assert_close(out[:, 0], out[:, 7])
    # and it depends on the tokens
    assert not torch.allclose(out, recoverer(tokens * 2, torch.tensor([[0, 4, 9]] * 2), head=lambda t: t))


def test_sine_queries_start_at_the_position_code_and_tell_the_frames_apart():
    code = sinusoidal_code(frames=10, dim=6)
    assert code.shape == (1, 10, 6)
    # frame 3: sin and cos of 3 x 10000^(-i/6) for i = 0, 2, 4
    rates = torch.tensor([1.0, 10000.0 ** (-2 / 6), 10000.0 ** (-4 / 6)])
    expected = torch.stack([torch.sin(3 * rates), torch.cos(3 * rates)], dim=1).reshape(-1)
    torch.testing.assert_close(code[0, 3], expected)
    torch.testing.assert_close(code[0, 0], torch.tensor([0.0, 1.0] * 3))
    assert sinusoidal_code(4, 5)[0, :, 4].abs().max() == 0  # an odd width leaves its last channel at zero
    recoverer = AttentionRecoverer(frames=10, dim=6, num_heads=2, queries="sine")
    torch.testing.assert_close(recoverer.queries.data, code)
    out = recoverer(torch.randn(2, 3, 17, 6), torch.tensor([[0, 4, 9]] * 2), head=lambda t: t)
    assert not torch.allclose(out[:, 0], out[:, 7])  # unlike zero queries, frames differ from the start


def test_query_start_is_checked_and_belongs_to_tra_only():
    with pytest.raises(H2OTError, match="unknown TRA query start 'ones'"):
        AttentionRecoverer(frames=10, dim=8, num_heads=2, queries="ones")
    with pytest.raises(H2OTError, match="'tri' has none"):
        make_recoverer("tri", frames=10, dim=8, num_heads=2, queries="sine")
    model = create_model("mixste", frames=9, dim=8, mlp_hidden=16, depth=2, num_heads=2,
                         hourglass={"pruner": "tpc", "recoverer": "tra", "schedule": [[1, 3]], "queries": "sine"})
    torch.testing.assert_close(model.recoverer.queries.data, sinusoidal_code(9, 8))


def test_query_start_needs_a_model_that_recovers_frames():
    tiny = {"frames": 9, "dim": 8, "mlp_hidden": 16, "depth": 2, "num_heads": 2}
    with pytest.raises(H2OTError, match=r"queries=sine starts TRA's queries, but this model has no pruning schedule"
                                        r".*drop queries or give a schedule"):
        create_model("mixste", **tiny, hourglass={"schedule": [], "queries": "sine"})
    with pytest.raises(H2OTError, match=r"is seq2frame.*drop queries or use the seq2seq pipeline"):
        create_model("mixste", **tiny, pipeline="seq2frame",
                     hourglass={"recoverer": None, "schedule": [[1, 3]], "queries": "sine"})
    for hourglass in ({"schedule": None, "queries": "zeros"}, {"schedule": []}, None):
        assert create_model("mixste", **tiny, hourglass=hourglass).recoverer is None
