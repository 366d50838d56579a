"""The category classifier's data set, its generator, offline training and evaluation."""
