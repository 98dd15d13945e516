"""The package list, which pyproject.toml cannot express: the card templates of the repository folder ``hub_cards/``
install as ``mt_datasets/templates/`` (package data under the package's own namespace, not a top-level package).

The installed top-level packages are the design's three, ``mt_datasets``, ``mt_metrics`` and ``mt_models``
(``tests/test_architecture.py`` checks it). ``mt_options.py`` is the old path of ``mt_models.options``, one module
that warns, installed for one release.
"""

from setuptools import find_packages, setup

setup(
    packages=[*find_packages(include=["mt_datasets*", "mt_metrics*", "mt_models*"]), "mt_datasets.templates"],
    package_dir={"mt_datasets.templates": "hub_cards"},
    py_modules=["mt_options"],
)
