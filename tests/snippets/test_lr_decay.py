"""The learning-rate chapter's claims, checked against PyTorch's schedulers."""
import math

import pytest
import torch
from torch.optim.lr_scheduler import (
    CosineAnnealingLR,
    CosineAnnealingWarmRestarts,
    ExponentialLR,
    LambdaLR,
    MultiStepLR,
    OneCycleLR,
    PolynomialLR,
    StepLR,
)

from tests.support import load_snippet

schedules = load_snippet("lr_decay/schedules.py")
warmup = load_snippet("lr_decay/warmup.py")
switch = load_snippet("lr_decay/switch_schedules.py")
pitfalls = load_snippet("lr_decay/pitfalls.py")
more = load_snippet("lr_decay/more_schedules.py")
plateau = load_snippet("lr_decay/plateau.py")
range_test = load_snippet("lr_decay/range_test.py")
chaining = load_snippet("lr_decay/chaining.py")
resume = load_snippet("lr_decay/resume_details.py")
groups = load_snippet("lr_decay/param_groups.py")
training = load_snippet("lr_decay/schedule_training.py")
ex_per_batch = load_snippet("lr_decay/lr_ex_per_batch.py")
ex_sgdr = load_snippet("lr_decay/lr_ex_sgdr_length.py")
ex_warmup = load_snippet("lr_decay/lr_ex_warmup_lambda.py")
ex_resume = load_snippet("lr_decay/lr_ex_resume_one_cycle.py")

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
    assert math.cos(math.pi) == -1.0  # so the cosine's factor 1 + cos(pi) is exactly 0 at T_max
    assert by_hand[49] > 0 and set(by_hand[50:]) == {0.0}  # exactly 0.0 for the whole second half
    sequential = schedules.torch_schedule(lambda o: switch.sequential_with_steplr(o, **SETTINGS), EPOCHS, LR0)
    assert sequential[49] < 0.011 and sequential[50] == pytest.approx(LR0)  # jumps back to lr0


def test_switch_figure_shows_the_curve_at_zero():
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    plt.close("all")
    load_snippet("lr_decay/plot_switch.py")
    (ax,) = plt.gcf().axes
    stuck = [line for line in ax.get_lines() if "stuck at 0" in str(line.get_label())][0]
    assert set(stuck.get_ydata()[50:]) == {0.0}
    assert ax.get_ylim()[0] < 0 < ax.get_ylim()[1]  # 0 lies inside the axes, not on the frame
    plt.close("all")


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


@pytest.mark.parametrize("milestones,gamma", [([30, 60, 80], 0.1), ([5, 6, 50], 0.5), ([0, 10], 0.9)])
def test_multistep_decay_equals_multisteplr(milestones, gamma):
    lrs = schedules.torch_schedule(lambda o: MultiStepLR(o, milestones, gamma), EPOCHS, LR0)
    assert_same_curve(lrs, [more.multistep_decay(t, LR0, milestones, gamma) for t in range(EPOCHS)])


@pytest.mark.parametrize("t_0,t_mult,lr_min", [(10, 2, 0.0), (10, 1, 0.0), (7, 3, 1e-3), (1, 2, 0.0)])
def test_sgdr_equals_cosineannealingwarmrestarts(t_0, t_mult, lr_min):
    lrs = schedules.torch_schedule(
        lambda o: CosineAnnealingWarmRestarts(o, t_0, t_mult, lr_min), EPOCHS, LR0)
    assert_same_curve(lrs, [more.sgdr(t, LR0, t_0, t_mult, lr_min) for t in range(EPOCHS)])


def test_sgdr_restarts_where_the_figure_marks_them():
    lrs = schedules.torch_schedule(more.SCHEDULERS["CosineAnnealingWarmRestarts(T_0=10, T_mult=2)"][0], EPOCHS, LR0)
    jumps = [t for t in range(1, EPOCHS) if lrs[t] > lrs[t - 1]]
    assert jumps == [10, 30, 70] and all(lrs[t] == LR0 for t in jumps)


@pytest.mark.parametrize("total,power", [(100, 2.0), (100, 1.0), (30, 0.5)])
def test_polynomial_decay_equals_polynomiallr(total, power):
    lrs = schedules.torch_schedule(lambda o: PolynomialLR(o, total, power), EPOCHS, LR0)
    assert_same_curve(lrs, [more.polynomial_decay(t, LR0, total, power) for t in range(EPOCHS)])
    if total < EPOCHS:
        assert set(lrs[total:]) == {0.0}  # stays at 0 after total_iters


