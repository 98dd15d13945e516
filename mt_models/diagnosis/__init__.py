"""What a model relies on: ``probes`` (temporal probes: shuffle, reverse, static, ...), ``opposites`` (Syn-TA's
opposite coarse pairs), ``diagnostics`` (predictions under the probes and the diagnosis record) and ``report`` (its
Markdown / PNG report)."""
