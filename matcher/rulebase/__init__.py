"""The rule base as data: pydantic schema, factor catalogue and instrument adapters, YAML source with line
numbers, conditions compiled to masks, and loading with every check. Imports nothing else of the package
but ``errors`` and ``i18n``."""