def test_more_schedules_table_matches_its_formulas():
    for make, formula in more.SCHEDULERS.values():
        lrs = schedules.torch_schedule(make, EPOCHS, LR0)
        assert_same_curve(lrs, [formula(t, LR0) for t in range(EPOCHS)])


PLATEAU = dict(factor=0.5, patience=3, threshold=0.01, cooldown=2, min_lr=0.02)
FAKE_LOSSES = [plateau.fake_val_loss(e) for e in range(40)]


def drop_epochs(lrs):
    return [e for e in range(1, len(lrs)) if lrs[e] < lrs[e - 1]]


@pytest.mark.parametrize("settings", [
    PLATEAU, {}, dict(patience=0), dict(factor=0.3, patience=2, threshold=1e-3),
    dict(factor=0.5, patience=1, cooldown=3, min_lr=0.01),
])
def test_plateau_rule_equals_reducelronplateau(settings):
    lrs = plateau.plateau_lrs(FAKE_LOSSES, **settings)
    assert_same_curve(lrs, plateau.plateau_rule(FAKE_LOSSES, **settings))


def test_plateau_drops_when_the_page_says():
    lrs = plateau.plateau_lrs(FAKE_LOSSES, **PLATEAU)
    # 4 bad epochs (10-13) > patience 3: the drop trains from epoch 14; then cooldown 2 + 4 bad epochs
    assert drop_epochs(lrs) == [14, 20, 26]
    assert lrs[13] == 0.1 and lrs[14] == 0.05 and lrs[20] == 0.025
    assert lrs[26] == 0.02 and min(lrs) == 0.02  # 0.025 * 0.5 is floored at min_lr


def test_default_threshold_takes_the_slow_creep_for_progress():
    assert set(plateau.plateau_lrs(FAKE_LOSSES, factor=0.5, patience=3)) == {0.1}


def test_plateau_step_needs_the_metric():
    optimizer = pitfalls.make_optimizer()
    with pytest.raises(TypeError, match="metrics"):
        plateau.ReduceLROnPlateau(optimizer).step()


def test_sequentiallr_refuses_reducelronplateau_with_this_message():
    assert plateau.plateau_in_sequentiallr() == (
        "SequentialLR does not support `ReduceLROnPlateau` scheduler as it requires additional kwargs "
        "to be specified when calling `step`, but got one at index 1 in the given schedulers sequence.")


def test_warmup_then_plateau_ramps_then_drops_like_plateau_alone():
    batches, warm = 10, 20
    lrs = plateau.warmup_then_plateau(FAKE_LOSSES, batches, warm, **PLATEAU)
    assert lrs[0] == pytest.approx(0.1 / warm) and lrs[warm - 1] == pytest.approx(0.1)
    assert all(a < b for a, b in zip(lrs[:warm - 1], lrs[1:warm]))  # a strict ramp
    per_epoch = lrs[::batches]
    alone = plateau.plateau_lrs(FAKE_LOSSES, **PLATEAU)
    assert per_epoch[2:] == alone[2:] and drop_epochs(per_epoch) == [14, 20, 26]
    # every batch of an epoch trains at that epoch's rate once warmup is over
    assert all(len(set(lrs[e * batches:(e + 1) * batches])) == 1 for e in range(2, 40))


def test_warmup_stepped_on_undoes_every_plateau_drop():
    lrs = plateau.warmup_then_plateau(FAKE_LOSSES, 10, 20, stop_warmup=False, **PLATEAU)
    assert min(lrs[20:]) == 0.05  # a drop lasts a single batch ...
    assert all(lrs[e * 10 + 9] == pytest.approx(0.1) for e in range(2, 40))  # ... then back to 0.1


def test_chainedscheduler_refuses_reducelronplateau_too():
    from torch.optim.lr_scheduler import ChainedScheduler

    optimizer = pitfalls.make_optimizer()
    with pytest.raises(ValueError, match="ChainedScheduler does not support `ReduceLROnPlateau`"):
        ChainedScheduler([plateau.ReduceLROnPlateau(optimizer)])



@pytest.fixture(scope="module")
def digits_range_test():
    x, y = range_test.digits_data()
    lrs, losses = range_test.lr_range_test(x, y)
    return x, y, lrs, losses


def constant(optimizer, steps):
    return LambdaLR(optimizer, lambda step: 1.0)


def test_range_test_stops_when_the_loss_blows_up(digits_range_test):
    _, _, lrs, losses = digits_range_test
    assert lrs[0] == pytest.approx(1e-3) and len(lrs) == pytest.approx(67, abs=2)  # stopped before lr_max
    assert losses[-1] > 4 * min(losses) and losses[0] == pytest.approx(math.log(10), abs=0.1)


