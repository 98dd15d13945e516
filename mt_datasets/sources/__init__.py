"""The datasets made from a source: K400-TA and SSv2-TA from a user's copy, and the loop every builder shares.

- ``annotations``: reading annotation files, with errors that name the file and the line.
- ``kinetics``, ``ssv2``: Kinetics-400's / Something-Something-v2's annotations read into K400-TA / SSv2-TA clips.
- ``presence``: which videos of a user's copy are present; the presence report.
- ``build``: the build loop (also the Syn-TA release converter's), ``LocalCopy`` and the ``build`` commands.
- ``attach``: a metadata-only dataset joined with local video files.
"""
