"""Moved to :mod:`mt_datasets.commands.cli`: importing this old path warns; it goes in the next release."""

import sys

from mt_datasets._exports import moved

__getattr__ = moved("mt_datasets.cli", "mt_datasets.commands.cli")

if __name__ == "__main__":
    sys.exit(__getattr__("main")())
