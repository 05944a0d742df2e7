"""Pages for people, served by the service: the self-check form and its answer (``/``, ``/en/``, ``/es/``),
the registrar's cohort upload (``/<lang>/registrar``) and the API reference with local assets (``/docs``,
``/redoc``). None of them is in the OpenAPI document.

``install(app, today=...)`` adds them to an app built by ``api.main.create_app``.
"""

from .router import REGISTRAR_PATHS, install

__all__ = ["REGISTRAR_PATHS", "install"]
