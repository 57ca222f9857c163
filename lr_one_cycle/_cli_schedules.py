"""The command line's schedules: which core function each ``--schedule`` calls, and
which options it takes (:mod:`lr_one_cycle.cli`)."""

from __future__ import annotations

import inspect
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from . import (
    cosine_annealing_schedule,
    cyclic_lr_schedule,
    one_cycle_schedule,
    warm_restarts_schedule,
    warmup_cosine_schedule,
    warmup_stable_decay_schedule,
)
from ._validate import as_count


class UsageError(Exception):
    """A user's mistake: reported as one line, exit status 2."""


def number(text: str) -> int | float:
    """An int when the text is one, else a float (the core then checks the value)."""
    try:
        return int(text)
    except ValueError:
        return float(text)


# --------------------------------------------------------------------------- schedules


@dataclass(frozen=True)
class Schedule:
    """How one ``--schedule`` maps its command-line options onto a core function.

    ``options`` maps each option's dest to the core parameter it sets; ``defaults``
    gives, from the total steps, the defaults the core function does not have;
    ``required`` lists the options that must be given; ``derive`` computes parameters
    from the total steps and the settings (WSD's stable phase: what the warm-up and the
    decay leave); ``only_with`` maps an option to the (option, value) it applies with
    (CyclicLR's ``--gamma``: ``--mode exp_range``), refused otherwise.
    """

    function: Callable[..., Any]
    columns: tuple[str, ...]
    options: dict[str, str]
    defaults: dict[str, Callable[[int], Any]]
    first_cycle: str | tuple[str, ...] | None  # parameters adding up to the first cycle
    includes_total_step: bool  # a schedule of fixed length: rows 0..T; else 0..T-1
    required: tuple[str, ...] = ()
    derive: Callable[[int, dict[str, Any]], dict[str, Any]] | None = None
    only_with: dict[str, tuple[str, str]] = field(default_factory=dict)


def _stable_steps(total: int, settings: dict[str, Any]) -> dict[str, Any]:
    """WSD over ``total`` steps: the stable phase is what the warm-up and decay leave."""
    warmup = as_count("warmup_steps", settings["warmup_steps"], minimum=0)
    decay = as_count("decay_steps", settings["decay_steps"], minimum=0)
    if warmup + decay > total:
        raise UsageError(
            f"--warmup-steps + --decay-steps must be at most --total-steps ({total}), "
            f"got {warmup} + {decay}"
        )
    return {"stable_steps": total - warmup - decay}


SCHEDULES: dict[str, Schedule] = {
    "one-cycle": Schedule(
        function=one_cycle_schedule,
        columns=("lr", "momentum"),
        options={
            "max_lr": "max_lr",
            "total_steps": "total_steps",
            "pct_start": "pct_start",
            "anneal_strategy": "anneal_strategy",
            "div_factor": "div_factor",
            "final_div_factor": "final_div_factor",
            "three_phase": "three_phase",
            "base_momentum": "base_momentum",
            "max_momentum": "max_momentum",
        },
        defaults={},
        first_cycle=None,
        includes_total_step=True,
    ),
    "cosine-annealing": Schedule(
        function=cosine_annealing_schedule,
        columns=("lr",),
        options={
            "max_lr": "start_value",
            "min_lr": "end_value",
            "cycle_size": "cycle_size",
            "cycle_mult": "cycle_mult",
        },
        defaults={"end_value": lambda total: 0.0, "cycle_size": lambda total: total},
        first_cycle="cycle_size",
        includes_total_step=False,
    ),
    "warm-restarts": Schedule(
        function=warm_restarts_schedule,
        columns=("lr",),
        options={
            "max_lr": "base_lr",
            "min_lr": "eta_min",
            "cycle_size": "T_0",
            "cycle_mult": "T_mult",
            "decay": "decay",
        },
        defaults={"T_0": lambda total: total},
        first_cycle="T_0",
        includes_total_step=False,
    ),
    "cyclic": Schedule(
        function=cyclic_lr_schedule,
        columns=("lr", "momentum"),
        options={
            "max_lr": "max_lr",
            "base_lr": "base_lr",
            "step_size_up": "step_size_up",
            "step_size_down": "step_size_down",
            "mode": "mode",
            "gamma": "gamma",
            "base_momentum": "base_momentum",
            "max_momentum": "max_momentum",
        },
        defaults={},
        first_cycle=("step_size_up", "step_size_down"),
        includes_total_step=False,
        required=("base_lr",),
        only_with={"gamma": ("mode", "exp_range")},
    ),
    "warmup-stable-decay": Schedule(
        function=warmup_stable_decay_schedule,
        columns=("lr",),
        options={
            "max_lr": "peak_lr",
            "min_lr": "min_lr",
            "warmup_steps": "warmup_steps",
            "decay_steps": "decay_steps",
            "warmup_shape": "warmup",
            "decay_shape": "decay",
        },
        defaults={},
        first_cycle=None,
        includes_total_step=True,
        required=("warmup_steps", "decay_steps"),
        derive=_stable_steps,
    ),
    "warmup-cosine": Schedule(
        function=warmup_cosine_schedule,
        columns=("lr",),
        options={
            "max_lr": "peak_lr",
            "total_steps": "total_steps",
            "min_lr": "min_lr",
            "warmup_steps": "warmup_steps",
        },
        defaults={},
        first_cycle=None,
        includes_total_step=True,
        required=("warmup_steps",),
    ),
}

