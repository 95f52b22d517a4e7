"""Page scripts run by st.navigation (app.py); see ui/shared/pages.py."""
