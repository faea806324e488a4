"""The read-only catalogue: data sources, scope codes, patient-app clients.

Only the data-source *list* decorates ``supportedScopes``; the detail and a client's data
sources show an empty list even for sources that support scopes (034, 039).
"""

from __future__ import annotations

from jhe_sync.emulator import shapes
from jhe_sync.emulator.context import Ctx
from jhe_sync.emulator.errors import not_found, to_pk
from jhe_sync.emulator.http import Response, json_response
from jhe_sync.emulator.pagination import FIXED_PAGE_SIZE, paginate


def list_data_sources(ctx: Ctx) -> Response:
    rows = ctx.store.all("SELECT * FROM core_datasource ORDER BY name, id")
    return json_response(
        200,
        paginate(
            ctx.request,
            rows,
            lambda r: shapes.data_source(r, shapes.supported_scopes(ctx.store, r["id"])),
        ),
    )


def get_data_source(ctx: Ctx) -> Response:
    row = ctx.store.one("SELECT * FROM core_datasource WHERE id = ?", (to_pk(ctx.param("pk")),))
    if row is None:
        raise not_found("No DataSource matches the given query.")
    return json_response(200, shapes.data_source(row, []))


def supported_scopes(ctx: Ctx) -> Response:
    """The data source's scope links, each with the source and the code nested (035)."""
    rows = ctx.store.all(
        "SELECT s.id AS link_id, d.id, d.name, d.type, d.last_updated, c.id AS code_id, c.coding_system, "
        "c.coding_code, c.text FROM core_datasourcesupportedscope s "
        "JOIN core_datasource d ON d.id = s.data_source_id JOIN core_codeableconcept c ON c.id = s.scope_code_id "
        "WHERE s.data_source_id = ? ORDER BY s.id",
        (to_pk(ctx.param("pk")),),
    )
    return json_response(
        200,
        [
            {
                "id": r["link_id"],
                "dataSource": shapes.data_source_model(r),
                "scopeCode": {
                    "id": r["code_id"],
                    "codingSystem": r["coding_system"],
                    "codingCode": r["coding_code"],
                    "text": r["text"],
                },
            }
            for r in rows
        ],
    )


def all_scopes(ctx: Ctx) -> Response:
    """Every scope code, a bare list ordered by text (036)."""
    rows = ctx.store.all("SELECT * FROM core_codeableconcept ORDER BY text, id")
    return json_response(200, [shapes.scope_code(r) for r in rows])


_PATIENT_APPS = "SELECT * FROM oauth2_provider_application WHERE invitation_url IS NOT NULL"


def list_clients(ctx: Ctx) -> Response:
    """Patient-app clients, newest first; DRF's default paginator, so page_size is ignored (037)."""
    rows = ctx.store.all(_PATIENT_APPS + " ORDER BY id DESC")
    return json_response(
        200, paginate(ctx.request, rows, shapes.client, fixed_size=FIXED_PAGE_SIZE)
    )


def get_client(ctx: Ctx) -> Response:
    row = ctx.store.one(_PATIENT_APPS + " AND id = ?", (to_pk(ctx.param("pk")),))
    if row is None:
        raise not_found("No JheClient matches the given query.")
    return json_response(200, shapes.client(row))


def client_data_sources(ctx: Ctx) -> Response:
    rows = ctx.store.all(
        "SELECT d.* FROM core_clientdatasource cd JOIN core_datasource d ON d.id = cd.data_source_id "
        "WHERE cd.client_id = ? ORDER BY cd.id",
        (to_pk(ctx.param("pk")),),
    )
    return json_response(200, [shapes.data_source(r, []) for r in rows])
