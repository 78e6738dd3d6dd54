"""Tests of the batch-normalization chapter: each test checks a claim the page makes."""
import math
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
                                  "plot_eval_pitfalls"])
def test_plot_snippets_draw_one_figure(name):
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    plt.close("all")
    runpy.run_path(str(SNIPPETS / "batch_norm" / f"{name}.py"), run_name="__main__")
    assert len(plt.get_fignums()) == 1
    plt.close("all")
