"""The options of the package's scripts, light: the standard library and mt_datasets' light modules only, so that
``examples/*.py --help`` and a bad option value answer at once (``import mt_models.options`` imports neither torch
nor transformers: :mod:`mt_models` imports its parts lazily).

- ``arguments``: the command-line options (``add_dataset_arguments``, ``add_training_arguments``, the head options,
  ``--mixed_precision`` / ``--compile``, the argparse types) and the names they choose among;
- ``run``: :class:`RunOptions`, what ``train.py`` and ``eval.py`` both take.

The package exports the names of both (``from mt_models.options import RunOptions, add_training_arguments``),
imported on first use; it was the module ``mt_models/options.py`` and the top-level package ``mt_options``.
"""

from mt_datasets._exports import lazy_exports

__getattr__ = lazy_exports(__name__, modules=("mt_models.options.run", "mt_models.options.arguments"))
