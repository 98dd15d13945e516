"""Moved to :mod:`mt_models.diagnosis.probes`: importing this old path warns; it goes in the next release."""

from mt_datasets._exports import moved

__getattr__ = moved(__name__, "mt_models.diagnosis.probes")
