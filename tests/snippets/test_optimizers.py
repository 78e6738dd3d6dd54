"""The optimizers chapter's claims, checked against torch.optim."""
from functools import partial

import pytest
import torch

from tests.support import load_snippet

rules = load_snippet("optimizers/opt_rules.py")
momentum_demo = load_snippet("optimizers/opt_momentum.py")
eps_demo = load_snippet("optimizers/opt_eps.py")
adamw_demo = load_snippet("optimizers/opt_adamw.py")

TOL = 1e-12


# --- item 1: each rule equals torch.optim, parameters and state, float64, 50 steps ----------
SGD_SETTINGS = [
    dict(lr=0.01),
    dict(lr=0.01, weight_decay=0.05),
    dict(lr=0.01, momentum=0.9),
    dict(lr=0.005, momentum=0.5, dampening=0.5),
    dict(lr=0.01, momentum=0.9, dampening=0.1, weight_decay=0.01),
    dict(lr=0.01, momentum=0.9, nesterov=True),
    dict(lr=0.002, momentum=0.99, nesterov=True, weight_decay=0.1),
]


@pytest.mark.parametrize("hyper", SGD_SETTINGS)
def test_sgd_step_equals_torch_sgd(hyper):
    ours = rules.run_ours(rules.sgd_step, **hyper)
    theirs = rules.run_torch(partial(torch.optim.SGD, **hyper))
    assert len(ours) == 50
    if hyper.get("momentum"):
        assert "momentum_buffer" in ours[-1][1] and "momentum_buffer" in theirs[-1][1]
    assert rules.max_gap(ours, theirs) < TOL


ADAM_SETTINGS = [
    dict(lr=0.01),
    dict(lr=0.05, betas=(0.8, 0.99), eps=1e-6),
    dict(lr=0.05, weight_decay=0.1),
    dict(lr=0.05, amsgrad=True),
    dict(lr=0.05, weight_decay=0.1, amsgrad=True),
    dict(lr=0.01, eps=1e-2),  # a large eps, so its placement matters
]


@pytest.mark.parametrize("hyper", ADAM_SETTINGS)
def test_adam_step_equals_torch_adam(hyper):
    ours = rules.run_ours(rules.adam_step, **hyper)
    theirs = rules.run_torch(partial(torch.optim.Adam, **hyper))
    keys = {"step", "exp_avg", "exp_avg_sq"} | ({"max_exp_avg_sq"} if hyper.get("amsgrad") else set())
    assert keys <= ours[-1][1].keys() and keys <= theirs[-1][1].keys()
    assert rules.max_gap(ours, theirs) < TOL


@pytest.mark.parametrize("hyper", [dict(lr=0.05), dict(lr=0.05, weight_decay=0.1),
                                   dict(lr=0.01, weight_decay=1.0, amsgrad=True)])
def test_adam_step_decoupled_equals_torch_adamw(hyper):
    theirs = rules.run_torch(partial(torch.optim.AdamW, **hyper))
    ours = rules.run_ours(rules.adam_step, decoupled=True, **{"weight_decay": 0.01, **hyper})
    assert rules.max_gap(ours, theirs) < TOL  # 0.01 above: AdamW's default weight_decay


def test_amsgrad_and_weight_decay_change_the_run():
    """The options tested above are not no-ops on this loss."""
    base = rules.run_torch(partial(torch.optim.Adam, lr=0.05))
    for other in (dict(amsgrad=True), dict(weight_decay=0.1), dict(decoupled_weight_decay=True, weight_decay=0.1)):
        assert rules.max_gap(base, rules.run_torch(partial(torch.optim.Adam, lr=0.05, **other))) > 1e-3


def test_adam_and_adamw_differ_with_the_same_weight_decay():
    adam = rules.run_torch(partial(torch.optim.Adam, lr=0.05, weight_decay=0.1))
    adamw = rules.run_torch(partial(torch.optim.AdamW, lr=0.05, weight_decay=0.1))
    assert rules.max_gap(adam, adamw) > 1e-2


def test_eps_goes_outside_the_root_after_bias_correction():
    theirs = rules.run_torch(partial(torch.optim.Adam, lr=0.01), loss_fn=eps_demo.tiny_loss)
    gap = lambda step: rules.max_gap(rules.run_ours(step, loss_fn=eps_demo.tiny_loss, lr=0.01), theirs)
    assert gap(rules.adam_step) < 1e-14
    assert gap(eps_demo.adam_eps_inside_root) > 0.1
    assert gap(eps_demo.adam_eps_before_correction) > 1e-3


