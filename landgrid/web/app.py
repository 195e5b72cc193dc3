"""The application factory: settings in, a Flask app out; nothing global, nothing written.

Everything a request needs is built here once per app from the settings and handed to the
blueprints that use it: the catalog of products, the auth policy, the job dispatcher, the
OpenAPI document. Several apps (one per test, say) can live in one process.
"""

from __future__ import annotations

from flask import Flask

from flows.dispatch import Dispatcher
from flows.runner import JobRunner
from landgrid.auth.access import CollectionAccess
from landgrid.auth.mode import check_auth_settings
from landgrid.auth.policy import Policy
from landgrid.catalog import Catalog
from landgrid.features.settings import FeatureSettings
from landgrid.guards import Limits
from landgrid.settings import Settings
from landgrid.web.auth import install_auth
from landgrid.web.caching import install_cors
from landgrid.web.collections import collections_blueprint
from landgrid.web.conformance import conformance_blueprint
from landgrid.web.coverages import coverage_blueprint, coverages_conformance
from landgrid.web.downloads import downloads_blueprint
from landgrid.web.errors import install_error_boundary
from landgrid.web.features import features_blueprint, features_conformance
from landgrid.web.health import health_blueprint
from landgrid.web.inputs import install_input_guards
from landgrid.web.jobs import jobs_blueprint
from landgrid.web.landing import landing_blueprint
from landgrid.web.log_context import install_log_context
from landgrid.web.maps import maps_blueprint, maps_conformance
from landgrid.web.metrics import install_metrics
from landgrid.web.openapi import OpenApi
from landgrid.web.processes import processes_blueprint, processes_conformance
from landgrid.web.records import catalogue_collection, records_blueprint, records_conformance
from landgrid.web.stac import stac_blueprint
from landgrid.web.tiles import tiles_blueprint, tiles_conformance
from processes.registry import load_config


def create_app(
    settings: Settings | None = None,
    features: FeatureSettings | None = None,
    limits: Limits | None = None,
) -> Flask:
    settings = settings or Settings()
    features = features or FeatureSettings()
    limits = limits or Limits()
    check_auth_settings(settings)
    policy = Policy.load(settings.auth_policy)
    catalog = Catalog(settings)
    access = CollectionAccess(policy, catalog, open_mode=settings.auth_mode == "open")
    runner = JobRunner(settings, catalog=catalog, features=features, limits=limits, access=access)
    dispatcher = Dispatcher(runner)
    metadata = load_config(settings.pygeoapi_config).get("metadata", {})
    catalogue = runner.catalogue  # the one that also records published results
    base = settings.url

    app = Flask("landgrid", static_folder=None)
    app.url_map.strict_slashes = False
    app.config["LANDGRID_SETTINGS"] = settings
    install_error_boundary(app)
    install_metrics(app)
    install_cors(app, settings)  # preflights are answered before authentication
    install_input_guards(app, limits)  # paths, query strings, body sizes: before any route
    install_auth(app, settings, policy, access)  # identity + policy, before every route
    install_log_context(app)
    openapi = OpenApi(settings, features, catalog, policy, access, dispatcher.registry, metadata)
    processes = bool(dispatcher.registry.ids())
    blueprints = [
        landing_blueprint(base, metadata.get("identification", {}), openapi, processes),
        conformance_blueprint(
            base,
            [
                lambda: features_conformance(catalog),
                lambda: coverages_conformance(catalog, settings.coverage_max_pixels),
                lambda: processes_conformance(dispatcher),
                lambda: tiles_conformance(catalog),
                lambda: maps_conformance(catalog),
                lambda: records_conformance(catalog),
            ],
        ),
        records_blueprint(base, catalog, catalogue, access),
        stac_blueprint(base, catalog, catalogue, access),
        downloads_blueprint(catalog, access),
        collections_blueprint(base, catalog, access, [lambda: catalogue_collection(base)]),
        coverage_blueprint(base, catalog, settings.coverage_max_pixels),
        features_blueprint(base, catalog, settings.db_url(), features, limits),
        tiles_blueprint(
            base, catalog, access, settings.db_url(), features, settings.cache_max_age, limits
        ),
        maps_blueprint(
            base,
            catalog,
            access,
            settings.db_url(),
            features,
            settings.coverage_max_pixels,
            settings.cache_max_age,
            limits,
        ),
        processes_blueprint(base, dispatcher),
        jobs_blueprint(base, dispatcher),
        health_blueprint(settings),
    ]
    for blueprint in blueprints:
        app.register_blueprint(blueprint)
    return app
