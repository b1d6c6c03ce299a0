"""`hypercorn medianest.asgi:app`: the app built from the environment's settings."""

from medianest.app import create_app

app = create_app()