# --- momentum: PyTorch's form against the textbook form ----------------------------------------
@pytest.mark.parametrize("lr,mu", [(0.02, 0.9), (0.005, 0.99), (0.05, 0.5)])
def test_momentum_forms_agree_at_a_constant_lr(lr, mu):
    pytorch = rules.run_ours(rules.sgd_step, lr=lr, momentum=mu)
    textbook = rules.run_ours(rules.sutskever_step, lr=lr, momentum=mu)
    assert max((a - b).abs().max().item() for (a, _), (b, _) in zip(pytorch, textbook)) < 1e-12
    # the textbook velocity is minus lr times PyTorch's buffer
    buf, vel = pytorch[-1][1]["momentum_buffer"], textbook[-1][1]["velocity"]
    assert torch.allclose(vel, -lr * buf, rtol=1e-10, atol=1e-14)


def test_momentum_forms_part_when_the_lr_drops():
    pytorch, textbook = momentum_demo.pytorch_form, momentum_demo.textbook_form
    assert pytorch[19] == pytest.approx(textbook[19], rel=1e-12)  # same until the drop
    # PyTorch's step falls about tenfold at once; the textbook velocity carries the old rate
    assert pytorch[20] / pytorch[19] < 0.12
    assert textbook[20] / textbook[19] > 0.85
    assert textbook[25] > 2.5 * pytorch[25]
    printed = {19: (0.3164, 0.3164), 20: (0.0311, 0.2858), 21: (0.0332, 0.2553), 25: (0.0471, 0.1449)}
    for t, (a, b) in printed.items():
        assert round(pytorch[t], 4) == a and round(textbook[t], 4) == b


def test_l2_in_plain_sgd_is_shrinking_the_weight():
    lr, wd = 0.01, 0.05
    l2 = rules.run_ours(rules.sgd_step, lr=lr, weight_decay=wd)

    def shrink_then_step(p, g, state, lr):
        p *= 1 - lr * wd
        rules.sgd_step(p, g, state, lr)

    shrunk = rules.run_ours(shrink_then_step, lr=lr)
    assert max((a - b).abs().max().item() for (a, _), (b, _) in zip(l2, shrunk)) < 1e-14


@pytest.mark.parametrize("bad", [dict(momentum=0.0), dict(momentum=0.9, dampening=0.1)])
def test_nesterov_needs_momentum_and_no_dampening(bad):
    with pytest.raises(ValueError, match="Nesterov momentum requires a momentum and zero dampening"):
        torch.optim.SGD([torch.zeros(1, requires_grad=True)], lr=0.1, nesterov=True, **bad)


# --- item 2: Adam's L2 against AdamW's decoupled decay -------------------------------------------
def test_adamw_shrinks_a_zero_gradient_weight_by_exactly_one_minus_lr_wd_per_step():
    lr, wd = 1e-3, 0.1
    w = torch.ones(3, requires_grad=True)
    optimizer = torch.optim.AdamW([w], lr=lr, weight_decay=wd)
    factor = torch.tensor(1 - lr * wd, dtype=torch.float32)
    for _ in range(50):
        before = w.detach().clone()
        w.grad = torch.zeros(3)
        optimizer.step()
        assert torch.equal(w.detach(), before * factor)


def test_the_decay_table():
    mean = adamw_demo.mean_weight_after
    adamw = {s: mean(torch.optim.AdamW, s) for s in (0.0, 1.0, 100.0)}
    adam = {s: mean(torch.optim.Adam, s) for s in (0.0, 1.0, 100.0)}
    none = {s: mean(torch.optim.Adam, s, weight_decay=0.0) for s in (0.0, 1.0, 100.0)}
    # AdamW: the same decay whatever the gradient, (1 - 1e-4) ** 500 = 0.9512
    assert adamw[0.0] == pytest.approx((1 - 1e-4) ** 500, rel=1e-4)
    assert all(abs((none[s] - adamw[s]) - (1 - 0.9512)) < 2e-3 for s in adamw)
    # Adam + L2: a weight with no gradient moves by about lr per step, whatever wd is ...
    assert round(adam[0.0], 4) == 0.5605 and abs(mean(torch.optim.Adam, 0.0, 0.01) - adam[0.0]) < 1e-5
    # ... about AdamW's decay at gradient size 1, and almost none at gradient size 100
    assert abs(adam[1.0] - adamw[1.0]) < 1e-3
    assert none[100.0] - adam[100.0] < 0.02 * (none[100.0] - adamw[100.0])
    printed = {0.0: (0.9512, 0.5605, 1.0), 1.0: (0.9518, 0.9521, 1.0006), 100.0: (0.9518, 1.0001, 1.0006)}
    for s, row in printed.items():
        assert (round(adamw[s], 4), round(adam[s], 4), round(none[s], 4)) == row


