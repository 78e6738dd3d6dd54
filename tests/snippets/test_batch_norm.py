"""Tests of the batch-normalization chapter: each test checks a claim the page makes."""
import copy
import math
import re
import runpy

import matplotlib
import pytest
import torch
from torch import nn

from tests.support import SNIPPETS, load_snippet

scratch = load_snippet("batch_norm/bn_scratch.py")
backward = load_snippet("batch_norm/bn_backward.py")
running = load_snippet("batch_norm/bn_running.py")
feature_demo = load_snippet("batch_norm/bn_feature_demo.py")
noise = load_snippet("batch_norm/bn_batch_noise.py")
norm_compare = load_snippet("batch_norm/norm_compare.py")
pitfalls = load_snippet("batch_norm/bn_eval_pitfalls.py")
practice = load_snippet("batch_norm/bn_practice.py")

ONE_VALUE_MSG = "Expected more than 1 value per channel when training"




# ---------------------------------------------------------------- forward pass, running stats

@pytest.mark.parametrize("momentum", [0.1, 0.3, None])
@pytest.mark.parametrize("reference, shape", [(nn.BatchNorm1d, (16, 4)), (nn.BatchNorm2d, (6, 3, 5, 4))])
def test_scratch_equals_pytorch_batchnorm(reference, shape, momentum):
    """Claim: the from-scratch layer equals nn.BatchNorm1d / 2d in training mode (outputs and
    running_mean / running_var after several steps), and in evaluation mode afterwards."""
    torch.manual_seed(0)
    c = shape[1]
    ours = scratch.ScratchBatchNorm(c, momentum=momentum).double()
    theirs = reference(c, momentum=momentum).double()
    with torch.no_grad():
        ours.weight.uniform_(0.5, 1.5)
        ours.bias.normal_()
        theirs.weight.copy_(ours.weight)
        theirs.bias.copy_(ours.bias)
    for step in range(6):
        x = (1.0 + step) * torch.randn(shape, dtype=torch.float64) + step
        torch.testing.assert_close(ours(x), theirs(x), rtol=0, atol=1e-12)
        torch.testing.assert_close(ours.running_mean, theirs.running_mean, rtol=0, atol=1e-12)
        torch.testing.assert_close(ours.running_var, theirs.running_var, rtol=0, atol=1e-12)
        assert int(ours.num_batches_tracked) == int(theirs.num_batches_tracked) == step + 1
    ours.eval()
    theirs.eval()
    x = torch.randn(shape, dtype=torch.float64)
    torch.testing.assert_close(ours(x), theirs(x), rtol=0, atol=1e-12)


def test_scratch_float32_close_to_pytorch():
    """Claim (demo): in float32 the differences are at rounding level."""
    torch.manual_seed(1)
    ours, theirs = scratch.ScratchBatchNorm(5), nn.BatchNorm1d(5)
    x = 3 * torch.randn(32, 5) + 2
    torch.testing.assert_close(ours(x), theirs(x), rtol=0, atol=1e-5)


def test_2d_statistics_are_per_channel_over_n_h_w():
    """Claim: for (N, C, H, W) input the statistics are taken over N, H, W for each channel,
    so m = N*H*W, and every channel of the output has mean 0 and (biased) variance ~1."""
    torch.manual_seed(0)
    x = torch.randn(4, 3, 5, 6, dtype=torch.float64) * torch.tensor([1.0, 2.0, 5.0]).view(1, 3, 1, 1).double()
    y, mean, var, m = scratch.batch_norm_train(x, torch.ones(3, dtype=torch.float64),
                                               torch.zeros(3, dtype=torch.float64))
    assert m == 4 * 5 * 6
    per_channel = x.transpose(0, 1).reshape(3, -1)  # (C, N*H*W)
    torch.testing.assert_close(mean, per_channel.mean(1))
    torch.testing.assert_close(var, per_channel.var(1, correction=0))
    y_per_channel = y.transpose(0, 1).reshape(3, -1)
    torch.testing.assert_close(y_per_channel.mean(1), torch.zeros(3, dtype=torch.float64), atol=1e-12, rtol=0)
    torch.testing.assert_close(y_per_channel.var(1, correction=0), var / (var + 1e-5))


def test_pytorch_momentum_convention_and_unbiased_running_var():
    """Claims: running = (1 - momentum) * running + momentum * batch with momentum=0.1 by default;
    running_var stores the unbiased variance (m/(m-1)), while the output uses the biased one."""
    torch.manual_seed(0)
    bn = nn.BatchNorm1d(3).double()
    assert bn.momentum == 0.1
    m = 10
    x = 2 * torch.randn(m, 3, dtype=torch.float64) + 1
    y = bn(x)
    biased = x.var(0, correction=0)
    unbiased = x.var(0, correction=1)
    torch.testing.assert_close(bn.running_mean, 0.9 * 0.0 + 0.1 * x.mean(0))
    torch.testing.assert_close(bn.running_var, 0.9 * 1.0 + 0.1 * unbiased)
    torch.testing.assert_close(unbiased, biased * m / (m - 1))
    # normalization used the biased variance of the batch
    torch.testing.assert_close(y, (x - x.mean(0)) / torch.sqrt(biased + bn.eps))


def test_momentum_none_is_cumulative_average():
    """Claim: momentum=None makes the running stats the plain average of all batch statistics."""
    torch.manual_seed(0)
    bn = nn.BatchNorm1d(2, momentum=None).double()
    batches = [torch.randn(8, 2, dtype=torch.float64) * (k + 1) + k for k in range(5)]
    for b in batches:
        bn(b)
    torch.testing.assert_close(bn.running_mean, torch.stack([b.mean(0) for b in batches]).mean(0))
    torch.testing.assert_close(bn.running_var, torch.stack([b.var(0) for b in batches]).mean(0))