def test_picked_max_lr_is_in_the_stable_range(digits_range_test):
    x, y, lrs, losses = digits_range_test
    max_lr, lowest = range_test.pick_max_lr(lrs, losses), lrs[losses.index(min(losses))]
    # the page: steepest fall at 0.42, lowest loss at 1.35, stopped at 2.15
    assert (max_lr, lowest, lrs[-1]) == pytest.approx((0.42, 1.35, 2.15), rel=0.05)
    stable = range_test.train(x, y, constant, max_lr)
    assert sum(stable["loss"][-20:]) / 20 < 0.1 and stable["final_accuracy"] > 0.95  # trains at max_lr
    unstable = range_test.train(x, y, constant, lowest)
    assert sum(unstable["loss"][-20:]) / 20 > 1.0 and unstable["final_accuracy"] < 0.5  # diverges


def test_one_cycle_with_the_picked_rate_trains_the_tiny_model(digits_range_test):
    x, y, lrs, losses = digits_range_test
    max_lr = range_test.pick_max_lr(lrs, losses)
    run = range_test.train(x, y, range_test.one_cycle(max_lr), max_lr)
    rates = run["lr"]
    assert run["final_accuracy"] > 0.99 and run["loss"][-1] < 0.05
    assert rates.index(max(rates)) == 89 and max(rates) == pytest.approx(max_lr)


@pytest.mark.parametrize("total,pct_start,div,final_div", [(300, 0.3, 25.0, 1e4), (100, 0.25, 10.0, 100.0),
                                                          (1000, 0.1, 25.0, 1e4), (50, 0.5, 5.0, 1e3)])
def test_one_cycle_has_the_documented_shape(total, pct_start, div, final_div):
    max_lr = 0.4
    lrs = schedules.torch_schedule(lambda o: OneCycleLR(
        o, max_lr, total_steps=total, pct_start=pct_start, div_factor=div, final_div_factor=final_div), total)
    assert_same_curve(lrs, [range_test.one_cycle_lr(t, max_lr, total, pct_start, div, final_div)
                            for t in range(total)])
    assert lrs[0] == pytest.approx(max_lr / div)  # starts at max_lr / div_factor
    assert lrs.index(max(lrs)) == round(pct_start * total) - 1 and max(lrs) == pytest.approx(max_lr)
    assert lrs[-1] == pytest.approx(max_lr / div / final_div)  # ends at initial_lr / final_div_factor


def test_one_cycle_moves_momentum_the_other_way():
    optimizer = torch.optim.SGD([torch.zeros(1, requires_grad=True)], lr=0.1, momentum=0.9)
    scheduler = OneCycleLR(optimizer, max_lr=0.4, total_steps=100)
    lrs, momenta = [], []
    for _ in range(100):
        lrs.append(optimizer.param_groups[0]["lr"])
        momenta.append(optimizer.param_groups[0]["momentum"])
        optimizer.step()
        scheduler.step()
    peak = lrs.index(max(lrs))
    assert momenta[0] == pytest.approx(0.95) and momenta[peak] == pytest.approx(0.85)  # max, then base
    assert momenta[-1] == pytest.approx(0.95) and momenta.index(min(momenta)) == peak



@pytest.mark.parametrize("warmup_steps,gamma,start_factor", [(5, 0.9, 0.1), (10, 0.95, 0.01), (1, 0.5, 0.5)])
def test_chained_and_sequential_follow_their_closed_forms(warmup_steps, gamma, start_factor):
    steps = 60
    chain = schedules.torch_schedule(lambda o: chaining.chained(o, warmup_steps, gamma, start_factor), steps, LR0)
    seq = schedules.torch_schedule(lambda o: chaining.sequential(o, warmup_steps, gamma, start_factor), steps, LR0)
    assert_same_curve(chain, [chaining.chained_lr(t, LR0, warmup_steps, gamma, start_factor) for t in range(steps)])
    assert_same_curve(seq, [chaining.sequential_lr(t, LR0, warmup_steps, gamma, start_factor) for t in range(steps)])


def test_chained_never_reaches_lr0_sequential_does():
    chain = schedules.torch_schedule(lambda o: chaining.chained(o, 5, 0.9), 30, LR0)
    seq = schedules.torch_schedule(lambda o: chaining.sequential(o, 5, 0.9), 30, LR0)
    assert max(chain) == pytest.approx(LR0 * 0.9**5) and chain.index(max(chain)) == 5  # 0.059
    assert max(seq) == pytest.approx(LR0) and seq.index(max(seq)) == 5
    assert all(c < s for c, s in zip(chain[1:], seq[1:]))  # the chained decay also ran during warmup


