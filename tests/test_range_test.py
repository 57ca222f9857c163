"""lr_find: the sweep it applies, early stopping, its suggestion rules (against their
sources), bitwise restoration of everything it touches (torch's, Python's and numpy's
random states included), the data forms it takes, and its errors (raised before anything
changes, or with everything restored)."""

from __future__ import annotations

import math
import random
import warnings

import numpy as np
import pytest
import torch

from lr_one_cycle.range_test import (
    DEFAULT_RULE,
    SUGGESTION_RULES,
    LRFindResult,
    lightning,
    lr_find,
    minimum,
    steep,
    valley,
)
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
        "python_rng": random.getstate(),
        "numpy_rng": list(np.random.get_state()),
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
    elif isinstance(a, np.ndarray):
        np.testing.assert_array_equal(a, b)
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


def test_a_negative_loss_is_swept_until_it_really_diverges():
    """fastai's test (loss > 5 x best) holds at once for a negative best; ours reads the
    threshold on the best's magnitude, so a loss below zero sweeps on."""
    model, data = make_problem()
    optimizer = torch.optim.SGD(model.parameters(), lr=0.1)

    def shifted(outputs, targets):  # cross-entropy minus 10: negative throughout
        return F.cross_entropy(outputs, targets) - 10.0

    result = lr_find(model, optimizer, shifted, data, end_lr=1e4, num_iter=200, progress=False)
    assert result.losses[0] < 0 and len(result.lrs) > 50
    best = np.minimum.accumulate(result.losses)
    over = result.losses - best > 4.0 * np.abs(best)
    assert result.diverged and over[-1] and not over[:-1].any()


