"""The core's HTTP API blueprints."""
