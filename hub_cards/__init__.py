"""Jinja2 templates of the dataset, metric and model cards (package data; rendered by ``mt_datasets.hub.render_card``)."""
