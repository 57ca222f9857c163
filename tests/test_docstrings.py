"""Docstrings with sections (issue 10 §6): every public name documents its arguments,
results, errors and sources, Google style.

Public names are those of ``lr_one_cycle.__all__`` and ``lr_one_cycle.schedules.__all__``.

- A function needs ``Args:``, ``Returns:``, ``Raises:`` and ``References:``.
- A class needs ``Args:``, ``Raises:`` and ``References:``, in the class docstring or in
  its ``__init__``'s: they document the constructor. A class has no ``Returns:``
  (constructing it returns the instance), so none is asked for.
- A name that genuinely takes no arguments may omit ``Args:`` (:data:`NO_ARGUMENTS`,
  checked to take none).
- Type aliases and constants cannot carry a docstring of their own
  (:data:`NOT_DOCUMENTABLE`, checked to be neither a class nor a function); the
  modules that define them describe them.

The families' docstrings also cite their papers (:data:`PAPERS`), and the pure
functions of the step say what shape they return and link the step convention.
"""

from __future__ import annotations

import inspect

import pytest

import lr_one_cycle
import lr_one_cycle.schedules

FUNCTION_SECTIONS = ("Args:", "Returns:", "Raises:", "References:")
CLASS_SECTIONS = ("Args:", "Raises:", "References:")

#: Names whose constructor takes no argument at all: no ``Args:`` section.
NO_ARGUMENTS = {
    # The abstract protocol: it cannot be built; each subclass documents its own Args.
    "Schedule",
}

#: Public names that are data, not code: a docstring cannot be attached to them.
NOT_DOCUMENTABLE = {
    "DECAY_TYPES",  # a tuple constant (lr_one_cycle.schedules.decay)
    "DecayType",  # typing.Literal aliases
    "SweepMode",
    "FloatArray",  # numpy.typing.NDArray[float64]
    "Steps",  # int | float | Any
}

ARXIV_1CYCLE = ("1708.07120", "1803.09820")
ARXIV_CLR = ("1506.01186",)
ARXIV_SGDR = ("1608.03983",)
ARXIV_WSD = ("2404.06395", "2405.18392")

#: The papers each family's public names cite.
PAPERS = {
    "OneCycleLR": ARXIV_1CYCLE,
    "lr_one_cycle": ARXIV_1CYCLE,
    "one_cycle_schedule": ARXIV_1CYCLE,
    "OneCycleSchedule": ARXIV_1CYCLE,
    "CyclicLR": ARXIV_CLR,
    "cyclic_lr_schedule": ARXIV_CLR,
    "CyclicSchedule": ARXIV_CLR,
    "LinearCyclicalScheduler": ARXIV_CLR,
    "linear_cyclical_schedule": ARXIV_CLR,
    "CosineAnnealingScheduler": ARXIV_SGDR,
    "cosine_annealing_schedule": ARXIV_SGDR,
    "CyclicalSchedule": ARXIV_SGDR + ARXIV_CLR,
    "CosineAnnealingWarmRestarts": ARXIV_SGDR,
    "warm_restarts_schedule": ARXIV_SGDR,
    "WarmRestartsSchedule": ARXIV_SGDR,
    "lr_find": ARXIV_CLR,
    "lr_sweep": ARXIV_CLR,
    "LRFindResult": ARXIV_CLR,
    "WarmupStableDecayLR": ARXIV_WSD,
    "warmup_stable_decay_schedule": ARXIV_WSD,
    "WarmupStableDecaySchedule": ARXIV_WSD,
}


def public_names() -> list[tuple[str, str]]:
    return [
        (module.__name__, name)
        for module in (lr_one_cycle, lr_one_cycle.schedules)
        for name in module.__all__
    ]


def documented(obj: object) -> str:
    """The class docstring and its ``__init__``'s (its own, not a base's), or the
    function's docstring."""
    text = inspect.getdoc(obj) or ""
    if inspect.isclass(obj) and "__init__" in vars(obj):
        text += "\n" + (inspect.getdoc(vars(obj)["__init__"]) or "")
    return text


def required_sections(name: str, obj: object) -> tuple[str, ...]:
    sections = CLASS_SECTIONS if inspect.isclass(obj) else FUNCTION_SECTIONS
    if name in NO_ARGUMENTS:
        sections = tuple(s for s in sections if s != "Args:")
    return sections


def code_names() -> list[tuple[str, object]]:
    """The public classes and functions, each once."""
    seen: dict[str, object] = {}
    for module, name in public_names():
        if name not in NOT_DOCUMENTABLE:
            seen.setdefault(name, getattr(__import__(module, fromlist=[name]), name))
    return sorted(seen.items())


@pytest.mark.parametrize(("module", "name"), public_names())
def test_public_name_exists(module: str, name: str) -> None:
    assert hasattr(__import__(module, fromlist=[name]), name), f"{module}.{name} is missing"


def test_allow_lists_are_exact() -> None:
    names = {name for _, name in public_names()}
    assert NO_ARGUMENTS <= names and NOT_DOCUMENTABLE <= names
    assert set(PAPERS) <= names
    for name in NOT_DOCUMENTABLE:
        obj = getattr(lr_one_cycle.schedules, name)
        assert not (inspect.isclass(obj) or inspect.isfunction(obj)), name
    for name in NO_ARGUMENTS:
        obj = getattr(lr_one_cycle, name, None) or getattr(lr_one_cycle.schedules, name)
        assert not inspect.signature(obj).parameters, f"{name} takes arguments"


def test_every_public_name_has_its_sections() -> None:
    """All offenders at once, so that one run lists what is left to write."""
    missing = {
        name: [s for s in required_sections(name, obj) if s not in documented(obj)]
        for name, obj in code_names()
    }
    offenders = {name: sections for name, sections in missing.items() if sections}
    assert not offenders, "docstring sections missing:\n" + "\n".join(
        f"  {name}: {', '.join(sections)}" for name, sections in sorted(offenders.items())
    )


def test_sections_are_headings() -> None:
    """Each section is a heading on a line of its own, not a word in the prose."""
    for name, obj in code_names():
        lines = {line.strip() for line in documented(obj).splitlines()}
        for section in required_sections(name, obj):
            assert section in lines, f"{name}: {section} is not a heading of its own"


@pytest.mark.parametrize("name", sorted(PAPERS))
def test_families_cite_their_papers(name: str) -> None:
    obj = getattr(lr_one_cycle, name, None) or getattr(lr_one_cycle.schedules, name)
    text = documented(obj)
    references = text[text.index("References:") :] if "References:" in text else ""
    missing = [paper for paper in PAPERS[name] if f"arXiv {paper}" not in references]
    assert not missing, f"{name}'s References lack arXiv {', '.join(missing)}"


def test_pure_functions_give_shapes_and_the_step_convention() -> None:
    """Functions of ``steps`` say what shape comes back and where the step convention
    (and the unit: steps, events or epochs) is documented."""
    for name, obj in code_names():
        if not inspect.isfunction(obj) or "steps" not in inspect.signature(obj).parameters:
            continue
        text = documented(obj)
        returns = text[text.index("Returns:") : text.index("Raises:")]
        assert "shape of ``steps``" in returns, f"{name}: Returns gives no shape"
        assert "lr_one_cycle.schedules" in text, f"{name}: no link to the step convention"
