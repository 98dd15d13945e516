"""Running a model on this machine: the fast path, loading clips into batches, and one run per output directory.

- ``fast_path``: the fastest correct path per machine (precision, ``torch.compile``, memory format), chosen and said;
  ``autotune``: the candidates it times on the model's own shapes.
- ``data``: ``VideoClipDataset`` and the DataLoader (decoding in workers); ``VideoCollator`` for ``Trainer``.
- ``output_dirs``: ``claim_output_dir``, what every script that writes checks before any work and holds while it works.
"""
