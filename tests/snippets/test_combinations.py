"""Claims of the combination-strategies chapter, checked against the snippets it shows."""

import pytest
import torch

from tests.support import load_snippet

sched = load_snippet("combinations/warmup_schedules.py")
pitfall = load_snippet("combinations/warmup_pitfall.py")
rnn = load_snippet("combinations/rnn_adding.py")
tf = load_snippet("combinations/transformer_recipe.py")
norms = load_snippet("combinations/norm_small_batch.py")




# ---- warmup schedules -------------------------------------------------------------------------

def test_article_noam_lambda_fails_at_step_0_with_lambdalr():
    opt = torch.optim.AdamW(torch.nn.Linear(2, 1).parameters(), lr=3e-4)
    with pytest.raises(ZeroDivisionError):
        torch.optim.lr_scheduler.LambdaLR(opt, lr_lambda=pitfall.noam_factor)


def test_article_noam_lambda_is_a_raw_multiplier_peaking_at_warmup_pow_minus_half():
    factors = [pitfall.noam_factor(s) for s in range(1, 12001)]
    peak = max(factors)
    assert factors.index(peak) + 1 == 4000
    assert peak == pytest.approx(4000 ** -0.5, rel=1e-12)
    assert 0.0158 < peak < 0.0159
    # so with base lr 3e-4 the real peak LR is about 4.7e-6, 63x smaller than configured
    assert 3e-4 * peak == pytest.approx(4.74e-6, rel=1e-3)
    # the paper multiplies by d_model**-0.5 with the optimizer's lr set to 1: d=512 peaks near 7.0e-4
    assert 512 ** -0.5 * peak == pytest.approx(6.99e-4, rel=1e-3)


@pytest.mark.parametrize("warmup", [1, 10, 30, 4000])
@pytest.mark.parametrize("kind", ["inverse_sqrt", "linear_cosine"])
def test_warmup_schedules_start_positive_and_peak_exactly_at_base_lr(kind, warmup):
    base_lr = 3e-4
    total = 3 * warmup + 5
    factor = (sched.inverse_sqrt_warmup(warmup) if kind == "inverse_sqrt"
              else sched.linear_warmup_cosine(warmup, total))
    lrs = sched.lr_trace(factor, total, base_lr)   # real LambdaLR + AdamW: no error at step 0
    assert lrs[0] > 0
    assert max(lrs) == base_lr                     # exactly, not approximately
    assert lrs[warmup] == base_lr
    assert lrs.index(max(lrs)) == warmup           # and first reached at step == warmup
    assert all(a < b for a, b in zip(lrs[:warmup], lrs[1:warmup + 1]))  # rises during warmup


def test_inverse_sqrt_decays_as_one_over_sqrt_step_after_warmup():
    warmup = 100
    f = sched.inverse_sqrt_warmup(warmup)
    # 4x the (shifted) step count -> half the LR, as in the Transformer paper's schedule
    assert f(4 * (warmup + 1) - 1) == pytest.approx(0.5, rel=1e-12)
    # same shape as the paper's formula, normalised to peak 1 and shifted by one step
    for s in [150, 1000, 5000]:
        paper = min((s + 1) ** -0.5, (s + 1) * (warmup + 1) ** -1.5) / (warmup + 1) ** -0.5
        assert f(s) == pytest.approx(paper, rel=1e-12)


def test_linear_cosine_ends_at_min_factor():
    f = sched.linear_warmup_cosine(10, 110, min_factor=0.1)
    assert f(110) == pytest.approx(0.1, abs=1e-12)
    assert f(60) == pytest.approx(0.55, abs=1e-12)  # halfway down the cosine


# ---- RNN recipe -------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def rnn_run():
    return rnn.train_adding()


def test_adding_problem_baseline_is_one_sixth():
    x, y = rnn.adding_batch(20000, 20, torch.Generator().manual_seed(1))
    assert x.shape == (20000, 20, 2) and torch.all(x[..., 1].sum(dim=1) == 2)
    assert y.var().item() == pytest.approx(1 / 6, rel=0.03)


def test_rnn_recipe_learns_well_below_predict_the_mean(rnn_run):
    model, hist = rnn_run
    mse, baseline = rnn.evaluate_adding(model)
    assert baseline == pytest.approx(1 / 6, rel=0.1)
    assert mse < 0.03                 # stated bound on the page
    assert mse < baseline / 5


def test_rnn_recipe_clipping_was_active(rnn_run):
    _, hist = rnn_run
    clipped = [n for n in hist["grad_norm"] if n > 1.0]
    assert len(clipped) >= 3          # some steps had pre-clip norm above max_norm = 1.0
    assert len(clipped) < len(hist["grad_norm"]) / 2  # ...but not most: 1.0 is above the typical norm