def test_buffers_outside_the_state_dict_are_restored_too():
    class Counting(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.linear = torch.nn.Linear(6, 3)
            self.register_buffer("seen", torch.zeros(6), persistent=False)

        def forward(self, x):
            self.seen += x.abs().sum(0)
            return self.linear(x)

    _, data = make_problem()
    model = Counting()
    optimizer = torch.optim.SGD(model.parameters(), lr=0.1)
    lr_find(model, optimizer, F.cross_entropy, data, num_iter=10, progress=False)
    assert torch.equal(model.seen, torch.zeros(6))


def test_the_optimizers_step_hooks_do_not_run_during_the_test_and_stay_registered():
    from lr_one_cycle import lr_one_cycle, step_with_optimizer

    model, data = make_problem()
    optimizer = torch.optim.SGD(model.parameters(), lr=0.1, momentum=0.9)
    scheduler = lr_one_cycle(optimizer, max_lr=0.01, total_steps=5)
    step_with_optimizer(scheduler, optimizer)
    calls = []
    optimizer.register_step_pre_hook(lambda *args: calls.append("pre"))
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no ScheduleOverrideWarning, no step past the end
        lr_find(model, optimizer, F.cross_entropy, data, num_iter=30, progress=False)
    assert scheduler.last_epoch == 0 and calls == []
    F.cross_entropy(model(data[0][0]), data[0][1]).backward()
    optimizer.step()  # the hooks are back: the scheduler steps with the optimizer
    assert scheduler.last_epoch == 1 and calls == ["pre"]


def fastai_valley(lrs, losses):
    """fastai's ``valley`` as fastai/callback/schedule.py writes it (fastai 2.7),
    transcribed loop for loop as the reference, on the curve lr_find's trim leaves."""
    n = len(losses)
    max_start, max_end = 0, 0
    lds = [1] * n
    for i in range(1, n):
        for j in range(0, i):
            if (losses[i] < losses[j]) and (lds[i] < lds[j] + 1):
                lds[i] = lds[j] + 1
            if lds[max_end] < lds[i]:
                max_end = i
                max_start = max_end - lds[max_end]
    sections = (max_end - max_start) / 3
    idx = max_start + int(sections) + int(sections / 2)
    return float(lrs[idx])


def range_test_curve(seed: int, n: int = 100):
    """A range-test-like curve: a noisy plateau, a descent, then a blow-up."""
    rng = np.random.default_rng(seed)
    lrs = lr_sweep(start_lr=1e-6, end_lr=10.0, num_iter=n)
    x = np.log10(lrs)
    drop = 1 / (1 + np.exp(-(x + 2) * 3))  # falls around lr = 1e-2
    rise = np.exp(np.clip(x - 0.2, None, 5) * 4)
    losses = 2.3 - 1.5 * drop + 0.2 * rise + rng.normal(0, 0.03, n)
    return lrs, losses


@pytest.mark.parametrize("seed", range(20))
def test_valley_is_fastais_on_the_trimmed_curve(seed):
    lrs, losses = range_test_curve(seed, n=60 + seed)
    assert valley(lrs, losses) == fastai_valley(lrs[10:-5], losses[10:-5])
    assert valley(lrs, losses, skip_begin=0, skip_end=0) == fastai_valley(lrs, losses)


@pytest.mark.parametrize("seed", range(20))
def test_steep_is_torch_lr_finders(seed):
    """torch-lr-finder's plot(suggest_lr=True): np.gradient over the index after
    skipping 10 and 5 points (an exponential sweep, so the index is log lr)."""
    lrs, losses = range_test_curve(seed)
    kept_lrs, kept = lrs[10:-5], losses[10:-5]
    assert steep(lrs, losses) == kept_lrs[np.gradient(kept).argmin()]


@pytest.mark.parametrize("seed", range(20))
@pytest.mark.parametrize("mode", ["exponential", "linear"])
def test_lightning_rule_is_lightnings_suggestion(seed, mode):
    """The installed Lightning's _LRFinder.suggestion() on the same curve."""
    from lightning.pytorch.tuner.lr_finder import _LRFinder

    lrs, losses = range_test_curve(seed, n=50 + seed)
    if mode == "linear":
        lrs = lr_sweep(start_lr=1e-3, end_lr=1.0, num_iter=len(losses), mode="linear")
    finder = _LRFinder(mode, float(lrs[0]), float(lrs[-1]), len(lrs))
    finder.results = {"lr": lrs.tolist(), "loss": losses.tolist()}
    assert lightning(lrs, losses) == finder.suggestion()


def test_minimum_is_the_trimmed_curves_minimum_lr_over_ten():
    lrs, losses = range_test_curve(0)
    losses = losses.copy()
    losses[2] = -1.0  # lower, but in the skipped start
    losses[-1] = -2.0  # and in the skipped end
    assert minimum(lrs, losses) == lrs[10:-5][np.argmin(losses[10:-5])] / 10
    assert minimum(lrs, losses, skip_begin=0, skip_end=0) == lrs[-1] / 10


def test_rules_land_where_they_should_on_a_clean_curve():
    """Without noise: steep at the steepest point of the descent, valley inside the
    descent, minimum a tenth of the loss minimum's lr, Lightning's below steep."""
    lrs = lr_sweep(start_lr=1e-6, end_lr=10.0, num_iter=100)
    x = np.log10(lrs)
    losses = 2.3 - 1.5 / (1 + np.exp(-(x + 2) * 3)) + 0.2 * np.exp((x - 0.2) * 4)
    slope = np.gradient(losses, np.log(lrs))
    assert steep(lrs, losses) == lrs[10:-5][np.argmin(slope[10:-5])]
    # fastai's steep: forward differences over log lr, the left point of the steepest pair
    forward = np.diff(losses[10:-5]) / np.diff(np.log(lrs[10:-5]))
    at = int(np.flatnonzero(lrs[10:-5] == steep(lrs, losses))[0])
    assert abs(at - int(forward.argmin())) <= 1
    assert 1e-3 < steep(lrs, losses) < 1e-1
    assert 1e-4 < valley(lrs, losses) < 1e-1
    assert minimum(lrs, losses) == lrs[np.argmin(losses)] / 10
    assert lightning(lrs, losses) < steep(lrs, losses)


def test_result_suggestions_and_the_default_rule():
    lrs, losses = range_test_curve(3)
    result = LRFindResult(lrs=lrs, losses=losses, raw_losses=losses, diverged=False)
    rules = {"valley": valley, "steep": steep, "minimum": minimum, "lightning": lightning}
    assert tuple(rules) == SUGGESTION_RULES
    assert result.suggestions() == {name: rule(lrs, losses) for name, rule in rules.items()}
    assert result.suggested_max_lr == result.suggestion() == rules[DEFAULT_RULE](lrs, losses)
    assert result.min_loss_lr == lrs[np.argmin(losses)]
    with pytest.raises(
        ValueError,
        match=r"^rule must be 'valley' or 'steep' or 'minimum' or 'lightning', got 'fastai'$",
    ):
        result.suggestion("fastai")


def test_a_curve_too_short_for_a_rule_is_refused_by_name():
    short = LRFindResult(
        lrs=np.array([1e-3, 1e-2, 1e-1, 1.0]),
        losses=np.array([2.0, 1.5, 1.0, 3.0]),
        raw_losses=np.array([2.0, 1.4, 0.9, 4.0]),
        diverged=True,
    )
    with pytest.raises(
        ValueError,
        match=rf"^the {DEFAULT_RULE} rule needs at least 2 points after skipping the first 10 and the last 5, got 4 points \(run the range test longer\)$",
    ):
        _ = short.suggested_max_lr
    assert short.suggestions() == dict.fromkeys(SUGGESTION_RULES)
    assert short.min_loss_lr == 1e-1
    assert minimum(short.lrs, short.losses, skip_begin=0, skip_end=0) == 1e-2
    with pytest.raises(
        ValueError,
        match=r"^lrs and losses must be 1-d and of the same length, got shapes \(4,\) and \(3,\)$",
    ):
        steep(short.lrs, short.losses[:3])
    with pytest.raises(ValueError, match=r"^skip_end must be an integer >= 0, got -1$"):
        steep(short.lrs, short.losses, skip_end=-1)


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


def test_a_one_shot_iterator_shorter_than_num_iter_returns_what_it_measured():
    """A generator of 7 batches for num_iter=20: the 7 points come back, with a warning
    that says how many batches there were; everything is restored."""
    model, data = make_problem(n_batches=7)
    optimizer = trained_adam(model, data)
    before = snapshot(model, optimizer)
    with pytest.warns(UserWarning) as caught:
        result = lr_find(
            model, optimizer, F.cross_entropy, (b for b in data), num_iter=20, progress=False
        )
    assert [str(w.message) for w in caught] == [
        "data ran out after 7 batches (num_iter=20): returning the 7 points measured; pass "
        "data that can be iterated again (a DataLoader, a list) or at least num_iter batches"
    ]
    assert caught[0].filename == __file__
    assert len(result.lrs) == len(result.losses) == len(result.raw_losses) == 7
    assert not result.diverged
    np.testing.assert_array_equal(result.lrs, lr_sweep(start_lr=1e-7, end_lr=10, num_iter=20)[:7])
    assert_bitwise_equal(snapshot(model, optimizer), before)
    # the same batches as a list give the same first 7 points, and then go round again
    again = lr_find(model, optimizer, F.cross_entropy, data, num_iter=20, progress=False)
    np.testing.assert_array_equal(again.raw_losses[:7], result.raw_losses)
    assert len(again.lrs) == 20


def test_a_long_enough_iterator_gives_no_warning():
    model, data = make_problem(n_batches=4)
    optimizer = torch.optim.SGD(model.parameters(), lr=0.1)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        result = lr_find(
            model, optimizer, F.cross_entropy, iter(data * 3), num_iter=12, progress=False
        )
    assert len(result.lrs) == 12


@pytest.mark.parametrize(
    ("make_batch", "form"),
    [
        (lambda x, y: {"x": x, "y": y}, "a dict with keys ['x', 'y']"),
        (lambda x, y: (x, y, torch.ones(len(y))), "a tuple of 3 items"),
        (lambda x, y: [x], "a list of 1 item"),
        (lambda x, y: x, "a Tensor of shape (16, 6)"),
    ],
)
def test_a_batch_that_is_not_inputs_and_targets_is_refused_and_nothing_changes(make_batch, form):
    model, data = make_problem()
    optimizer = trained_adam(model, data)
    before = snapshot(model, optimizer)
    batches = [make_batch(x, y) for x, y in data]
    with pytest.raises(TypeError) as raised:
        lr_find(model, optimizer, F.cross_entropy, batches, progress=False)
    assert str(raised.value) == (
        f"lr_find needs each batch as (inputs, targets), got {form}; pass "
        "unpack_batch=lambda batch: (inputs, targets) to take them out of it"
    )
    assert_bitwise_equal(snapshot(model, optimizer), before)


def test_a_bad_batch_later_on_restores_what_the_earlier_ones_changed():
    model, data = make_problem()
    optimizer = trained_adam(model, data)
    before = snapshot(model, optimizer)
    mixed = [*data[:3], {"x": data[3][0]}]
    with pytest.raises(
        TypeError,
        match=r"^lr_find needs each batch as \(inputs, targets\), got a dict with keys \['x'\]",
    ):
        lr_find(model, optimizer, F.cross_entropy, mixed, progress=False)
    assert_bitwise_equal(snapshot(model, optimizer), before)


def test_unpack_batch_takes_inputs_and_targets_out_of_any_batch():
    """Dict batches with unpack_batch measure exactly what (inputs, targets) pairs do."""
    model, data = make_problem()
    optimizer = torch.optim.SGD(model.parameters(), lr=0.1, momentum=0.9)
    pairs = lr_find(model, optimizer, F.cross_entropy, data, num_iter=15, progress=False)
    dicts = [{"image": x, "label": y, "weight": 1.0} for x, y in data]
    unpacked = lr_find(
        model,
        optimizer,
        F.cross_entropy,
        dicts,
        num_iter=15,
        progress=False,
        unpack_batch=lambda batch: (batch["image"], batch["label"]),
    )
    np.testing.assert_array_equal(unpacked.raw_losses, pairs.raw_losses)
    np.testing.assert_array_equal(unpacked.lrs, pairs.lrs)


def test_unpack_batch_must_give_a_pair_and_be_callable():
    model, data = make_problem()
    optimizer = trained_adam(model, data)
    before = snapshot(model, optimizer)
    with pytest.raises(TypeError) as raised:
        lr_find(
            model, optimizer, F.cross_entropy, data, progress=False, unpack_batch=lambda b: b[0]
        )
    assert (
        str(raised.value)
        == "unpack_batch must return (inputs, targets), got a Tensor of shape (16, 6)"
    )
    assert_bitwise_equal(snapshot(model, optimizer), before)
    with pytest.raises(TypeError) as raised:
        lr_find(model, optimizer, F.cross_entropy, data, progress=False, unpack_batch="xy")
    assert str(raised.value) == (
        "unpack_batch must be a function from a batch to (inputs, targets) or None, got str"
    )
    assert_bitwise_equal(snapshot(model, optimizer), before)


def test_python_and_numpy_random_states_are_restored():
    """A loss function (or model) that draws from random and np.random: after lr_find
    the next draws are those that would have come without it."""
    model, data = make_problem()
    optimizer = torch.optim.SGD(model.parameters(), lr=0.1)

    def noisy_loss(output, target):
        return F.cross_entropy(output, target) * (
            1 + 1e-3 * random.random() + 1e-3 * np.random.rand()
        )

    random.seed(5)
    np.random.seed(5)
    torch.manual_seed(5)
    expected = (random.random(), np.random.rand(), torch.rand(1).item())
    random.seed(5)
    np.random.seed(5)
    torch.manual_seed(5)
    lr_find(model, optimizer, noisy_loss, data, num_iter=10, progress=False)
    assert (random.random(), np.random.rand(), torch.rand(1).item()) == expected
    # and when the test fails part-way
    random.seed(5)
    np.random.seed(5)
    torch.manual_seed(5)
    with pytest.raises(TypeError):
        lr_find(model, optimizer, noisy_loss, [*data, torch.ones(2)], num_iter=10, progress=False)
    assert (random.random(), np.random.rand(), torch.rand(1).item()) == expected