def test_running_stats_trace_converges():
    """Claims of the running-stats figure: momentum=0.1 settles near the true mean/variance within
    ~50 steps and then fluctuates; momentum=0.01 is still well short after 150 steps; the cumulative
    average (momentum=None) is close from the start and keeps getting closer."""
    mean_01, var_01 = running.running_stats_trace(0.1, steps=150, mean=3.0, std=2.0)
    mean_001, _ = running.running_stats_trace(0.01, steps=150, mean=3.0, std=2.0)
    mean_cum, var_cum = running.running_stats_trace(None, steps=150, mean=3.0, std=2.0)
    # EMA of batch means: stationary std ~ (2/sqrt(32)) * sqrt(0.1/1.9) ~ 0.08; margins are ~5 sigma
    assert (mean_01[50:] - 3.0).abs().max() < 0.5
    assert (var_01[50:] - 4.0).abs().max() < 1.5
    assert mean_01[4] < 2.0  # after 5 steps the EMA is still far: 1 - 0.9**5 = 0.41 of the way
    assert mean_001[-1] < 2.7  # 1 - 0.99**150 = 0.78 of the way
    assert abs(mean_cum[-1] - 3.0) < 0.15 and abs(var_cum[-1] - 4.0) < 0.6


def test_ema_gap_shrinks_geometrically():
    """Claim: fed the same batch every step, running_mean after k steps is (1 - 0.9**k) * batch mean."""
    torch.manual_seed(0)
    bn = nn.BatchNorm1d(1).double()
    x = torch.randn(16, 1, dtype=torch.float64) + 5
    for k in range(1, 31):
        bn(x)
        torch.testing.assert_close(bn.running_mean, (1 - 0.9**k) * x.mean(0))


def test_batch_of_one_fails_in_training_mode_only():
    """Claim: a batch of one sample raises ValueError in training mode (BatchNorm1d, and
    BatchNorm2d with a 1x1 map), with PyTorch's exact message; evaluation mode accepts it."""
    for layer, x in [(nn.BatchNorm1d(4), torch.randn(1, 4)), (nn.BatchNorm2d(4), torch.randn(1, 4, 1, 1)),
                     (scratch.ScratchBatchNorm(4), torch.randn(1, 4))]:
        layer.train()
        with pytest.raises(ValueError, match=ONE_VALUE_MSG):
            layer(x)
        layer.eval()
        assert layer(x).shape == x.shape
    # a single image with more than one pixel per channel is allowed in training mode
    assert nn.BatchNorm2d(4)(torch.randn(1, 4, 3, 3)).shape == (1, 4, 3, 3)


def test_two_samples_normalize_to_plus_minus_one():
    """Claim: with m = 2 every normalized value is +-1/sqrt(1 + 4 eps/d^2), d = x1 - x2, i.e. +-1 unless
    the two values nearly coincide: only the sign of the difference between the two samples survives."""
    torch.manual_seed(0)
    x = torch.randn(2, 50, dtype=torch.float64) * 3
    y, _, _, _ = scratch.batch_norm_train(x, torch.ones(50, dtype=torch.float64), torch.zeros(50, dtype=torch.float64))
    d = x[0] - x[1]
    torch.testing.assert_close(y[0], torch.sign(d) / torch.sqrt(1 + 4e-5 / d**2))
    torch.testing.assert_close(y[1], -y[0])
    assert (y.abs()[:, d.abs() > 0.1] > 0.99).all()


# ---------------------------------------------------------------- backward pass

@pytest.mark.parametrize("shape", [(8, 3), (2, 5), (4, 3, 5, 5)])
@pytest.mark.parametrize("seed", [0, 1])
def test_backward_formulas_equal_autograd(shape, seed):
    """Claim: the derived dx, dgamma, dbeta equal autograd's in float64."""
    diffs = backward.compare_with_autograd(shape, seed=seed)
    assert max(diffs.values()) < 1e-10, diffs


@pytest.mark.parametrize("eps", [0.0, 1e-5])
def test_backward_dx_is_orthogonal_to_one_and_x_hat(eps):
    """Claim: per channel, sum(dx) = 0 exactly and sum(dx * x_hat) = 0 for eps = 0 (about 0 for a
    small eps): BN's output ignores shifts and rescalings of its input, so the gradient has no
    component along them."""
    g = torch.Generator().manual_seed(0)
    x = torch.randn(16, 4, dtype=torch.float64, generator=g) * 2 + 1
    dy = torch.randn(16, 4, dtype=torch.float64, generator=g)
    std = torch.sqrt(x.var(0, correction=0) + eps)
    x_hat = (x - x.mean(0)) / std
    dx, _, _ = backward.batch_norm_backward(dy, x_hat, torch.rand(4, dtype=torch.float64) + 0.5, std)
    assert dx.sum(0).abs().max() < 1e-12
    assert (dx * x_hat).sum(0).abs().max() < (1e-12 if eps == 0 else 1e-4)


# ---------------------------------------------------------------- distributions, noise

def test_features_after_bn_are_standardized_but_keep_their_shape():
    """Claims of the histogram figure: after BN every feature has mean 0 and std 1, whatever its
    offset and scale before; the shape (skewness) of each distribution is unchanged."""
    x, y = feature_demo.features_before_after()
    assert x.mean(0).abs().min() > 0.9 and (x.std(0) - 1).abs().max() > 0.4
    torch.testing.assert_close(y.mean(0), torch.zeros(3), atol=1e-5, rtol=0)
    torch.testing.assert_close(y.std(0, correction=0), torch.ones(3), atol=1e-4, rtol=0)
    torch.testing.assert_close(feature_demo.skewness(y), feature_demo.skewness(x), atol=1e-4, rtol=0)
    assert feature_demo.skewness(y)[2] > 1.0  # the exponential feature stays skewed


def test_batch_mean_noise_scales_as_one_over_sqrt_m():
    """Claims of the noise figure: std of the batch mean = sigma/sqrt(m) and std of the biased batch
    variance = sigma^2 sqrt(2(m-1))/m (to ~10% with 4000 batches), a slope of -1/2 on log-log axes."""
    sizes = [2, 4, 8, 32, 128]
    measured = [noise.batch_stat_spread(m, std=1.5, seed=3) for m in sizes]
    for m, (mean_sd, var_sd) in zip(sizes, measured):
        mean_th, var_th = noise.predicted_spread(m, std=1.5)
        assert abs(mean_sd / mean_th - 1) < 0.1
        assert abs(var_sd / var_th - 1) < 0.15
    slope = (math.log(measured[-1][0]) - math.log(measured[0][0])) / (math.log(128) - math.log(2))
    assert -0.55 < slope < -0.45
    # batch of 2 vs 128: the mean 8x noisier (sqrt(64)), the variance about 5.7x (the formula's ratio)
    assert 7 < measured[0][0] / measured[-1][0] < 9
    assert 5.0 < measured[0][1] / measured[-1][1] < 6.5
    predicted = noise.predicted_spread(2)[1] / noise.predicted_spread(128)[1]
    assert round(predicted, 1) == 5.7


