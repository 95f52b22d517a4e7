"""The methodologists' tools: edit a rule file, diff two rule bases and their impact, lint, rule tests and
scenarios, the JSON Schema of the rule format. Use the engine and the rule base."""
