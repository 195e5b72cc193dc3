"""Identities that cannot collide: a token's caller is a hash of issuer and ``sub``."""

from __future__ import annotations

import re

import pytest

from landgrid.auth.principal import identity, principal_from_claims
from landgrid.jobs.model import Job

ISSUER = "https://id.example.org/realms/landgrid"


@pytest.mark.parametrize("sub", ["anonymous", "x" * 300, "y" * 100_000, "a\x00b", "\ud800", ""])
def test_any_sub_is_a_fixed_length_identity(sub):
    owner = identity(ISSUER, sub)
    assert re.fullmatch(r"oidc:[0-9a-f]{64}", owner)
    assert len(owner) <= Job.__table__.c.owner.type.length
    assert owner != "anonymous"  # open mode's local user


def test_issuers_and_subs_do_not_collide():
    owners = {
        identity(ISSUER, "alice"),
        identity(ISSUER + "-2", "alice"),
        identity(ISSUER, "alice2"),
        identity(ISSUER + "\nalice", ""),  # the issuer's length keeps the pair unambiguous
        identity(ISSUER, "alice\n"),
    }
    assert len(owners) == 5
    assert identity(ISSUER + "/", "alice") == identity(ISSUER, "alice")  # same issuer


def test_a_principal_knows_its_issuer():
    principal = principal_from_claims({"sub": "z" * 5000, "roles": ["editor"]}, None, ISSUER)
    assert principal.identity == identity(ISSUER, "z" * 5000)
    assert principal.grants == {"editor"}


@pytest.mark.services
def test_migration_rewrites_owners_as_the_code_names_them(database):
    """Migration 0004's SQL gives the identity the code computes (in a rolled-back
    transaction on the real table)."""
    import importlib.util
    from pathlib import Path

    import sqlalchemy as sa

    from landgrid.db import engine

    path = Path(__file__).parents[2] / "landgrid/ops/migrations/versions/0004_owner_identity.py"
    spec = importlib.util.spec_from_file_location("m0004", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    subs = ["alice", "é\u00e9", "x" * 200, "anonymous"]
    with engine(database).connect() as conn, conn.begin() as tx:
        for n, sub in enumerate(subs):
            conn.execute(
                sa.text(
                    "INSERT INTO jobs (id, process_id, owner, status, inputs, response, mode) "
                    "VALUES (:id, 'echo', :owner, 'successful', '{}', 'raw', 'sync')"
                ),
                {"id": f"00000000-0000-0000-0000-{n:012d}", "owner": sub},
            )
        conn.execute(module.REWRITE, {"issuer": ISSUER})
        rows = conn.execute(
            sa.text("SELECT owner FROM jobs WHERE id LIKE '00000000-0000-0000-0000-%' ORDER BY id")
        ).scalars()
        assert list(rows) == [identity(ISSUER, s) for s in subs[:3]] + ["anonymous"]
        tx.rollback()
