"""The stub NewAPI's OpenAPI 3 document (hand-written; every status the app returns)."""

from __future__ import annotations

from typing import Any

_ERROR = {"$ref": "#/components/schemas/Error"}
_NON_EMPTY = {"type": "string", "minLength": 1, "pattern": r"\S"}


def _resp(description: str, schema: dict[str, Any] | None = None) -> dict[str, Any]:
    return {"description": description,
            "content": {"application/json": {"schema": schema or _ERROR}}}


def _method_not_allowed() -> dict[str, Any]:
    return {"summary": "Only POST is allowed", "security": [],
            "responses": {"405": _resp("Method not allowed (Allow: POST)")}}


def openapi_document() -> dict[str, Any]:
    mint = {
        "operationId": "mintSandboxToken",
        "summary": "Mint a per-sandbox LLM-gateway token (HS256 JWT, 7 days)",
        "parameters": [{
            "name": "X-Catalyst-Tool", "in": "header", "required": False,
            "description": "Caller name, the `tool` label of the mint counter "
                           "(`unknown` when absent, `invalid` when not [A-Za-z0-9._:/-]{1,63}).",
            "schema": {"type": "string"},
        }],
        "requestBody": {"required": True, "content": {"application/json": {
            "schema": {"$ref": "#/components/schemas/MintRequest"}}}},
        "responses": {
            "200": _resp("Token minted", {"$ref": "#/components/schemas/MintResponse"}),
            "400": _resp("Body is not JSON, a field is missing, or no channel is left"),
            "401": _resp("Missing or wrong admin bearer"),
            "413": _resp("Body larger than the server accepts"),
            "500": _resp("Signing failed"),
            "503": _resp("Signing key or admin secret unset"),
        },
    }
    text_plain = {"text/plain": {"schema": {"type": "string"}}}
    return {
        "openapi": "3.0.3",
        "info": {"title": "NewAPI sandbox token bridge (stub)", "version": "1.0.0"},
        "paths": {
            "/admin/tokens/sandbox": {
                "post": mint,
                **{m: _method_not_allowed() for m in ("get", "put", "patch", "delete")},
            },
            "/metrics": {"get": {
                "operationId": "metrics", "security": [],
                "summary": "Prometheus text: newapi_admin_token_mint_requests_total{tool,status}",
                "responses": {"200": {"description": "Metrics", "content": text_plain}},
            }},
            "/healthz": {"get": {
                "operationId": "healthz", "security": [],
                "responses": {"200": _resp("Alive", {
                    "type": "object", "required": ["status"],
                    "properties": {"status": {"type": "string"}}})},
            }},
            "/openapi.json": {"get": {
                "operationId": "openapi", "security": [],
                "responses": {"200": _resp("This document", {"type": "object"})},
            }},
        },
        "security": [{"adminBearer": []}],
        "components": {
            "securitySchemes": {"adminBearer": {
                "type": "http", "scheme": "bearer",
                "description": "NEWAPI_ADMIN_SECRET, compared in constant time"}},
            "schemas": {
                "MintRequest": {
                    "type": "object",
                    "required": ["org_id", "user_id", "sandbox_id", "allowed_channels"],
                    "properties": {
                        "org_id": _NON_EMPTY,
                        "user_id": _NON_EMPTY,
                        "sandbox_id": _NON_EMPTY,
                        "allowed_channels": {
                            "type": "array", "minItems": 1, "items": _NON_EMPTY,
                            "description": "De-duplicated; empty names are dropped"},
                        "capabilities": {
                            "type": "array", "items": {"type": "string"},
                            "description": "Copied into the `capabilities` claim "
                                           "(de-duplicated, empties dropped; omitted when "
                                           "none is left)"},
                    },
                },
                "MintResponse": {
                    "type": "object", "required": ["token", "expires_at"],
                    "properties": {"token": {"type": "string"},
                                   "expires_at": {"type": "string", "format": "date-time"}},
                },
                "Error": {
                    "type": "object", "required": ["error"],
                    "properties": {"error": {"type": "string"}},
                },
            },
        },
    }
