"""Our OneCycleLR inside the real ecosystem: ignite's Engine and LRScheduler wrapper,
Lightning's Trainer (per-step interval, checkpoint and resume)."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from lr_one_cycle import OneCycleLR, one_cycle_schedule

ignite = pytest.importorskip("ignite")
pl = pytest.importorskip("lightning.pytorch")

TOTAL = 12
MAX_LR = 0.05


def make_model(seed: int = 0) -> torch.nn.Module:
    torch.manual_seed(seed)
    return torch.nn.Linear(4, 2)


def dataset(n: int = 8) -> list[tuple[torch.Tensor, torch.Tensor]]:
    generator = torch.Generator().manual_seed(1)
    return [
        (torch.randn(3, 4, generator=generator), torch.randn(3, 2, generator=generator))
        for _ in range(n)
    ]


# ------------------------------------------------------------------ ignite


def run_ignite(make_scheduler, wrap: bool, iterations: int = TOTAL):
    """Train with an ignite Engine; record the lr/momentum each update used."""
    from ignite.engine import Engine, Events
    from ignite.handlers import LRScheduler

    model = make_model()
    optimizer = torch.optim.SGD(model.parameters(), lr=MAX_LR, momentum=0.9)
    scheduler = make_scheduler(optimizer)
    used: list[tuple[float, float]] = []

    def update(engine, batch):
        x, y = batch
        group = optimizer.param_groups[0]
        used.append((group["lr"], group["momentum"]))
        optimizer.zero_grad()
        loss = torch.nn.functional.mse_loss(model(x), y)
        loss.backward()
        optimizer.step()
        return loss.item()

    engine = Engine(update)
    if wrap:
        engine.add_event_handler(Events.ITERATION_STARTED, LRScheduler(scheduler))
    else:
        engine.add_event_handler(Events.ITERATION_COMPLETED, lambda _: scheduler.step())
    engine.run(dataset(4), max_epochs=iterations // 4)
    return used, model.state_dict()


def ours(optimizer):
    return OneCycleLR(optimizer, max_lr=MAX_LR, total_steps=TOTAL)


def torchs(optimizer):
    return torch.optim.lr_scheduler.OneCycleLR(optimizer, max_lr=MAX_LR, total_steps=TOTAL)


def test_ignite_lr_scheduler_wrapper_gives_torchs_values():
    """ignite's LRScheduler drives a scheduler through last_epoch and get_lr(): around our
    OneCycleLR it applies exactly what it applies around torch's, momentum included."""
    our_used, our_weights = run_ignite(ours, wrap=True)
    torch_used, torch_weights = run_ignite(torchs, wrap=True)
    assert our_used == torch_used
    for key in our_weights:
        assert torch.equal(our_weights[key], torch_weights[key])


def test_ignite_engine_with_our_scheduler_as_a_plain_handler():
    """Stepped on ITERATION_COMPLETED, update k uses step k of the core schedule."""
    used, _ = run_ignite(ours, wrap=False)
    lr, momentum = one_cycle_schedule(
        np.arange(TOTAL), max_lr=MAX_LR, total_steps=TOTAL, exact=True
    )
    assert [u[0] for u in used] == lr.tolist()
    assert [u[1] for u in used] == momentum.tolist()


# ------------------------------------------------------------------ Lightning


class Recorder(pl.Callback):
    def __init__(self) -> None:
        self.used: list[tuple[float, float]] = []

    def on_train_batch_start(self, trainer, module, batch, batch_idx) -> None:
        group = trainer.optimizers[0].param_groups[0]
        self.used.append((group["lr"], group["betas"][0]))


class TinyModule(pl.LightningModule):
    def __init__(self) -> None:
        super().__init__()
        self.net = make_model()

    def training_step(self, batch, batch_idx):
        x, y = batch
        return torch.nn.functional.mse_loss(self.net(x), y)

    def configure_optimizers(self):
        optimizer = torch.optim.AdamW(self.parameters(), lr=MAX_LR)
        scheduler = OneCycleLR(optimizer, max_lr=MAX_LR, total_steps=TOTAL)
        return {
            "optimizer": optimizer,
            "lr_scheduler": {"scheduler": scheduler, "interval": "step"},
        }


def fit(tmp_path, max_steps: int, ckpt_path=None):
    torch.manual_seed(0)
    module = TinyModule()
    recorder = Recorder()
    trainer = pl.Trainer(
        accelerator="cpu",
        devices=1,
        max_steps=max_steps,
        enable_progress_bar=False,
        enable_model_summary=False,
        enable_checkpointing=False,
        logger=False,
        default_root_dir=tmp_path,
        callbacks=[recorder],
    )
    # One batch repeated: Lightning restarts the data of an epoch interrupted by a
    # checkpoint, so with distinct batches the weights would depend on its data resume
    # (not what this tests); the update sequence then depends only on lr, betas and state.
    loader = torch.utils.data.DataLoader(dataset(1) * 5, batch_size=None, shuffle=False)
    trainer.fit(module, loader, ckpt_path=ckpt_path)
    return trainer, module, recorder.used


@pytest.fixture(scope="module")
def full_run(tmp_path_factory):
    return fit(tmp_path_factory.mktemp("full"), TOTAL)


def test_lightning_applies_the_core_schedule_at_every_step(full_run):
    """configure_optimizers returns our OneCycleLR with interval='step': the lr and beta1
    of update k are step k of one_cycle_schedule."""
    trainer, _, used = full_run
    lr, momentum = one_cycle_schedule(
        np.arange(TOTAL), max_lr=MAX_LR, total_steps=TOTAL, exact=True
    )
    assert [u[0] for u in used] == lr.tolist()
    assert [u[1] for u in used] == momentum.tolist()
    assert trainer.lr_scheduler_configs[0].scheduler.last_epoch == TOTAL


def test_lightning_checkpoint_and_resume_continue_exactly(full_run, tmp_path):
    """Stop after 5 steps, save a checkpoint through Lightning, resume in a new Trainer:
    the remaining updates use the same values and end at bitwise the same weights."""
    _, full_module, full_used = full_run
    first, _, first_used = fit(tmp_path, 5)
    checkpoint = tmp_path / "step5.ckpt"
    first.save_checkpoint(checkpoint)
    _, resumed, resumed_used = fit(tmp_path, TOTAL, ckpt_path=checkpoint)
    assert first_used + resumed_used == full_used
    for key, value in full_module.state_dict().items():
        assert torch.equal(resumed.state_dict()[key], value)