def test_batchnorm_falls_behind_at_small_batches_group_and_layer_norm_do_not():
    """Claims of the comparison figure (mean of 2 seeds): at batch size 2 BatchNorm's test accuracy is
    far below GroupNorm's and LayerNorm's; at batch size 32 it is on par; GN and LN barely depend
    on the batch size."""
    acc = norm_compare.compare(batch_sizes=(2, 32), seeds=(0, 1))
    assert acc["batch", 2] < min(acc["group", 2], acc["layer", 2]) - 0.2, acc
    assert acc["batch", 32] > max(acc["group", 32], acc["layer", 32]) - 0.05, acc
    assert acc["batch", 32] - acc["batch", 2] > 0.25, acc
    for kind in ("group", "layer"):
        assert abs(acc[kind, 32] - acc[kind, 2]) < 0.1, acc
        assert acc[kind, 2] > 0.8, acc


@pytest.mark.parametrize("kind", ["batch", "layer"])
def test_gradient_accumulation_does_not_enlarge_the_bn_batch(kind):
    """Claim: accumulating gradients over two micro-batches of 16 equals one batch of 32 for
    LayerNorm (per-sample statistics) but not for BatchNorm, whose statistics stay per micro-batch."""
    torch.manual_seed(0)
    model = norm_compare.make_mlp(kind).double()
    x, y = torch.randn(32, 64, dtype=torch.float64), torch.randint(0, 10, (32,))
    nn.functional.cross_entropy(model(x), y).backward()
    full = [p.grad.clone() for p in model.parameters()]
    model.zero_grad()
    for half in (slice(0, 16), slice(16, 32)):
        (nn.functional.cross_entropy(model(x[half]), y[half]) / 2).backward()
    gap = max((p.grad - g).abs().max().item() for p, g in zip(model.parameters(), full))
    if kind == "layer":
        assert gap < 1e-12
    else:
        assert gap > 1e-3


@pytest.mark.parametrize("kind", ["group", "layer"])
def test_group_and_layer_norm_behave_the_same_in_train_and_eval(kind):
    """Claim: GroupNorm and LayerNorm compute statistics per sample, so training and evaluation
    mode give the same output and one sample's output does not depend on its batch-mates."""
    torch.manual_seed(0)
    model = norm_compare.make_mlp(kind)
    x = torch.randn(8, 64)
    with torch.no_grad():
        train_out = model.train()(x)
        eval_out = model.eval()(x)
        alone = model(x[:1])
    torch.testing.assert_close(train_out, eval_out)
    torch.testing.assert_close(alone, train_out[:1])


# ---------------------------------------------------------------- train vs eval mode

@pytest.fixture(scope="module")
def trained_bn_mlp():
    data = norm_compare.digits_split()
    return norm_compare.train_mlp("batch", batch_size=32, epochs=2, seed=0, data=data), data


def test_forgetting_eval_pitfalls():
    """Claims of the eval-mode figure: eval-mode accuracy is high; predicting in training mode with
    large mixed batches costs little, with small batches more, with one-class batches (a shifted
    distribution) it collapses."""
    acc = pitfalls.pitfall_accuracies(seed=0)
    ev = acc["eval mode"]
    assert ev > 0.85
    assert acc["train mode, mixed batches of 64"] > ev - 0.06
    assert acc["train mode, mixed batches of 4"] < acc["train mode, mixed batches of 64"] - 0.05
    assert acc["train mode, one-class batches of 64"] < ev - 0.3


def test_prediction_depends_on_batch_mates_only_in_training_mode(trained_bn_mlp):
    """Claim: in training mode one sample's output changes with the rest of its batch; in
    evaluation mode it does not."""
    model, data = trained_bn_mlp
    x_test = data[2]
    assert pitfalls.companion_effect(model, x_test, train_mode=True) > 1e-2
    assert pitfalls.companion_effect(model, x_test, train_mode=False) < 1e-5


def test_training_mode_forward_updates_running_stats_even_under_no_grad(trained_bn_mlp):
    """Claim: a training-mode forward under torch.no_grad() still changes running_mean; the helpers
    work on a copy and leave the caller's model untouched."""
    model, data = trained_bn_mlp
    bn = model[1]
    before = bn.running_mean.clone()
    assert pitfalls.running_mean_drift(model, data[2] + 0.5) > 1e-3
    pitfalls.predict(model, data[2], data[3], 64, train_mode=True)
    assert torch.equal(bn.running_mean, before)


# ---------------------------------------------------------------- practice

def test_conv_bias_before_bn_is_cancelled():
    """Claim: a conv bias in front of BN (training mode) has no effect on the output."""
    torch.manual_seed(0)
    with_bias = nn.Conv2d(3, 8, 3, padding=1, bias=True)
    without = nn.Conv2d(3, 8, 3, padding=1, bias=False)
    with torch.no_grad():
        without.weight.copy_(with_bias.weight)
        with_bias.bias.uniform_(-5, 5)
    x = torch.randn(4, 3, 6, 6)
    torch.testing.assert_close(nn.BatchNorm2d(8)(with_bias(x)), nn.BatchNorm2d(8)(without(x)),
                               atol=1e-4, rtol=0)
    block = practice.conv_bn_relu(3, 8)
    assert block[0].bias is None and isinstance(block[1], nn.BatchNorm2d)


def test_conv_bn_output_is_invariant_to_weight_scale():
    """Claim: scaling the conv weight before BN by any c > 0 leaves the output unchanged
    (up to eps), so weight decay on that weight does not change the function, only its scale."""
    torch.manual_seed(0)
    block = practice.conv_bn_relu(3, 8).double()
    x = torch.randn(4, 3, 6, 6, dtype=torch.float64)
    out = block(x)
    with torch.no_grad():
        block[0].weight.mul_(0.3)
    torch.testing.assert_close(block(x), out, atol=1e-3, rtol=0)


