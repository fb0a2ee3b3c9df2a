"""The HTTP API and the dashboard's static files; they only wire the stages together."""
