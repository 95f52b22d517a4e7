"""The engine: case format, risk models behind one interface, scoring, the compiled kernel, ``match``,
explanation and rendering, intervention cards. Uses the rule base; knows nothing of the store, the app or
the command line."""
