"""The demo's two benchmarks, as tensors: MNIST-1D (the default) and scikit-learn's digits
(``--quick``), each with its model and what the literature reports for it.

MNIST-1D (Greydanus & Kobak, "Scaling Down Deep Learning with MNIST-1D", ICML 2024,
arXiv 2011.14439; https://github.com/greydanus/mnist1d) is built here from its templates
by ``mnist1d.data.make_dataset(get_dataset_args())``: 4 000 training and 1 000 test
signals of length 40, 10 classes, the same arrays as the published ``mnist1d_data.pkl``
(its default arguments, seed 42). Nothing is downloaded: ``get_dataset``, the function that
downloads, is never called.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    import torch

# Test accuracies of reference models in MNIST-1D's README (and Table 1 of the paper).
MNIST1D_REFERENCES: dict[str, float] = {
    "logistic regression": 0.32,
    "MLP": 0.68,
    "CNN": 0.94,
    "GRU": 0.91,
    "human expert": 0.96,
}


@dataclass(frozen=True)
class Dataset:
    """A classification benchmark: training and test tensors, the model to train on it,
    and the accuracy the demo counts steps to (``target``, with ``target_source``)."""

    name: str
    x_train: torch.Tensor
    y_train: torch.Tensor
    x_test: torch.Tensor
    y_test: torch.Tensor
    make_model: Callable[[], torch.nn.Module]
    batch_size: int
    target: float
    target_source: str
    references: dict[str, float] = field(default_factory=dict)


@dataclass(frozen=True)
class Split:
    """What tuning sees: a training part and a validation part, both carved from the
    training set. It holds no test data, so tuning cannot touch the test set."""

    x_train: torch.Tensor
    y_train: torch.Tensor
    x_val: torch.Tensor
    y_val: torch.Tensor


def validation_split(data: Dataset, fraction: float = 0.2, seed: int = 0) -> Split:
    """``fraction`` of ``data``'s training set (a fixed random subset) for validation,
    the rest for training."""
    import torch

    order = torch.randperm(len(data.y_train), generator=torch.Generator().manual_seed(seed))
    n_val = round(fraction * len(order))
    val, train = order[:n_val], order[n_val:]
    return Split(data.x_train[train], data.y_train[train], data.x_train[val], data.y_train[val])


def mnist1d_cnn() -> torch.nn.Module:
    """The CNN of MNIST-1D's reference results (``ConvBase`` in its models.py): three
    1-D convolutions of 25 channels (kernels 5, 3, 3; stride 2; padding 1) with ReLUs,
    then a linear layer from the flattened 25 x 5 features to 10 classes."""
    import torch

    nn = torch.nn
    return nn.Sequential(
        nn.Conv1d(1, 25, 5, stride=2, padding=1),
        nn.ReLU(),
        nn.Conv1d(25, 25, 3, stride=2, padding=1),
        nn.ReLU(),
        nn.Conv1d(25, 25, 3, stride=2, padding=1),
        nn.ReLU(),
        nn.Flatten(),
        nn.Linear(125, 10),
    )


def load_mnist1d() -> Dataset:
    """MNIST-1D as built by ``mnist1d`` with its default arguments; inputs of shape
    ``(n, 1, 40)`` (one channel), float32, already standardised by ``make_dataset``."""
    import random

    import torch
    from mnist1d.data import get_dataset_args, make_dataset

    # make_dataset seeds Python's and numpy's global generators (mnist1d.utils.set_seed);
    # put them back so that building the data leaves no trace.
    python_rng, numpy_rng = random.getstate(), np.random.get_state()
    try:
        raw = make_dataset(get_dataset_args())
    finally:
        random.setstate(python_rng)
        np.random.set_state(numpy_rng)

    def inputs(x: np.ndarray) -> torch.Tensor:
        return torch.from_numpy(np.asarray(x, dtype=np.float32)).unsqueeze(1)

    return Dataset(
        name="MNIST-1D",
        x_train=inputs(raw["x"]),
        y_train=torch.from_numpy(np.asarray(raw["y"])).long(),
        x_test=inputs(raw["x_test"]),
        y_test=torch.from_numpy(np.asarray(raw["y_test"])).long(),
        make_model=mnist1d_cnn,
        batch_size=100,
        target=MNIST1D_REFERENCES["CNN"],
        target_source="the CNN of the MNIST-1D paper",
        references=dict(MNIST1D_REFERENCES),
    )


def digits_mlp() -> torch.nn.Module:
    """A small MLP for 8x8 digits: 64 -> 128 -> 10 with a ReLU."""
    import torch

    return torch.nn.Sequential(torch.nn.Linear(64, 128), torch.nn.ReLU(), torch.nn.Linear(128, 10))


def load_digits() -> Dataset:
    """scikit-learn's bundled digits (1 797 8x8 images shipped in its wheel, no download),
    pixels scaled to [0, 1], split 75/25 (stratified, fixed)."""
    import torch
    from sklearn.datasets import load_digits as sklearn_digits
    from sklearn.model_selection import train_test_split

    digits = sklearn_digits()
    x = (digits.data / 16.0).astype(np.float32)  # pixel intensities are 0..16
    x_tr, x_te, y_tr, y_te = train_test_split(
        x, digits.target, test_size=0.25, stratify=digits.target, random_state=0
    )
    return Dataset(
        name="digits",
        x_train=torch.from_numpy(x_tr),
        y_train=torch.from_numpy(y_tr).long(),
        x_test=torch.from_numpy(x_te),
        y_test=torch.from_numpy(y_te).long(),
        make_model=digits_mlp,
        batch_size=64,
        target=0.97,
        target_source="a round figure for this easy set (no published reference)",
    )
