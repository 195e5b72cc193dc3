"""Authentication (who calls: bearer JWTs and opaque tokens) and authorization (what they
may do: ``config/auth-policy.yml``). The core modules import neither Flask nor pygeoapi;
``landgrid.web.auth`` is the one Flask hook that applies them to every request."""
