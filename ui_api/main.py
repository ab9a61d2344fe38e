"""The ASGI app for uvicorn: ``uvicorn ui_api.main:app``."""

from ui_api.app import create_app

app = create_app()
