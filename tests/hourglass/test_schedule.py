import pytest

from h2ot.errors import H2OTError
from h2ot.hourglass.schedule import Schedule, Stage


def test_block_frames_follow_the_stages():
    schedule = Schedule.parse([[1, 121], [2, 61], [4, 41]])
    assert schedule.stages[0] == Stage(1, 121)
    assert schedule.block_frames(243, 8) == [243, 121, 61, 61, 41, 41, 41, 41]
    assert Schedule.parse(None).block_frames(27, 3) == [27, 27, 27]
    assert schedule.to_list() == [[1, 121], [2, 61], [4, 41]]


@pytest.mark.parametrize(("stages", "message"), [
    ([[1, 243]], "fewer tokens than the 243"),
    ([[1, 300]], "fewer tokens"),
    ([[1, 81], [3, 81]], "fewer tokens than the 81"),
    ([[3, 81], [2, 41]], "must increase"),
    ([[3, 81], [3, 41]], "must increase"),
    ([[8, 81]], "between 0 and 7"),
    ([[1, 0]], "at least 1"),
    ([[1]], "two integers"),
    ([[1.5, 3]], "two integers"),
])
def test_invalid_schedules_fail_with_a_clear_message(stages, message):
    with pytest.raises(H2OTError, match=message):
        Schedule.parse(stages).validate(frames=243, depth=8)


def test_the_first_prunable_block_is_the_backbones():
    assert Schedule.parse([[0, 81]]).validate(frames=243, depth=8).block_frames(243, 3) == [81, 81, 81]
    with pytest.raises(H2OTError, match=r"between 1 and 7 for this 8-block backbone \(blocks before 1 always"):
        Schedule.parse([[0, 81]]).validate(frames=243, depth=8, first_block=1)


def test_scaled_schedule_keeps_the_fractions():
    schedule = Schedule.parse([[1, 121], [2, 61], [4, 41]])
    assert schedule.scaled(243, 81).to_list() == [[1, 40], [2, 20], [4, 14]]
    assert Schedule.parse([[3, 81]]).scaled(243, 27).to_list() == [[3, 9]]


def test_a_budget_scales_every_stage_and_skips_those_that_keep_everything():
    schedule = Schedule.parse([[1, 41], [3, 21]])
    assert schedule.at_budget(21 / 81, 81) == [(0, Stage(1, 41)), (1, Stage(3, 21))]  # its own budget
    assert schedule.at_budget(0.5, 81) == [(0, Stage(1, 79)), (1, Stage(3, 40))]  # 41 x 1.93, 21 x 1.93
    assert schedule.at_budget(0.1, 81, min_tokens=2) == [(0, Stage(1, 16)), (1, Stage(3, 8))]
    assert schedule.at_budget(0.01, 81, min_tokens=2) == [(0, Stage(1, 2))]  # the second would keep as many
    assert schedule.at_budget(0.6, 81) == [(1, Stage(3, 49))]  # the first would keep all 81
    assert schedule.at_budget(1.0, 81) == []  # no pruning
    assert Schedule.parse(None).at_budget(0.5, 81) == []


@pytest.mark.parametrize("budget", [0, -0.5, 1.5, True, "half", None])
def test_a_budget_outside_0_to_1_is_one_sentence(budget):
    with pytest.raises(H2OTError, match=r"share of frames kept at the last stage, a number in \(0, 1\]"):
        Schedule.parse([[1, 41]]).at_budget(budget, 81)