def test_gradient_of_weight_before_bn_scales_inversely():
    """Claim: with the output invariant to c * W, the gradient at c * W is the gradient at W divided
    by c: a smaller weight (as weight decay makes it) gets relatively larger steps."""
    torch.manual_seed(0)
    block = practice.conv_bn_relu(3, 8).double()
    x = torch.randn(4, 3, 6, 6, dtype=torch.float64)
    target = torch.randn(4, 8, 6, 6, dtype=torch.float64)

    def grad_at(scale):
        block.zero_grad()
        with torch.no_grad():
            block[0].weight.mul_(scale)
        ((block(x) - target) ** 2).mean().backward()
        grad = block[0].weight.grad.clone()
        with torch.no_grad():
            block[0].weight.div_(scale)
        return grad

    # eps = 1e-5 makes the invariance approximate, hence the tolerance
    torch.testing.assert_close(grad_at(0.5), 2.0 * grad_at(1.0), atol=1e-4, rtol=1e-3)


def test_param_groups_exclude_norm_params_and_biases_from_decay():
    """Claim: BN gamma/beta (and biases) go into the group with weight_decay=0; conv and linear
    weights into the decayed group; every parameter appears exactly once."""
    model = practice.small_cnn()
    decay, no_decay = practice.param_groups(model, weight_decay=5e-4)
    assert decay["weight_decay"] == 5e-4 and no_decay["weight_decay"] == 0.0
    decay_ids = {id(p) for p in decay["params"]}
    no_decay_ids = {id(p) for p in no_decay["params"]}
    assert not decay_ids & no_decay_ids
    assert decay_ids | no_decay_ids == {id(p) for p in model.parameters()}
    for module in model.modules():
        if isinstance(module, nn.BatchNorm2d):
            assert {id(module.weight), id(module.bias)} <= no_decay_ids
        if isinstance(module, (nn.Conv2d, nn.Linear)):
            assert id(module.weight) in decay_ids
        if isinstance(module, nn.Linear):
            assert id(module.bias) in no_decay_ids
    # with zero gradients, only the decayed weights move under AdamW's decoupled decay
    opt = torch.optim.AdamW(practice.param_groups(model, 0.1), lr=0.1)
    bn, conv = model[0][1], model[0][0]
    gamma, w = bn.weight.clone(), conv.weight.clone()
    for p in model.parameters():
        p.grad = torch.zeros_like(p)
    opt.step()
    assert torch.equal(bn.weight, gamma) and not torch.equal(conv.weight, w)


def _fine_tune_steps(model, steps=3):
    optimizer = torch.optim.SGD([p for p in model.parameters() if p.requires_grad], lr=0.05, momentum=0.9)
    g = torch.Generator().manual_seed(0)
    for _ in range(steps):
        x, y = torch.randn(8, 1, 8, 8, generator=g) + 1.0, torch.randint(0, 10, (8,), generator=g)
        loss = nn.functional.cross_entropy(model(x), y)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()


def test_freeze_bn_keeps_running_stats_and_affine_fixed():
    """Claim: after model.train(); freeze_bn(model), fine-tuning steps leave running_mean,
    running_var, num_batches_tracked, gamma and beta unchanged while the conv weights train."""
    torch.manual_seed(0)
    model = practice.small_cnn()
    model.train()
    practice.freeze_bn(model)
    bns = [m for m in model.modules() if isinstance(m, nn.BatchNorm2d)]
    saved = [{k: v.clone() for k, v in bn.state_dict().items()} for bn in bns]
    conv_w = model[0][0].weight.clone()
    _fine_tune_steps(model)
    for bn, state in zip(bns, saved):
        assert not bn.training
        for k, v in bn.state_dict().items():
            assert torch.equal(v, state[k]), k
    assert not torch.equal(model[0][0].weight, conv_w)


def test_model_train_undoes_freeze_bn():
    """Claim: model.train() puts BN back in training mode, so freeze_bn must be called after it."""
    torch.manual_seed(0)
    model = practice.small_cnn()
    practice.freeze_bn(model, freeze_affine=False)
    model.train()
    bn = model[0][1]
    before = bn.running_mean.clone()
    _fine_tune_steps(model, steps=1)
    assert bn.training and not torch.equal(bn.running_mean, before)


# ---------------------------------------------------------------- the files run as shown

@pytest.mark.parametrize("name", ["bn_scratch", "bn_backward", "bn_running", "bn_feature_demo",
                                  "bn_batch_noise", "bn_practice", "bn_eval_pitfalls"])
def test_snippet_demo_runs(name, capsys):
    runpy.run_path(str(SNIPPETS / "batch_norm" / f"{name}.py"), run_name="__main__")
    assert capsys.readouterr().out.strip()


@pytest.mark.parametrize("name", ["plot_running_stats", "plot_feature_hist", "plot_batch_noise",
                                  "plot_eval_pitfalls", "plot_order"])
def test_plot_snippets_draw_one_figure(name):
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    plt.close("all")
    runpy.run_path(str(SNIPPETS / "batch_norm" / f"{name}.py"), run_name="__main__")
    assert len(plt.get_fignums()) == 1
    plt.close("all")


# ---------------------------------------------------------------- folding BN into the conv

fold = load_snippet("batch_norm/bn_fold.py")


@pytest.mark.parametrize("with_bias", [True, False])
def test_fold_by_hand_equals_eval_conv_bn_and_pytorch_fusion(with_bias):
    """Claims: the folded conv (W' = W*gamma/sqrt(var+eps), b' = (b-mean)*gamma/sqrt(var+eps)+beta)
    gives the eval-mode conv+BN output, to 1e-12 in float64 and to float32 rounding (~1e-6) in
    float32; its weights equal fuse_conv_bn_eval's; a conv without bias gets one."""
    for dtype, tol in [(torch.float64, 1e-12), (torch.float32, 1e-5)]:
        conv, bn = fold.conv_bn_example(seed=1, dtype=dtype)
        if not with_bias:
            conv = nn.Conv2d(3, 8, 3, padding=1, bias=False).to(dtype).eval()
        x = 2.0 * torch.randn(4, 3, 8, 8, dtype=dtype) + 1.0
        by_hand, by_torch = fold.fold_bn_into_conv(conv, bn), fold.fuse_conv_bn_eval(conv, bn)
        with torch.no_grad():
            reference = bn(conv(x))
            assert reference.abs().max() > 1.0  # the outputs are not tiny: the tolerance means something
            torch.testing.assert_close(by_hand(x), reference, rtol=0, atol=tol)
            torch.testing.assert_close(by_torch(x), reference, rtol=0, atol=tol)
        torch.testing.assert_close(by_hand.weight, by_torch.weight, rtol=0, atol=tol)
        torch.testing.assert_close(by_hand.bias, by_torch.bias, rtol=0, atol=tol)
        assert by_hand.bias is not None and by_hand.bias.shape == (8,)
        assert not bn.training and bn.num_batches_tracked == 20  # folding left the BN alone


