"""Label conventions shared by the data pipeline and the models, kept apart from both so neither imports the other."""

from __future__ import annotations

__all__ = ["IGNORE_INDEX"]

IGNORE_INDEX = -100  # transformers' convention: a label that takes no part in the loss (e.g. an undecodable video)
