"""The paper's experiments as library code: ``protocol`` (the train/eval grid, pooling, paired comparisons, the
table and the chart) and ``findings`` (the paper's observations checked on a protocol table)."""
