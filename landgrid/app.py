"""The application factory: auth, our blueprints, then pygeoapi's, with our settings."""

from __future__ import annotations

from flask import Flask

from landgrid.auth.mode import check_auth_settings
from landgrid.auth.web import install_auth
from landgrid.resources import prepare
from landgrid.settings import Settings


def create_app(settings: Settings | None = None) -> Flask:
    """Build the web app.

    pygeoapi reads its configuration and OpenAPI document when ``pygeoapi.flask_app`` is
    first imported, from environment variables; so the factory exports them first and
    imports pygeoapi only then.
    """
    settings = settings or Settings()
    check_auth_settings(settings)
    prepare(settings)

    from pygeoapi.flask_app import BLUEPRINT, api_

    from landgrid.conformance import conformance_blueprint
    from landgrid.coverage.routes import coverage_blueprint
    from landgrid.features.product import load_vector_products, vector_products_dirs
    from landgrid.features.routes import features_blueprint
    from landgrid.health import health_blueprint
    from processes.api import create_blueprint as processes_blueprint

    app = Flask("landgrid", static_folder=None)
    app.url_map.strict_slashes = False
    app.config["LANDGRID_SETTINGS"] = settings
    install_auth(app, settings)  # one before_request hook: identity + policy, for all routes
    app.register_blueprint(health_blueprint(settings))

    def editable() -> bool:
        products = load_vector_products(vector_products_dirs(settings)).values()
        return any(product.editable for product in products)

    app.register_blueprint(conformance_blueprint(api_.config["resources"], editable))
    app.register_blueprint(coverage_blueprint(settings))  # before pygeoapi: ours answer first
    app.register_blueprint(features_blueprint(settings))  # before pygeoapi: ours answer first
    # ours first: where paths are equal, the first registered rule wins
    app.register_blueprint(processes_blueprint(api_.manager, settings.url, api_.config))
    app.register_blueprint(BLUEPRINT)
    return app
