"""Scoring a model on one protocol direction: ``evaluation`` (what ``eval.py`` and ``diagnose.py`` share, and
``eval.py`` itself) and ``records``, the versioned results record (``all_results.json``)."""