INITIAL_LR_MESSAGE = (
    "param 'initial_lr' is not specified in param_groups[0] when resuming scheduler with last_epoch >= 0.\n"
    "This typically happens when:\n"
    "1. You're trying to resume training from a checkpoint but haven't properly loaded the optimizer state\n"
    "2. You're using last_epoch >= 0 for a fresh training run (not recommended)")


def test_last_epoch_on_a_fresh_optimizer_raises_the_quoted_keyerror():
    assert resume.last_epoch_without_optimizer_state() == INITIAL_LR_MESSAGE
    optimizer = resume.make_optimizer()
    StepLR(optimizer, step_size=3)
    assert optimizer.param_groups[0]["initial_lr"] == 0.1  # a scheduler's constructor stores it
    assert "initial_lr" in optimizer.state_dict()["param_groups"][0]  # and the optimizer saves it


def test_last_epoch_is_the_last_finished_step():
    uninterrupted = pitfalls.resume_demo(total=10, stop=10)
    assert resume.resume_with_last_epoch(stop=4, last_epoch=3) == uninterrupted
    shifted = resume.resume_with_last_epoch(stop=4, last_epoch=4)
    assert shifted != uninterrupted and shifted[4:9] == uninterrupted[5:10]  # one step early


def test_lambdalr_state_dict_does_not_save_the_function():
    state, lrs = resume.lambda_state_after_resume(lambda e: 0.5**e, lambda e: 1.0)
    assert state["lr_lambdas"] == [None] and state["last_epoch"] == 4
    assert lrs == [0.1, 0.05, 0.025, 0.0125, 0.1, 0.1, 0.1, 0.1]  # the rebuilt function is used, silently

    class Halve:  # a callable object: its attributes are saved, its code is not
        def __init__(self):
            self.base = 0.5

        def __call__(self, epoch):
            return self.base**epoch

    scheduler = LambdaLR(resume.make_optimizer(), Halve())
    assert scheduler.state_dict()["lr_lambdas"] == [{"base": 0.5}]


def test_get_last_lr_is_the_rate_in_use_and_get_lr_is_not():
    last, in_use, recomputed, messages = resume.logged_rates()
    assert last == [in_use] == [0.1 * 0.5**3] and recomputed == [in_use * 0.5]
    assert messages == ["To get the last learning rate computed by the scheduler, please use `get_last_lr()`."]



def test_each_parameter_group_follows_its_own_lambda():
    optimizer, scheduler = groups.backbone_and_head(groups.make_model())
    total = 50
    for step in range(total):
        backbone, head = scheduler.get_last_lr()  # one rate per group
        cosine = 0.5 * (1 + math.cos(math.pi * step / total))
        assert head == pytest.approx(0.1 * cosine, rel=1e-12, abs=1e-15)
        assert backbone == pytest.approx(0.01 * min(1.0, (step + 1) / 5) * cosine, rel=1e-12, abs=1e-15)
        assert [g["lr"] for g in optimizer.param_groups] == [backbone, head]
        if step >= 4:
            assert head == pytest.approx(10 * backbone)  # after warmup, the 10:1 ratio of the base rates
        optimizer.step()
        scheduler.step()


def test_lambdalr_needs_one_function_per_group():
    optimizer, _ = groups.backbone_and_head(groups.make_model())
    with pytest.raises(ValueError, match="Expected 2 lr_lambdas, but got 1"):
        LambdaLR(optimizer, [lambda step: 1.0])


def test_scheduler_steps_per_optimizer_step_under_accumulation():
    right = groups.rates_with_accumulation(micro_batches=40, accumulation=4)
    assert_same_curve(right, [schedules.cosine_decay(t, 0.1, 10) for t in range(10)])
    with pytest.warns(UserWarning, match="before `optimizer.step\\(\\)`"):
        wrong = groups.rates_with_accumulation(micro_batches=40, accumulation=4, per_micro_batch=True)
    # stepped per micro-batch, update i trains at the rate of step 4 i + 3, past T_max after 3 updates
    assert_same_curve(wrong, [schedules.cosine_decay(4 * i + 3, 0.1, 10) for i in range(10)], tol=1e-9)