def test_fold_is_not_training_mode_bn():
    """Claims: a fold is the eval-mode map (running statistics), not the training-mode one; folding
    with one batch's own statistics reproduces training mode on that batch only; fuse_conv_bn_eval
    refuses a BN (or conv) in training mode with AssertionError: Fusion only for eval!"""
    conv, bn = fold.conv_bn_example(dtype=torch.float64)
    g = torch.Generator().manual_seed(0)
    x, other = (2.0 * torch.randn(2, 4, 3, 8, 8, dtype=torch.float64, generator=g) + 1.0)
    folded = fold.fold_bn_into_conv(conv, bn)
    with torch.no_grad():
        bn.train()
        train_out = bn(conv(x))
        assert (folded(x) - train_out).abs().max() > 0.1
        # a fold with this batch's statistics (biased variance, as training mode normalises)
        z = conv(x)
        batch_bn = nn.BatchNorm2d(8).double().eval()
        batch_bn.load_state_dict(bn.state_dict())
        batch_bn.running_mean.copy_(z.mean((0, 2, 3)))
        batch_bn.running_var.copy_(z.var((0, 2, 3), correction=0))
        per_batch = fold.fold_bn_into_conv(conv, batch_bn)
        torch.testing.assert_close(per_batch(x), train_out, rtol=0, atol=1e-12)
        assert (per_batch(other) - bn(conv(other))).abs().max() > 0.1
    for module in (bn, conv):  # either one in training mode is refused
        bn.eval()
        conv.eval()
        module.train()
        with pytest.raises(AssertionError, match="^Fusion only for eval!$"):
            fold.fuse_conv_bn_eval(conv, bn)


def test_fuse_conv_bn_pairs_on_small_cnn():
    """Claims: fuse_conv_bn_pairs gives an eval-mode copy with no BatchNorm2d left and the same
    outputs as the eval-mode model; the original model is untouched."""
    torch.manual_seed(0)
    model = practice.small_cnn()
    with torch.no_grad():
        model(torch.randn(64, 1, 8, 8) + 0.5)
    model.eval()
    state = {k: v.clone() for k, v in model.state_dict().items()}
    fused = fold.fuse_conv_bn_pairs(model)
    assert all(torch.equal(v, state[k]) for k, v in model.state_dict().items())
    assert not fused.training
    assert not any(isinstance(m, nn.BatchNorm2d) for m in fused.modules())
    assert sum(isinstance(m, nn.BatchNorm2d) for m in model.modules()) == 2
    x = torch.randn(5, 1, 8, 8)
    with torch.no_grad():
        torch.testing.assert_close(fused(x), model(x), rtol=0, atol=1e-5)


def test_fold_demo_prints_what_the_page_quotes(capsys):
    """Claim: the demo's printout: differences at float32 rounding level, a training-mode gap of
    order 0.1 to 1, the AssertionError's text, and no BatchNorm2d left in the fused model."""
    runpy.run_path(str(SNIPPETS / "batch_norm" / "bn_fold.py"), run_name="__main__")
    out = capsys.readouterr().out
    diffs = [float(v) for v in re.findall(r"conv\+BN: ([0-9.e+-]+)", out)]
    assert len(diffs) == 3 and max(diffs[:2]) < 1e-5 and 0.1 < diffs[2] < 2.0, out
    assert "AssertionError: Fusion only for eval!" in out
    assert "BatchNorm2d layers left: 0" in out


# ---------------------------------------------------------------- weight averaging and update_bn

swa = load_snippet("batch_norm/bn_swa.py")


@pytest.mark.parametrize("seed", [0, 1])
def test_averaged_weights_need_update_bn(seed):
    """Claims (one run per seed, numbers quoted for seed 0): the averaged weights beat the last
    weights; with the running statistics they inherited (or averaged) their test loss is clearly
    worse than after update_bn, and their accuracy no better."""
    r = swa.stale_vs_updated(seed=seed)
    last, stale = r["last weights"], r["averaged, stale BN statistics"]
    averaged, fresh = r["averaged, averaged BN statistics"], r["averaged, after update_bn"]
    assert fresh[0] < last[0] - 0.1 and fresh[1] > last[1] + 0.03, r
    assert fresh[0] < stale[0] - 0.03 and fresh[1] >= stale[1], r
    assert fresh[0] < averaged[0] - 0.03 and fresh[1] >= averaged[1], r
    quoted = {  # the numbers on the page
        0: {"last weights": (0.390, 0.887), "averaged, stale BN statistics": (0.213, 0.962),
            "averaged, averaged BN statistics": (0.245, 0.956),
            "averaged, after update_bn": (0.165, 0.964)},
        1: {"averaged, stale BN statistics": (0.352, 0.944), "averaged, after update_bn": (0.203, 0.966)},
    }[seed]
    for key, (loss, acc) in quoted.items():
        assert abs(r[key][0] - loss) < 5e-4 and abs(r[key][1] - acc) < 5e-4, (key, r[key])


