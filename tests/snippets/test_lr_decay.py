"""The learning-rate chapter's claims, checked against PyTorch's schedulers."""
import math

import pytest
from torch.optim.lr_scheduler import CosineAnnealingLR, ExponentialLR, StepLR

from tests.support import load_snippet

schedules = load_snippet("lr_decay/schedules.py")
warmup = load_snippet("lr_decay/warmup.py")
switch = load_snippet("lr_decay/switch_schedules.py")
pitfalls = load_snippet("lr_decay/pitfalls.py")

LR0, EPOCHS = 0.1, 100


def assert_same_curve(actual, expected, tol=1e-12):
    assert len(actual) == len(expected)
    for step, (a, e) in enumerate(zip(actual, expected)):
        assert a == pytest.approx(e, rel=tol, abs=tol), f"step {step}: {a} != {e}"


@pytest.mark.parametrize("step_size,gamma", [(30, 0.1), (10, 0.5), (1, 0.9)])
def test_step_decay_equals_steplr(step_size, gamma):
    torch_lrs = schedules.torch_schedule(lambda o: StepLR(o, step_size, gamma), EPOCHS, LR0)
    assert_same_curve(torch_lrs, [schedules.step_decay(t, LR0, step_size, gamma) for t in range(EPOCHS)])


@pytest.mark.parametrize("gamma", [0.95, 0.9, 0.99])
def test_exponential_decay_equals_exponentiallr(gamma):
    torch_lrs = schedules.torch_schedule(lambda o: ExponentialLR(o, gamma), EPOCHS, LR0)
    assert_same_curve(torch_lrs, [schedules.exponential_decay(t, LR0, gamma) for t in range(EPOCHS)])


@pytest.mark.parametrize("t_max,lr_min", [(100, 0.0), (100, 0.001), (40, 0.01)])
def test_cosine_decay_equals_cosineannealinglr(t_max, lr_min):
    # the whole run up to and including t_max, where the rate reaches lr_min
    steps = t_max + 1
    torch_lrs = schedules.torch_schedule(lambda o: CosineAnnealingLR(o, t_max, lr_min), steps, LR0)
    assert_same_curve(torch_lrs, [schedules.cosine_decay(t, LR0, t_max, lr_min) for t in range(steps)])
    assert torch_lrs[-1] == pytest.approx(lr_min, abs=1e-15)


def test_cosine_past_t_max_climbs_back_with_period_2t():
    t_max, steps = 20, 81
    lrs = schedules.torch_schedule(lambda o: CosineAnnealingLR(o, t_max), steps, LR0)
    assert_same_curve(lrs, [schedules.cosine_decay(t, LR0, t_max) for t in range(steps)], tol=1e-9)
    assert lrs[t_max] < 1e-15 and lrs[2 * t_max] == pytest.approx(LR0) and lrs[3 * t_max] < 1e-12


@pytest.mark.parametrize("k", [0.01, 0.05129, 0.3])
def test_continuous_form_is_exponentiallr_with_gamma_exp_minus_k(k):
    gamma = schedules.gamma_from_k(k)
    torch_lrs = schedules.torch_schedule(lambda o: ExponentialLR(o, gamma), EPOCHS, LR0)
    assert_same_curve(torch_lrs, [schedules.continuous_exponential_decay(t, LR0, k) for t in range(EPOCHS)])
    assert schedules.k_from_gamma(gamma) == pytest.approx(k, rel=1e-12)


def test_plugging_gamma_into_the_continuous_form_is_8000_times_off_after_10_steps():
    mixed_up = LR0 * math.exp(-0.95 * 10)
    assert 7500 < schedules.exponential_decay(10, LR0, 0.95) / mixed_up < 8500


def test_exponential_095_is_below_a_tenth_after_45_steps():
    assert schedules.exponential_decay(44, LR0, 0.95) > LR0 / 10 > schedules.exponential_decay(45, LR0, 0.95)


@pytest.mark.parametrize("warmup_steps,total_steps,start_factor,eta_min",
                         [(50, 500, 0.01, 0.0), (10, 100, 0.1, 1e-4), (1, 20, 0.5, 0.0)])
def test_warmup_cosine_matches_closed_form(warmup_steps, total_steps, start_factor, eta_min):
    lrs = schedules.torch_schedule(
        lambda o: warmup.warmup_cosine(o, warmup_steps, total_steps, start_factor, eta_min), total_steps, LR0)
    expected = [warmup.warmup_cosine_lr(s, LR0, warmup_steps, total_steps, start_factor, eta_min)
                for s in range(total_steps)]
    assert_same_curve(lrs, expected)
    assert max(lrs) == pytest.approx(LR0, rel=1e-12)
    assert lrs.index(max(lrs)) == warmup_steps  # peak exactly at the end of warmup


def test_per_batch_conversion_keeps_the_epoch_schedule():
    batches = 40
    per_epoch = schedules.torch_schedule(lambda o: ExponentialLR(o, 0.9), 10, LR0)
    per_batch = schedules.torch_schedule(
        lambda o: ExponentialLR(o, warmup.per_batch_gamma(0.9, batches)), 10 * batches, LR0)
    # at each epoch boundary the per-batch schedule is where the per-epoch one is
    assert_same_curve(per_batch[::batches], per_epoch, tol=1e-9)
    assert warmup.epochs_to_steps(2.5, batches) == 100


SETTINGS = dict(switch_epoch=50, lr_switch=0.01, step_size=10, gamma=0.5)


def test_cosine_then_step_gives_the_expected_rate_at_every_epoch():
    lrs = schedules.torch_schedule(lambda o: switch.cosine_then_step(o, **SETTINGS), EPOCHS, LR0)
    assert_same_curve(lrs, [switch.expected_lr(e, LR0, **SETTINGS) for e in range(EPOCHS)])
    # continuous at the switch: the step phase starts where the cosine ended
    assert lrs[50] == pytest.approx(0.01) and lrs[49] > lrs[50] > lrs[60]


def test_wrong_ways_do_what_the_page_says():
    by_hand = schedules.torch_schedule(lambda o: switch.two_schedulers_by_hand(o, 50, 10, 0.5), EPOCHS, LR0)
    assert max(by_hand[50:]) < 1e-15  # annealed to ~0 and stuck there for the whole second half
    sequential = schedules.torch_schedule(lambda o: switch.sequential_with_steplr(o, **SETTINGS), EPOCHS, LR0)
    assert sequential[49] < 0.011 and sequential[50] == pytest.approx(LR0)  # jumps back to lr0


def test_scheduler_before_optimizer_skips_the_first_rate_and_warns():
    wrong, wrong_warnings = pitfalls.rates_trained_with(scheduler_first=True)
    right, right_warnings = pitfalls.rates_trained_with(scheduler_first=False)
    assert right == [0.1, 0.1, 0.05, 0.05, 0.025, 0.025]
    assert wrong == right[1:] + [right[-1] / 2]  # the whole schedule shifted one step early
    assert any("before `optimizer.step()`" in m for m in wrong_warnings) and not right_warnings


def test_resume_needs_the_scheduler_state():
    uninterrupted = pitfalls.resume_demo(total=10, stop=10)
    assert pitfalls.resume_demo(load_scheduler_state=True) == uninterrupted
    assert pitfalls.resume_demo(load_scheduler_state=False) != uninterrupted


def test_epoch_step_size_stepped_per_batch_decays_within_one_epoch():
    assert pitfalls.lr_after_one_epoch(100, convert=False) == pytest.approx(LR0 * 0.1**3)
    assert pitfalls.lr_after_one_epoch(100, convert=True) == LR0
