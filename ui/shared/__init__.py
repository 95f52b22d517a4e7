"""What every page uses: the app context (store, rule base, model, user), login, the page list, loading
with the last good rule base, and the shared widgets (forms, result view, cards, case and unit choice)."""
