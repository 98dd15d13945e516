"""Training on one protocol direction: ``loop`` (the loop ``train.py`` runs, its checkpoints and ``run.json``),
``augment`` (augmentations that keep a clip's fine class) and ``validation`` (a validation split carved out of the
training set)."""
