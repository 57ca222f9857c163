"""lr_find: the sweep it applies, early stopping, its suggestion, bitwise restoration of
everything it touches, and its errors (raised before anything changes)."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch

from lr_one_cycle.range_test import LRFindResult, lr_find
from lr_one_cycle.schedules import lr_sweep

F = torch.nn.functional


def make_problem(seed: int = 0, n_batches: int = 4):
    torch.manual_seed(seed)
    model = torch.nn.Sequential(
        torch.nn.Linear(6, 8),
        torch.nn.BatchNorm1d(8),
        torch.nn.ReLU(),
        torch.nn.Dropout(0.2),
        torch.nn.Linear(8, 3),
    )
    data = [(torch.randn(16, 6), torch.randint(0, 3, (16,))) for _ in range(n_batches)]
    return model, data


def snapshot(model, optimizer):
    """Everything lr_find may touch, as plain copies."""
    return {
        "model": {k: t.clone() for k, t in model.state_dict().items()},
        "grads": [None if p.grad is None else p.grad.clone() for p in model.parameters()],
        "training": [m.training for m in model.modules()],
        "optimizer": optimizer.state_dict(),
        "groups": [{k: g[k] for k in g if k != "params"} for g in optimizer.param_groups],
        "rng": torch.get_rng_state(),
    }


def assert_bitwise_equal(a, b):
    if isinstance(a, torch.Tensor):
        assert isinstance(b, torch.Tensor) and a.dtype == b.dtype and a.shape == b.shape
        assert torch.equal(a.view(torch.uint8) if a.dtype == torch.bool else a, b)
    elif isinstance(a, dict):
        assert a.keys() == b.keys()
        for k in a:
            assert_bitwise_equal(a[k], b[k])
    elif isinstance(a, (list, tuple)):
        assert type(a) is type(b) and len(a) == len(b)
        for x, y in zip(a, b):
            assert_bitwise_equal(x, y)
    elif isinstance(a, float) and math.isnan(a):
        assert math.isnan(b)
    else:
        assert a == b, (a, b)


def trained_adam(model, data, lr=1e-2):
    """An Adam optimizer with state, after a couple of real steps (and grads left over)."""
    optimizer = torch.optim.Adam(model.parameters(), lr=lr, betas=(0.9, 0.99), weight_decay=1e-4)
    for x, y in data[:2]:
        optimizer.zero_grad()
        F.cross_entropy(model(x), y).backward()
        optimizer.step()
    return optimizer


def test_model_optimizer_and_rng_are_restored_bitwise():
    """Weights, BatchNorm buffers, gradients, train/eval flags, Adam's state, param_groups
    and torch's RNG state are exactly as before, so training afterwards is unchanged."""
    model, data = make_problem()
    optimizer = trained_adam(model, data)
    model.eval()
    before = snapshot(model, optimizer)
    result = lr_find(model, optimizer, F.cross_entropy, data, num_iter=30, progress=False)
    assert len(result.lrs) > 5
    assert_bitwise_equal(snapshot(model, optimizer), before)


def test_fresh_optimizer_gets_no_state_and_tensors_keep_their_identity():
    """An optimizer without state stays without; a tensor lr and betas[0] are restored in
    place (the same tensor objects, as a compiled step guards on them)."""
    model, data = make_problem()
    lr, beta1, beta2 = torch.tensor(0.01), torch.tensor(0.9), torch.tensor(0.999)
    optimizer = torch.optim.Adam(model.parameters(), lr=lr, betas=(beta1, beta2), foreach=False)
    params = [p for p in model.parameters()]
    lr_find(model, optimizer, F.cross_entropy, data, num_iter=10, progress=False)
    assert len(optimizer.state) == 0
    assert all(p.grad is None for p in model.parameters())
    group = optimizer.param_groups[0]
    assert group["lr"] is lr and group["betas"][0] is beta1
    assert lr.item() == pytest.approx(0.01) and beta1.item() == pytest.approx(0.9)
    assert all(a is b for a, b in zip(params, model.parameters()))