def test_averaged_model_copies_buffers_and_update_bn_recomputes_them():
    """Claims: with use_buffers=False, update_parameters copies the running statistics of the
    current model (not of the averaged weights): in the page's run the first BN's inherited
    running_var is on average 1.34 times (per channel 0.05 to 3.3 times) what update_bn finds.
    update_bn replaces them with a cumulative average (momentum=None) over one pass of the loader,
    in training mode, restores momentum and the model's mode, and accepts (input, label) batches."""
    data = norm_compare.digits_split()
    model, averaged, loader = swa.train_with_swa(seed=0, data=data)
    torch.testing.assert_close(averaged.module[1].running_var, model[1].running_var, rtol=0, atol=0)
    stale_var = averaged.module[1].running_var.clone()
    other = copy.deepcopy(averaged)
    swa.update_bn(loader, averaged)
    ratio = stale_var / averaged.module[1].running_var
    assert abs(ratio.mean() - 1.34) < 0.005 and ratio.min() < 0.06 and ratio.max() > 3.2, ratio

    batches = [(data[0][i:i + 100], data[1][i:i + 100]) for i in range(0, 1000, 100)]
    other.eval()
    seen = []  # (training mode, grad enabled) at each forward during update_bn
    hook = other.module[1].register_forward_hook(
        lambda m, i, o: seen.append((m.training, torch.is_grad_enabled())))
    swa.update_bn(batches, other)
    hook.remove()
    assert seen == [(True, False)] * 10
    first_bn = other.module[1]
    assert not other.training and first_bn.momentum == 0.1
    assert int(first_bn.num_batches_tracked) == 10
    with torch.no_grad():
        pre = [other.module[0](x) for x, _ in batches]  # what the first BN sees
    torch.testing.assert_close(first_bn.running_mean, torch.stack([z.mean(0) for z in pre]).mean(0))
    torch.testing.assert_close(first_bn.running_var, torch.stack([z.var(0) for z in pre]).mean(0))


def test_ema_model_averages_weights_and_buffers():
    """Claims: ema_model keeps decay * ema + (1 - decay) * current for parameters and buffers
    (running stats); passing the averaging function positionally puts it in `device` and fails."""
    torch.manual_seed(0)
    model = norm_compare.make_mlp("batch")
    ema = swa.ema_model(model, decay=0.9)
    ema.update_parameters(model)  # the first update copies
    before = {k: v.clone() for k, v in ema.module.state_dict().items()}
    model.train()
    model(torch.randn(16, 64))  # moves the running stats
    with torch.no_grad():
        model[0].weight.add_(1.0)
    ema.update_parameters(model)
    for key in ("0.weight", "1.running_mean", "1.running_var"):
        expected = 0.9 * before[key] + 0.1 * model.state_dict()[key]
        torch.testing.assert_close(ema.module.state_dict()[key], expected)
    with pytest.raises(TypeError, match="invalid combination of arguments"):
        swa.AveragedModel(model, swa.get_ema_multi_avg_fn(0.9), use_buffers=True)


# ---------------------------------------------------------------- BN before or after the ReLU

order = load_snippet("batch_norm/bn_order.py")


@pytest.fixture(scope="module")
def order_signals():
    x = norm_compare.digits_split()[0]
    signals = {}
    for kind in ("bn-relu", "relu-bn"):
        torch.manual_seed(0)
        signals[kind] = order.first_block_signals(order.ordered_mlp(kind).train(), x)
    return signals


def test_bn_before_relu_sees_a_centred_input_and_feeds_half_zeros(order_signals):
    """Claims: with Linear -> BN -> ReLU the BN sees a centred input with no zeros, and the next
    layer gets non-negative values, about half of them exactly zero (those at or below the batch
    mean), mean 0.38."""
    bn_input, next_input = order_signals["bn-relu"]
    d_bn, d_next = order.describe(bn_input), order.describe(next_input)
    assert d_bn["zeros"] == 0 and abs(d_bn["mean"]) < 0.01 and d_bn["min"] < -3
    assert 0.45 < d_next["zeros"] < 0.55 and d_next["min"] == 0 and abs(d_next["mean"] - 0.38) < 0.005
    # beta = 0: the ReLU cuts every channel at its batch mean
    assert torch.equal(next_input == 0, bn_input <= bn_input.mean(0))


def test_bn_after_relu_sees_half_zeros_and_feeds_zero_mean_values(order_signals):
    """Claims: with Linear -> ReLU -> BN the BN sees non-negative values, about half exactly zero
    (mean 0.21, skewed); the next layer gets mean 0, no exact zeros, values down to -0.87; every
    zero of a feature becomes the same negative value, that feature's minimum."""
    bn_input, next_input = order_signals["relu-bn"]
    d_bn, d_next = order.describe(bn_input), order.describe(next_input)
    assert 0.45 < d_bn["zeros"] < 0.55 and d_bn["min"] == 0 and abs(d_bn["mean"] - 0.21) < 0.005
    assert d_bn["skew"] > 1.0
    assert d_next["zeros"] == 0 and abs(d_next["mean"]) < 1e-3 and abs(d_next["min"] + 0.87) < 0.005
    for j in range(bn_input.shape[1]):
        at_zero = next_input[bn_input[:, j] == 0, j]
        assert len(at_zero) > 0 and (at_zero == next_input[:, j].min()).all() and at_zero[0] < 0


def test_bias_before_relu_bn_is_not_cancelled():
    """Claim: in the ReLU -> BN order the Linear layer's bias changes the output (it moves the ReLU's
    threshold), unlike a bias directly in front of BN."""
    torch.manual_seed(0)
    model = order.ordered_mlp("relu-bn").train()
    x = torch.randn(32, 64)
    with torch.no_grad():
        out = model(x)
        model[0].bias.add_(0.5)
        assert (model(x) - out).abs().max() > 0.1
    assert order.ordered_mlp("bn-relu")[0].bias is None


def test_both_orders_train_about_equally_on_digits():
    """Claims (2 epochs, seeds 0 and 1, numbers on the page): BN -> ReLU reaches 0.961 and 0.954,
    ReLU -> BN 0.971 and 0.964; both orders are above 0.95 and within 0.02 of each other."""
    data = norm_compare.digits_split()
    acc = {(kind, s): norm_compare.accuracy(order.train_ordered(kind, seed=s, data=data), data[2], data[3])
           for kind in ("bn-relu", "relu-bn") for s in (0, 1)}
    quoted = {("bn-relu", 0): 0.961, ("bn-relu", 1): 0.954, ("relu-bn", 0): 0.971, ("relu-bn", 1): 0.964}
    for key, value in quoted.items():
        assert abs(acc[key] - value) < 5e-4, (key, acc[key])
    for s in (0, 1):
        assert min(acc["bn-relu", s], acc["relu-bn", s]) > 0.95
        assert abs(acc["bn-relu", s] - acc["relu-bn", s]) < 0.02


