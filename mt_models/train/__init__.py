"""Training on one protocol direction: ``loop`` (the loop ``train.py`` runs), ``checkpoints`` (its output directory:
checkpoints and ``run.json``, checked on resume; one run per directory), ``augment`` (augmentations that keep a clip's
fine class) and ``validation`` (a validation split carved out of the training set)."""