def test_training_after_lr_find_equals_training_without_it():
    """Two identical set-ups, one of which runs the range test first: the next training
    steps (with dropout, so using the RNG) give bitwise the same weights."""

    def train(run_lr_find: bool):
        model, data = make_problem(seed=3)
        optimizer = torch.optim.SGD(model.parameters(), lr=0.05, momentum=0.9)
        torch.manual_seed(99)
        if run_lr_find:
            lr_find(model, optimizer, F.cross_entropy, data, num_iter=20, progress=False)
        for x, y in data:
            optimizer.zero_grad()
            F.cross_entropy(model(x), y).backward()
            optimizer.step()
        return model.state_dict()

    assert_bitwise_equal(train(True), train(False))


@pytest.mark.parametrize("mode", ["exp", "linear"])
def test_each_iteration_trains_at_the_sweep_lr(mode):
    """Iteration i runs with lr_sweep(...)[i] in every group; the result reports them, and
    data shorter than num_iter is iterated again."""
    model, data = make_problem(n_batches=3)
    optimizer = torch.optim.SGD(
        [{"params": model[0].parameters()}, {"params": model[4].parameters(), "lr": 5.0}], lr=1.0
    )
    seen: list[list[float]] = []

    def loss_fn(output, target):
        seen.append([g["lr"] for g in optimizer.param_groups])
        return F.cross_entropy(output, target)

    result = lr_find(
        model,
        optimizer,
        loss_fn,
        data,
        start_lr=1e-4,
        end_lr=1e-2,
        num_iter=12,
        mode=mode,
        progress=False,
    )
    expected = lr_sweep(start_lr=1e-4, end_lr=1e-2, num_iter=12, mode=mode)
    assert not result.diverged
    np.testing.assert_array_equal(result.lrs, expected)
    assert seen == [[lr, lr] for lr in expected.tolist()]
    assert [g["lr"] for g in optimizer.param_groups] == [1.0, 5.0]


def test_sweep_formulas_hit_both_ends():
    exp = lr_sweep(start_lr=1e-6, end_lr=1.0, num_iter=7)
    np.testing.assert_allclose(exp, 10.0 ** np.arange(-6, 1), rtol=1e-12)
    np.testing.assert_array_equal(
        lr_sweep(start_lr=1.0, end_lr=3.0, num_iter=5, mode="linear"), [1.0, 1.5, 2.0, 2.5, 3.0]
    )


def test_smoothed_loss_is_the_bias_corrected_moving_average():
    """losses[i] = EMA of raw_losses with weight ``smooth``, divided by 1 - (1-smooth)^(i+1);
    smooth=1 gives the raw losses."""
    model, data = make_problem()
    optimizer = torch.optim.SGD(model.parameters(), lr=0.1)
    result = lr_find(
        model,
        optimizer,
        F.cross_entropy,
        data,
        end_lr=1e-2,
        num_iter=15,
        smooth=0.3,
        progress=False,
    )
    average, expected = 0.0, []
    for i, raw in enumerate(result.raw_losses):
        average = 0.7 * average + 0.3 * raw
        expected.append(average / (1 - 0.7 ** (i + 1)))
    np.testing.assert_allclose(result.losses, expected, rtol=1e-12)
    raw = lr_find(
        model,
        optimizer,
        F.cross_entropy,
        data,
        end_lr=1e-2,
        num_iter=5,
        smooth=1.0,
        progress=False,
    )
    np.testing.assert_array_equal(raw.losses, raw.raw_losses)


def test_stops_early_once_the_loss_diverges():
    """A sweep up to lr=1e4 blows the loss up: the test stops at the first smoothed loss
    above diverge_threshold x the best, which it includes."""
    model, data = make_problem()
    optimizer = torch.optim.SGD(model.parameters(), lr=0.1)
    result = lr_find(
        model, optimizer, F.cross_entropy, data, end_lr=1e4, num_iter=200, progress=False
    )
    assert result.diverged
    assert len(result.lrs) < 200
    assert len(result.lrs) == len(result.losses) == len(result.raw_losses)
    assert result.losses[-1] > 5.0 * result.losses[:-1].min()
    assert np.all(result.losses[:-1] <= 5.0 * np.minimum.accumulate(result.losses[:-1]))