def test_builtin_schedulers_scale_every_group_by_the_same_factor():
    model = groups.make_model()
    optimizer = torch.optim.SGD([{"params": model["backbone"].parameters(), "lr": 0.01},
                                 {"params": model["head"].parameters(), "lr": 0.1}])
    scheduler = CosineAnnealingLR(optimizer, T_max=20)
    for _ in range(20):
        backbone, head = scheduler.get_last_lr()
        assert head == pytest.approx(10 * backbone)
        optimizer.step()
        scheduler.step()


@pytest.fixture(scope="module")
def schedule_runs():
    return training.compare()


def mean(values):
    return sum(values) / len(values)


def test_every_decay_ends_below_the_constant_rate(schedule_runs):
    final = {name: training.final_loss(run) for name, run in schedule_runs.items()}
    constant = final.pop("Constant")
    assert constant == pytest.approx(0.027, rel=0.1)
    assert min(final.values()) == pytest.approx(0.012, rel=0.1) and max(final.values()) == pytest.approx(0.019, rel=0.1)
    assert all(loss < 0.8 * constant for loss in final.values())  # page: 0.027 vs 0.012-0.019
    assert min(final, key=final.get) == "Cosine"
    accuracy = {name: run["final_accuracy"] for name, run in schedule_runs.items()}
    assert min(accuracy.values()) > 0.99 and min(accuracy, key=accuracy.get) == "Constant"


def test_step_decay_equals_constant_until_the_drop_then_the_loss_falls(schedule_runs):
    constant, step = schedule_runs["Constant"], schedule_runs["Step: ×0.1 at 50% and 75%"]
    assert step["loss"][:150] == constant["loss"][:150]  # same rate, same batches: the same run
    after_drop, no_drop = mean(step["loss"][150:180]), mean(constant["loss"][150:180])
    assert after_drop < 0.75 * no_drop and (after_drop, no_drop) == pytest.approx((0.062, 0.100), rel=0.1)


def test_one_cycle_starts_slow_and_catches_up(schedule_runs):
    early = {name: mean(run["loss"][:50]) for name, run in schedule_runs.items()}
    others = [v for k, v in early.items() if k != "One-cycle"]
    assert early["One-cycle"] > 1.5 * max(others)
    assert early["One-cycle"] == pytest.approx(1.44, rel=0.05) and others == pytest.approx([0.71] * 3, rel=0.05)
    assert training.final_loss(schedule_runs["One-cycle"]) < training.final_loss(schedule_runs["Constant"])



def test_exercise_per_batch_milestones_keep_the_epoch_schedule():
    epochs, batches = ex_per_batch.EPOCHS, ex_per_batch.BATCHES
    epoch_lrs = schedules.torch_schedule(ex_per_batch.per_epoch, epochs)
    batch_lrs = schedules.torch_schedule(ex_per_batch.per_batch, epochs * batches)
    assert batch_lrs[::batches] == epoch_lrs
    assert all(len(set(batch_lrs[e * batches:(e + 1) * batches])) == 1 for e in range(epochs))
    assert epoch_lrs[29] == 0.1 and epoch_lrs[30] == pytest.approx(0.01)


def test_exercise_sgdr_cycle_ends_are_pytorchs_restarts():
    assert ex_sgdr.cycle_ends(10, 2, 200) == [10, 30, 70, 150]
    for t_0, t_mult in [(10, 2), (5, 3), (7, 1)]:
        lrs = schedules.torch_schedule(lambda o: CosineAnnealingWarmRestarts(o, t_0, t_mult), 201, LR0)
        assert [t for t in range(1, 201) if lrs[t] > lrs[t - 1]] == ex_sgdr.cycle_ends(t_0, t_mult, 200)
    lrs = schedules.torch_schedule(lambda o: CosineAnnealingWarmRestarts(o, 10, 2), 150, LR0)
    assert lrs[-1] < 1e-3 * LR0  # a run of 150 steps ends at the bottom of its last cycle


@pytest.mark.parametrize("warmup_steps,total_steps", [(50, 500), (1, 10), (10, 11)])
def test_exercise_warmup_lambda_equals_sequentiallr(warmup_steps, total_steps):
    ours = schedules.torch_schedule(lambda o: ex_warmup.warmup_cosine_lambda(o, warmup_steps, total_steps),
                                    total_steps, LR0)
    theirs = schedules.torch_schedule(lambda o: warmup.warmup_cosine(o, warmup_steps, total_steps),
                                      total_steps, LR0)
    assert_same_curve(ours, theirs)


def test_exercise_resumed_one_cycle_is_the_uninterrupted_curve():
    whole = ex_resume.run(*ex_resume.build(), ex_resume.TOTAL, [])
    assert ex_resume.interrupted() == whole and len(whole) == 100
