"""The lr_one_cycle demo: does 1cycle reach a given accuracy in fewer steps than other
schedules, each at its own tuned peak lr? (Smith & Topin, arXiv 1708.07120.)

Run it from the repository root: ``python -m demo`` (``make demo``), ``python -m demo
--quick`` for a run of seconds, ``python -m demo --help`` for the options. It lives beside
the library, not in it: ``pip install lr_one_cycle`` does not install it, and nothing in
``lr_one_cycle`` imports it. Modules:

- :mod:`demo.data`: MNIST-1D (built locally by ``mnist1d``) and scikit-learn's digits,
  with their models;
- :mod:`demo.schedules`: the schedules compared, one entry each;
- :mod:`demo.experiment`: range tests, tuning on a validation split, the runs;
- :mod:`demo.report`: the CSV files, figures and ``report.md``;
- :mod:`demo.readme`: puts a run's results into the README.
"""
