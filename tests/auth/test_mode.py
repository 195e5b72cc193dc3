"""The embedded default is loud, production refuses to start without a provider."""

from __future__ import annotations

from pathlib import Path

import pytest

from landgrid.auth.mode import check_auth_settings
from landgrid.errors import StackError
from landgrid.ops.stack import Stack
from landgrid.settings import Settings


def make(tmp_path: Path, **values) -> Settings:
    return Settings(data_dir=tmp_path / "var", **values)


def test_open_mode_is_announced(tmp_path, new_port):
    lines: list[str] = []
    stack = Stack(make(tmp_path, port=new_port(), prefect_port=new_port()), lines.append)
    stack.preflight()
    assert lines[0].startswith("WARNING: AUTH IS OFF (LANDGRID_AUTH_MODE=open)")


def test_oidc_mode_is_announced(tmp_path, new_port):
    lines: list[str] = []
    settings = make(
        tmp_path,
        port=new_port(),
        prefect_port=new_port(),
        auth_mode="oidc",
        oidc_issuer="https://id.example.org/realms/x",
        oidc_audience="api",
    )
    Stack(settings, lines.append).preflight()
    assert lines[0].startswith("auth: OpenID Connect tokens from https://id.example.org")


@pytest.mark.parametrize(
    ("values", "message"),
    [
        ({}, "LANDGRID_ENV=production refuses to start without auth: set LANDGRID_AUTH_MODE=oidc"),
        ({"auth_mode": "oidc", "oidc_issuer": "https://id"}, "LANDGRID_OIDC_AUDIENCE"),
        (
            {"auth_mode": "oidc", "oidc_issuer": "https://id", "oidc_audience": "api"},
            "LANDGRID_SECRET_KEY",
        ),
    ],
)
def test_production_refuses(tmp_path, values, message):
    with pytest.raises(StackError, match=message) as caught:
        check_auth_settings(make(tmp_path, env="production", **values))
    assert "\n" not in str(caught.value)


def test_production_with_a_provider_starts(tmp_path):
    check_auth_settings(
        make(
            tmp_path,
            env="production",
            auth_mode="oidc",
            oidc_issuer="https://id",
            oidc_audience="api",
            secret_key="s",
        )
    )


def test_incomplete_oidc_refuses(tmp_path):
    with pytest.raises(StackError, match="LANDGRID_AUTH_MODE=oidc needs LANDGRID_OIDC_ISSUER"):
        check_auth_settings(make(tmp_path, auth_mode="oidc"))


def test_broken_policy_refuses(tmp_path):
    policy = tmp_path / "policy.yml"
    policy.write_text("processes:\n  sleep: {execute: 3}\n")
    with pytest.raises(StackError, match="auth policy"):
        check_auth_settings(make(tmp_path, auth_policy=policy))