def test_the_same_weight_decay_gives_a_different_model():
    runs = {seed: (adamw_demo.fit(torch.optim.Adam, 0.1, seed=seed), adamw_demo.fit(torch.optim.AdamW, 0.1, seed=seed))
            for seed in range(3)}
    (adam, adamw) = runs[0]
    assert (round(adam[0], 1), round(adam[1], 1), round(adamw[0], 1), round(adamw[1], 1)) == (18.2, 6.9, 24.7, 12.2)
    for adam, adamw in runs.values():  # on three data sets AdamW's weights end 1.7 to 2.1 times longer
        assert 1.7 < adamw[1] / adam[1] < 2.1


# --- item 3: trajectories ---------------------------------------------------------------------
paths = load_snippet("optimizers/opt_paths.py")


def _distances(name):
    minimum = torch.tensor({"quadratic": (0.0, 0.0), "valley": (1.0, 1.0)}[name], dtype=torch.float64)
    return {label: (points[-1] - minimum).norm().item() for label, points in paths.all_paths(name).items()}


def test_paths_on_the_quadratic():
    d = _distances("quadratic")
    assert d["Plain SGD"] > 0.1  # still crawling along the flat direction after 150 steps
    assert max(d["Momentum 0.9"], d["Nesterov 0.9"], d["Adam, lr 0.1"]) < 1e-3
    assert d["Nesterov 0.9"] < d["Momentum 0.9"]
    assert round(d["Plain SGD"], 2) == 0.19 == round(4 * 0.98**150, 2)


def test_paths_in_the_valley():
    d = _distances("valley")
    assert d["Plain SGD"] > 1.0 and round(d["Adam, lr 0.1"], 2) == 0.44
    assert max(d["Momentum 0.9"], d["Nesterov 0.9"]) < 1e-3


def test_nesterov_has_the_smaller_stable_learning_rate_on_a_quadratic():
    # curvature 50 along y: heavy ball is stable for lr * 50 < 2 (1 + mu) = 3.8,
    # PyTorch's Nesterov only for lr * 50 < 2 (1 + mu) / (1 + 2 mu) = 1.357
    def final_distance(label, lr):
        return paths.path(paths.quadratic, (-4.0, 1.0), paths.OPTIMIZERS[label], lr, 300)[-1].norm().item()

    assert final_distance("Nesterov 0.9", 1.30 / 50) < 1e-3
    assert final_distance("Nesterov 0.9", 1.40 / 50) > 1e3
    assert final_distance("Momentum 0.9", 0.035) < 1e-2 and final_distance("Nesterov 0.9", 0.035) > 1e6
    assert final_distance("Momentum 0.9", 3.7 / 50) < 1e-2 and final_distance("Momentum 0.9", 3.9 / 50) > 1e3


# --- item 4: practice ---------------------------------------------------------------------------
practice = load_snippet("optimizers/opt_practice.py")


def test_param_groups_split_norms_biases_and_parts():
    model = practice.make_model()
    groups = practice.param_groups(model)
    seen = [id(p) for g in groups for p in g["params"]]
    assert sorted(seen) == sorted(id(p) for p in model.parameters())  # each parameter exactly once
    bn = model["backbone"][1]
    no_decay = {id(p) for g in groups if g["weight_decay"] == 0 for p in g["params"]}
    assert {id(bn.weight), id(bn.bias), id(model["backbone"][0].bias), id(model["head"].bias)} == no_decay
    head_ids = {id(p) for p in model["head"].parameters()}
    assert all(g["lr"] == (1e-3 if {id(p) for p in g["params"]} <= head_ids else 1e-4) for g in groups)


def test_zero_grad_sets_grads_to_none_by_default():
    model = practice.make_model()
    optimizer = torch.optim.AdamW(practice.param_groups(model))
    practice.train(model, optimizer, 1)
    optimizer.zero_grad(set_to_none=False)
    assert all(torch.equal(p.grad, torch.zeros_like(p)) for p in model.parameters())
    optimizer.zero_grad()
    assert all(p.grad is None for p in model.parameters())


