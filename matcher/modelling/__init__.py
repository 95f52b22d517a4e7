"""The evaluators' workflow: training data, synthetic data, additive models, train, evaluate, metrics,
fairness, the model registry, converters for public research data, evaluation reports."""