# ---------------------------------------------------------------- zero-initialised gamma

zero_gamma = load_snippet("batch_norm/bn_zero_gamma.py")


@pytest.mark.parametrize("train_mode", [True, False])
def test_zero_gamma_block_starts_as_identity(train_mode):
    """Claims: with gamma = 0 in its last BN the block computes relu(x), which is x for the
    non-negative input it gets from a previous ReLU; with gamma = 1 it does not."""
    torch.manual_seed(0)
    x = torch.randn(16, 32)
    for zero in (True, False):
        block = zero_gamma.ResidualBlock(32, zero_gamma=zero).train(train_mode)
        with torch.no_grad():
            out, out_pos = block(x), block(x.relu())
        if zero:
            torch.testing.assert_close(out, x.relu(), rtol=0, atol=0)
            torch.testing.assert_close(out_pos, x.relu(), rtol=0, atol=0)
        else:
            assert (out_pos - x.relu()).abs().max() > 0.1


def test_zero_gamma_branch_gets_no_gradient_at_the_first_step():
    """Claim: at the first step the weights inside each residual branch get exactly zero gradient
    (it flows through gamma = 0); gamma itself gets a non-zero one, so it moves first."""
    torch.manual_seed(0)
    model = zero_gamma.residual_mlp(4, zero_gamma=True)
    x, y = norm_compare.digits_split()[0][:32], norm_compare.digits_split()[1][:32]
    nn.functional.cross_entropy(model(x), y).backward()
    for block in model[3:7]:
        for linear in (block.branch[0], block.branch[3]):
            assert torch.count_nonzero(linear.weight.grad) == 0
        assert block.branch[-1].weight.grad.abs().max() > 1e-4
    assert model[0].weight.grad.abs().max() > 1e-4  # the stem trains from the first step


def test_output_scale_grows_with_depth_unless_gamma_is_zero():
    """Claims: at initialization the features after 1, 4, 16 blocks have std 0.89, 1.42, 2.94 with
    gamma = 1 (each block adds its branch's variance) and stay exactly the stem's with gamma = 0."""
    x = norm_compare.digits_split()[0]
    stds = {}
    for zero in (False, True):
        for depth in (1, 4, 16):
            torch.manual_seed(0)
            model = zero_gamma.residual_mlp(depth, zero).train()
            with torch.no_grad():
                stds[zero, depth] = model[:-1](x).std().item()
                stem = model[:3](x).std().item()
            if zero:
                assert stds[zero, depth] == pytest.approx(stem, abs=1e-6)
    for depth, value in [(1, 0.89), (4, 1.42), (16, 2.94)]:
        assert abs(stds[False, depth] - value) < 0.005, stds


def test_zero_gamma_short_runs():
    """Claims (30 steps, seeds 0 and 1, the page's numbers): with 8 blocks and lr 0.02 zero gamma
    is ahead (0.890, 0.893 vs 0.819, 0.719); with 2 blocks and lr 0.005 it lags (0.713, 0.799 vs
    0.816, 0.870)."""
    data = norm_compare.digits_split()
    quoted = {(8, 0.02, False): (0.819, 0.719), (8, 0.02, True): (0.890, 0.893),
              (2, 0.005, False): (0.816, 0.870), (2, 0.005, True): (0.713, 0.799)}
    acc = {}
    for (depth, lr, zero), values in quoted.items():
        acc[depth, lr, zero] = [zero_gamma.short_run(zero, depth, lr=lr, seed=s, data=data)[0] for s in (0, 1)]
        for got, want in zip(acc[depth, lr, zero], values):
            assert abs(got - want) < 5e-4, (depth, lr, zero, acc[depth, lr, zero])
    for s in (0, 1):
        assert acc[8, 0.02, True][s] > acc[8, 0.02, False][s] + 0.05
        assert acc[2, 0.005, True][s] < acc[2, 0.005, False][s] - 0.05


# ---------------------------------------------------------------- exercises

def test_exercise_unbiased_running_var_biased_normalisation():
    """Claims: with momentum=1 one step leaves running_var / biased variance = m/(m-1) = 1.3333
    (the unbiased variance, to 1e-15); the output equals the chapter's biased forward; the
    unbiased variance would scale every output by sqrt(3/4) = 0.8660."""
    ex = load_snippet("batch_norm/bn_ex_unbiased.py")
    assert ex.m == 4
    torch.testing.assert_close(ex.ratio, torch.full((5,), 4 / 3, dtype=torch.float64), rtol=0, atol=1e-12)
    assert (ex.bn.running_var - ex.unbiased).abs().max() < 1e-13
    assert (ex.y - ex.with_biased).abs().max() < 1e-13
    assert (ex.y - ex.with_unbiased).abs().max() > 0.1  # the wrong variance is visibly wrong
    torch.testing.assert_close(ex.shrink, torch.full_like(ex.y, math.sqrt(3 / 4)), rtol=0, atol=1e-5)


def test_exercise_steps_to_one_percent():
    """Claims: fed a fixed batch (mean 3, variance 4), momentum 0.1 needs 44 steps for running_mean
    and 41 for running_var to be within 1%, momentum 0.01 459 and 430, exactly the formula; with
    random batches of 32 the running mean's std is 0.085 (predicted 0.081) and it is within 1% of
    3.0 at 26% of the steps."""
    ex = load_snippet("batch_norm/bn_ex_steps.py")
    assert ex.steps_to_one_percent(0.1) == {"mean": 44, "var": 41}
    assert ex.steps_to_one_percent(0.01) == {"mean": 459, "var": 430}
    assert (ex.formula(0.1, 0.0, 3.0), ex.formula(0.1, 1.0, 4.0)) == (44, 41)
    assert (ex.formula(0.01, 0.0, 3.0), ex.formula(0.01, 1.0, 4.0)) == (459, 430)
    assert round(ex.settled.std().item(), 3) == 0.085 and round(ex.predicted, 3) == 0.081
    assert round(((ex.settled - 3.0).abs() <= 0.03).float().mean().item(), 2) == 0.26