@pytest.mark.parametrize("cls,extra", [(torch.optim.AdamW, {}), (torch.optim.SGD, {"momentum": 0.9, "nesterov": True})])
def test_foreach_computes_the_same_thing(cls, extra):
    finals = []
    for impl in ({"foreach": False}, {"foreach": True}, {"fused": True}):
        model = practice.make_model()
        optimizer = cls(practice.param_groups(model), **impl, **extra)
        practice.train(model, optimizer, 5)
        finals.append(torch.cat([p.detach().flatten() for p in model.parameters()]))
    assert all(torch.allclose(finals[0], other, rtol=0, atol=1e-6) for other in finals[1:])
    assert not torch.equal(finals[0], torch.cat([p.detach().flatten() for p in practice.make_model().parameters()]))


def test_a_parameter_whose_grad_is_none_is_skipped():
    w = torch.ones(3, requires_grad=True)
    optimizer = torch.optim.AdamW([w], lr=0.1, weight_decay=0.5)
    optimizer.step()  # w.grad is None: no decay, no state
    assert torch.equal(w.detach(), torch.ones(3)) and len(optimizer.state[w]) == 0


def test_resuming_needs_the_optimizer_state():
    resumed, _ = practice.interrupted_run()
    model = practice.make_model()
    optimizer = torch.optim.AdamW(practice.param_groups(model))
    practice.train(model, optimizer, 5)
    checkpoint = model.state_dict()
    assert resumed == practice.train(model, optimizer, 5, seed=2)  # identical continued steps
    fresh_model = practice.make_model()
    fresh_model.load_state_dict(checkpoint)  # model only, optimizer from scratch
    without = practice.train(fresh_model, torch.optim.AdamW(practice.param_groups(fresh_model)), 5, seed=2)
    assert without != resumed


# --- item 5: clipping, warmup, learning-rate scale ----------------------------------------------
interplay = load_snippet("optimizers/opt_interplay.py")


def test_clipped_momentum_step_is_bounded_by_lr_c_over_one_minus_mu():
    for mu, c in ((0.9, 1.0), (0.5, 0.1)):
        bound = 0.1 * c / (1 - mu)
        random_dirs = interplay.clipped_momentum_steps(momentum=mu, max_norm=c)
        one_dir = interplay.clipped_momentum_steps(momentum=mu, max_norm=c, same_direction=True)
        assert max(random_dirs + one_dir) <= bound * (1 + 1e-6)
        assert max(one_dir) > 0.999 * bound  # the bound is reached when gradients line up
    assert max(interplay.clipped_momentum_steps()) < 0.35 * 1.0


def test_adam_first_step_is_lr_per_coordinate_and_scale_free():
    small, large = interplay.adam_step_sizes(1.0), interplay.adam_step_sizes(1000.0)
    assert small[0] == pytest.approx(1e-3, rel=1e-5) and large[0] == pytest.approx(1e-3, rel=1e-6)
    assert small[9] < 0.3e-3 and small[-1] < 0.25e-3
    assert all(a == pytest.approx(b, rel=1e-3) for a, b in zip(small, large))
    assert (round(small[0], 5), round(small[9], 6), round(small[-1], 6)) == (1e-3, 2.73e-4, 2.03e-4)


# --- exercises ----------------------------------------------------------------------------------
def test_exercise_rescaled_textbook_momentum_follows_pytorch():
    ex = load_snippet("optimizers/opt_ex_rescale.py")
    gap = max((a - b).abs().max().item() for (a, _), (b, _) in zip(ex.ours, ex.pytorch))
    assert gap < 1e-12
    assert momentum_demo.textbook_form[20] > 5 * momentum_demo.pytorch_form[20]  # unscaled: it differs


def test_exercise_state_sizes():
    ex = load_snippet("optimizers/opt_ex_state.py")
    sizes = {0: lambda ps: torch.optim.SGD(ps, lr=0.1), 1: lambda ps: torch.optim.SGD(ps, lr=0.1, momentum=0.9),
             2: lambda ps: torch.optim.AdamW(ps), 3: lambda ps: torch.optim.AdamW(ps, amsgrad=True)}
    for expected, make in sizes.items():
        assert ex.state_numel(make) == expected


def test_exercise_nesterov_limit_matches_the_formula():
    ex = load_snippet("optimizers/opt_ex_limit.py")
    assert ex.low == pytest.approx(2 * 1.9 / 2.8, abs=1e-3) and round(ex.low, 4) == 1.3567
    assert ex.diverges(1.40) and not ex.diverges(1.30)


def test_exercise_sgdw_differs_from_l2_only_with_momentum():
    ex = load_snippet("optimizers/opt_ex_sgdw.py")
    assert ex.gap < 1e-14
    gap_momentum = max((a - b).abs().max().item() for (a, _), (b, _) in zip(ex.l2, ex.decoupled))
    assert gap_momentum > 1e-2 and round(gap_momentum, 2) == 0.07
