"""Streamlit pages; app.py routes to them. Every text comes from matcher.i18n."""
