"""Adapters between the package and the tools around it.

Each module is a thin front end over the public API of the schedulers and the schedules
(no formula and no argument check lives here). Importing this package imports neither
torch nor any of the tools; each module imports what it adapts.

- :mod:`lr_one_cycle.integrations.ignite`: ignite's ``ParamScheduler`` protocol for the
  ignite-style handlers (``CosineAnnealingScheduler``, ``LinearCyclicalScheduler``).
- :mod:`lr_one_cycle.integrations.r_bridge`: what the R package ``lronecycle`` calls
  through reticulate.
"""