# The options only some schedules take: (flags, dest, argparse settings, help).
SPECIFIC_OPTIONS: tuple[tuple[str, str, dict[str, Any], str], ...] = (
    ("--pct-start", "pct_start", {"type": number}, "fraction of the cycle spent warming up"),
    (
        "--anneal-strategy",
        "anneal_strategy",
        {"choices": ("cos", "linear")},
        "shape of each phase",
    ),
    ("--div-factor", "div_factor", {"type": number}, "initial lr = max_lr / div_factor"),
    (
        "--final-div-factor",
        "final_div_factor",
        {"type": number},
        "min lr = initial lr / final_div_factor",
    ),
    ("--three-phase", "three_phase", {"action": "store_true"}, "torch's three-phase variant"),
    ("--base-momentum", "base_momentum", {"type": number}, "momentum at the lr's peak"),
    ("--max-momentum", "max_momentum", {"type": number}, "momentum at the lr's low points"),
    ("--min-lr", "min_lr", {"type": number}, "lowest lr, default 0"),
    (
        "--cycle-size",
        "cycle_size",
        {"type": number},
        "steps in the first cycle, default the total steps",
    ),
    ("--cycle-mult", "cycle_mult", {"type": number}, "cycle growth factor"),
    ("--decay", "decay", {"type": number}, "amplitude decay at each restart, in (0, 1]"),
    ("--base-lr", "base_lr", {"type": number}, "the cycle's lower lr (required)"),
    ("--step-size-up", "step_size_up", {"type": number}, "steps from base lr up to max lr"),
    (
        "--step-size-down",
        "step_size_down",
        {"type": number},
        "steps back down, default: same as --step-size-up",
    ),
    (
        "--mode",
        "mode",
        {"choices": ("triangular", "triangular2", "exp_range")},
        "amplitude per cycle",
    ),
    ("--gamma", "gamma", {"type": number}, "factor per step, for --mode exp_range only"),
    (
        "--warmup-steps",
        "warmup_steps",
        {"type": number},
        "steps of warm-up (required; shaped by --warmup-shape in warmup-stable-decay, "
        "linear in warmup-cosine)",
    ),
    ("--decay-steps", "decay_steps", {"type": number}, "steps of the final decay (required)"),
    (
        "--warmup-shape",
        "warmup_shape",
        {"choices": ("linear", "cosine", "1-sqrt")},
        "shape of the warm-up",
    ),
    (
        "--decay-shape",
        "decay_shape",
        {"choices": ("linear", "cosine", "1-sqrt")},
        "shape of the decay",
    ),
)
FLAGS = {dest: flags for flags, dest, _, _ in SPECIFIC_OPTIONS}


def _core_default(schedule: Schedule, dest: str) -> Any:
    """The default of the core parameter an option sets (``inspect.Parameter.empty``
    when the core function has none)."""
    parameter = inspect.signature(schedule.function).parameters[schedule.options[dest]]
    return parameter.default


def conditional_options(args: Any, schedule: Schedule) -> None:
    """Refuse an option given without the value of another option it applies with
    (``args``: the parsed command line; an option not given has the core's default)."""
    for dest, (other, value) in schedule.only_with.items():
        chosen, default = getattr(args, other), _core_default(schedule, other)
        if getattr(args, dest) is None or (default if chosen is None else chosen) == value:
            continue
        shown = f"{default} (the default)" if chosen is None else chosen
        raise UsageError(
            f"{FLAGS[dest]} does not apply to {FLAGS[other]} {shown}, "
            f"only to {FLAGS[other]} {value}"
        )


def option_help(dest: str, text: str) -> str:
    """The help text, with the schedules that take the option and the core's default."""
    takers = [name for name, s in SCHEDULES.items() if dest in s.options]
    defaults = [_core_default(SCHEDULES[name], dest) for name in takers]
    same = len(set(defaults)) == 1 and defaults[0] is not inspect.Parameter.empty
    shown = f", default {defaults[0]!r}" if same and "default" not in text else ""
    return f"{text}{shown} ({', '.join(takers)} only)"