def test_suggestion_is_the_loss_minimum_lr_over_ten():
    result = LRFindResult(
        lrs=np.array([1e-3, 1e-2, 1e-1, 1.0]),
        losses=np.array([2.0, 1.5, 1.0, 3.0]),
        raw_losses=np.array([2.0, 1.4, 0.9, 4.0]),
        diverged=True,
    )
    assert result.min_loss_lr == 1e-1
    assert result.suggested_max_lr == 1e-1 / 10


def test_empty_data_is_refused():
    model, _ = make_problem()
    optimizer = torch.optim.SGD(model.parameters(), lr=0.1)
    with pytest.raises(ValueError, match=r"^data is empty: lr_find needs at least one"):
        lr_find(model, optimizer, F.cross_entropy, [], progress=False)
    with pytest.raises(ValueError, match=r"^data is empty: lr_find needs at least one"):
        lr_find(model, optimizer, F.cross_entropy, iter(()), progress=False)
    assert optimizer.param_groups[0]["lr"] == 0.1


def test_nan_loss_from_the_start_is_refused_and_everything_restored():
    model, data = make_problem()
    optimizer = trained_adam(model, data)
    before = snapshot(model, optimizer)

    def nan_loss(output, target):
        return F.cross_entropy(output, target) * float("nan")

    with pytest.raises(ValueError, match=r"^the loss is nan on the first batch \(lr=1e-07\)"):
        lr_find(model, optimizer, nan_loss, data, progress=False)
    assert_bitwise_equal(snapshot(model, optimizer), before)


def test_a_loss_that_becomes_nan_later_counts_as_divergence():
    model, data = make_problem()
    optimizer = torch.optim.SGD(model.parameters(), lr=0.1)
    calls = []

    def loss_fn(output, target):
        calls.append(1)
        loss = F.cross_entropy(output, target)
        return loss * float("nan") if len(calls) > 4 else loss

    result = lr_find(model, optimizer, loss_fn, data, num_iter=20, progress=False)
    assert result.diverged and len(result.lrs) == 4 and np.all(np.isfinite(result.losses))


@pytest.mark.parametrize(
    ("kwargs", "error", "message"),
    [
        ({"start_lr": 0.0}, ValueError, "start_lr must be a finite number > 0, got 0.0"),
        ({"end_lr": 1e-8}, ValueError, "end_lr must be greater than start_lr (1e-07), got 1e-08"),
        ({"num_iter": 1}, ValueError, "num_iter must be an integer >= 2, got 1"),
        ({"num_iter": 10.5}, ValueError, "num_iter must be an integer >= 2, got 10.5"),
        ({"mode": "log"}, ValueError, "mode must be 'exp' or 'linear', got 'log'"),
        ({"smooth": 0}, ValueError, "smooth must be a number in (0, 1], got 0"),
        ({"diverge_threshold": 1}, ValueError, "diverge_threshold must be a number > 1, got 1"),
        ({"progress": 1}, TypeError, "progress must be True or False, got 1 of type int"),
        ({"loss_fn": None}, TypeError, "loss_fn must be callable, got NoneType"),
        ({"model": "net"}, TypeError, "model must be a torch.nn.Module, got str"),
        ({"optimizer": object()}, TypeError, "optimizer must be an optimizer"),
        ({"data": 3}, TypeError, "data must be an iterable of (inputs, targets), got int"),
    ],
)
def test_bad_arguments_are_refused_before_anything_runs(kwargs, error, message):
    model, data = make_problem()
    optimizer = torch.optim.SGD(model.parameters(), lr=0.1)
    before = snapshot(model, optimizer)
    arguments = {
        "model": model,
        "optimizer": optimizer,
        "loss_fn": F.cross_entropy,
        "data": data,
        **kwargs,
    }
    with pytest.raises(error) as raised:
        lr_find(**arguments)
    assert str(raised.value).startswith(message)
    assert_bitwise_equal(snapshot(model, optimizer), before)