def test_clip_grad_norm_returns_pre_clip_norm_and_caps_it():
    torch.manual_seed(0)
    model = rnn.AddingRNN()
    x, y = rnn.adding_batch(16, 20, torch.Generator().manual_seed(0))
    torch.nn.functional.mse_loss(model(x), y).backward()
    before = torch.cat([p.grad.flatten() for p in model.parameters()]).norm()
    returned = torch.nn.utils.clip_grad_norm_(model.parameters(), 0.1)
    after = torch.cat([p.grad.flatten() for p in model.parameters()]).norm()
    assert returned.item() == pytest.approx(before.item(), rel=1e-6)
    assert before > 0.1 and after.item() == pytest.approx(0.1, rel=1e-4)


def test_rnn_step_decay_multiplies_lr_by_gamma_at_step_200(rnn_run):
    _, hist = rnn_run
    assert hist["lr"][0] == 1e-2 and hist["lr"][199] == 1e-2
    assert hist["lr"][200] == pytest.approx(3e-3, rel=1e-12)


def test_rnn_step_decay_during_the_plateau_slows_learning(rnn_run):
    model, _ = rnn_run                               # decays at step 200, after the plateau
    early, _ = rnn.train_adding(decay_every=120)     # decays at step 120, still on the plateau
    assert rnn.evaluate_adding(early)[0] > 1.5 * rnn.evaluate_adding(model)[0]


def test_how_grad_norm_depends_on_batch_size_depends_on_training_phase(rnn_run):
    trained, _ = rnn_run
    torch.manual_seed(0)
    untrained = rnn.AddingRNN()
    n0 = rnn.grad_norm_by_batch_size(untrained, [8, 512])
    n1 = rnn.grad_norm_by_batch_size(trained, [8, 512])
    # untrained: the mean gradient dominates, the norm barely moves with batch size
    assert 0.8 < n0[8] / n0[512] < 1.25
    # trained: the noise dominates, the norm falls several-fold from batch 8 to 512
    assert n1[8] / n1[512] > 3


def test_sum_reduction_makes_grad_norm_scale_with_batch():
    torch.manual_seed(0)
    model = rnn.AddingRNN()
    x, y = rnn.adding_batch(64, 20, torch.Generator().manual_seed(0))

    def norm(reduction):
        model.zero_grad()
        torch.nn.functional.mse_loss(model(x), y, reduction=reduction).backward()
        return torch.cat([p.grad.flatten() for p in model.parameters()]).norm().item()

    assert norm("sum") == pytest.approx(64 * norm("mean"), rel=1e-4)


# ---- Transformer recipe -----------------------------------------------------------------------

def test_transformer_recipe_learns_reversal():
    model, hist = tf.train_reversal()
    acc = tf.reversal_accuracy(model)
    assert acc > 0.9                                 # chance is 0.1
    assert max(hist["lr"]) == 3e-3 and hist["lr"].index(3e-3) == 30
    assert hist["loss"][-1] < 0.1 * hist["loss"][0]


def test_transformer_recipe_uses_adamw_with_decoupled_decay():
    # AdamW shrinks weights even with zero gradient; Adam's L2 inside the gradient would be rescaled.
    p = torch.nn.Parameter(torch.ones(3))
    opt = torch.optim.AdamW([p], lr=0.1, weight_decay=0.01)
    p.grad = torch.zeros(3)
    opt.step()
    assert torch.allclose(p.detach(), torch.full((3,), 1 - 0.1 * 0.01))


# ---- small batches and BatchNorm --------------------------------------------------------------

def test_bn_output_depends_on_batchmates_more_in_small_batches_groupnorm_not_at_all():
    layers = norms.norm_layers()
    bn = [norms.batchmate_sensitivity(layers["BatchNorm2d"], b, trials=20) for b in (2, 8, 32)]
    assert bn[0] > bn[1] > bn[2] > 0
    for name, layer in layers.items():
        if name.startswith("GroupNorm"):
            assert norms.batchmate_sensitivity(layer, 2, trials=20) < 1e-6


def test_groupnorm_one_group_equals_layernorm_over_chw():
    x = torch.randn(3, 16, 8, 8)
    gn = torch.nn.GroupNorm(1, 16, affine=False)
    ln = torch.nn.LayerNorm([16, 8, 8], elementwise_affine=False)
    assert torch.allclose(gn(x), ln(x), atol=1e-5)