@pytest.mark.parametrize("dtype, tol", [(torch.float32, 1e-5), (torch.float64, 1e-12)])
def test_exercise_fold_bn_into_linear_before_and_after(dtype, tol):
    """Claims: both folds match the eval-mode pair (about 1e-6 in float32), the fold into the
    previous Linear is PyTorch's fuse_linear_bn_eval and the chapter's conv fold; in training mode
    no fold matches."""
    ex = load_snippet("batch_norm/bn_ex_fold_linear.py")
    assert 1e-7 < ex.before < 5e-6 and 1e-7 < ex.after < 5e-6  # "about 1e-6": rounding, not zero
    from torch.nn.utils import fusion
    from torch.nn.utils.fusion import fuse_linear_bn_eval
    # "PyTorch's fusion utilities do not offer" BN -> Linear: only conv/linear followed by BN
    assert {n for n in dir(fusion) if n.startswith("fuse")} == {
        "fuse_conv_bn_eval", "fuse_conv_bn_weights", "fuse_linear_bn_eval", "fuse_linear_bn_weights"}
    first, bn, second = (copy.deepcopy(m).to(dtype).eval() for m in (ex.first, ex.bn, ex.second))
    x = 2.0 * torch.randn(8, 20, dtype=dtype) + 1.0
    with torch.no_grad():
        prev = ex.fold_into_previous(first, bn)
        assert (prev(x) - bn(first(x))).abs().max() < tol
        h = first(x)
        assert (ex.fold_into_next(bn, second)(h) - second(bn(h))).abs().max() < tol
        theirs = fuse_linear_bn_eval(first, bn)
        torch.testing.assert_close(prev.weight, theirs.weight, rtol=0, atol=tol)
        torch.testing.assert_close(prev.bias, theirs.bias, rtol=0, atol=tol)
        generic = fold.fold_bn_into_conv(first, bn)  # the chapter's conv fold works for a Linear
        torch.testing.assert_close(prev.weight, generic.weight, rtol=0, atol=tol)
        torch.testing.assert_close(prev.bias, generic.bias, rtol=0, atol=tol)
        bn.train()
        assert (ex.fold_into_next(bn, second)(h) - second(bn(h))).abs().max() > 0.1


def test_exercise_batch_of_one():
    """Claims: on (1, 64) in training mode BatchNorm1d raises; LayerNorm and GroupNorm(8, 64)
    normalise within the sample (std 1), LayerNorm as it would inside any batch; GroupNorm(64, 64)
    raises the same 'when training' error in eval mode too, and on (2, 64) it runs and outputs
    rounding noise (below 1e-4) with a gradient as small; BatchNorm1d accepts (1, 64, 10)."""
    ex = load_snippet("batch_norm/bn_ex_batch_of_one.py")
    with pytest.raises(ValueError, match=ONE_VALUE_MSG):
        nn.BatchNorm1d(64).train()(ex.one)
    for layer in (nn.GroupNorm(64, 64).train(), nn.GroupNorm(64, 64).eval()):
        with pytest.raises(ValueError, match=ONE_VALUE_MSG):
            layer(ex.one)
    layer_norm, group_norm = nn.LayerNorm(64), nn.GroupNorm(8, 64)
    y = layer_norm(ex.one)
    assert abs(y.std(correction=0).item() - 1) < 1e-3 and abs(y.mean().item()) < 1e-5
    batch = torch.cat([ex.one, torch.randn(7, 64)])
    torch.testing.assert_close(layer_norm(batch)[:1], y)
    for layer in (layer_norm, group_norm):  # no running statistics: the same in both modes
        torch.testing.assert_close(layer.eval()(ex.one), layer.train()(ex.one), rtol=0, atol=0)
    groups = group_norm(ex.one).view(8, 8)
    assert (groups.std(1, correction=0) - 1).abs().max() < 1e-3 and groups.mean(1).abs().max() < 1e-5
    x = torch.randn(2, 64, requires_grad=True)
    out = nn.GroupNorm(64, 64)(x)
    (out * torch.linspace(-1.0, 1.0, 128).view(2, 64)).sum().backward()
    assert out.abs().max() < 1e-4 and x.grad.abs().max() < 1e-4
    assert nn.BatchNorm1d(64)(torch.randn(1, 64, 10)).shape == (1, 64, 10)


def test_exercise_freezing_bn_three_ways():
    """Claims: switching gamma/beta's requires_grad off, or freeze_bn before model.train(), leaves the
    running mean moving (0.206 in five steps); model.train() then freeze_bn keeps it exactly; gamma
    is fixed and the conv weights train in all three."""
    ex = load_snippet("batch_norm/bn_ex_freeze.py")
    moved = {name: ex.finetune(prepare) for name, prepare in ex.ways.items()}
    wrong_1, wrong_2, right = moved.values()
    for mean_moved, _, _ in (wrong_1, wrong_2):
        assert round(mean_moved, 3) == 0.206
    assert right[0] == 0.0
    for _, gamma_moved, conv_moved in moved.values():
        assert gamma_moved == 0.0 and conv_moved > 1e-3


def test_exercise_gamma_beta_before_another_bn_are_scale_invariant():
    """Claims: halving the first BN's gamma and beta changes the loss only in the 5th decimal
    (1.263006 vs 1.263022, through eps), doubles the gradient (1.9997), and the gradient is orthogonal
    to (gamma, beta) (cosine ~1e-5); halving the second BN's, followed by no BN, moves the loss from
    1.2630 to 1.1368."""
    ex = load_snippet("batch_norm/bn_ex_gamma_decay.py")
    assert (round(ex.loss_1, 6), round(ex.loss_half, 6)) == (1.263006, 1.263022)
    assert abs(ex.loss_half - ex.loss_1) < 1e-4
    ratio = (ex.grad_half.norm() / ex.grad.norm()).item()
    assert abs(ratio - 2) < 1e-3 and round(ratio, 4) == 1.9997
    cosine = (ex.grad @ ex.theta / (ex.grad.norm() * ex.theta.norm())).item()
    assert 1e-6 < abs(cosine) < 1e-4  # "of order 1e-5"
    last = [ex.loss_and_grads(c, layer=4)[0] for c in (1.0, 0.5)]
    assert (round(last[0], 4), round(last[1], 4)) == (1.2630, 1.1368)
    assert last[0] - last[1] > 0.1 and last[1] > math.log(3)  # towards uniform predictions, ln 3 = 1.0986
