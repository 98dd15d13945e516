"""Jinja2 templates of the dataset, metric and model cards (package data; see mt_datasets.hub.cards.render_card)."""
