"""Small constructors so diagnosers read as statements of fact."""

from __future__ import annotations

from typing import Any

from ..report.model import Finding, Severity, Subject


def subject_of(obj: dict[str, Any]) -> Subject:
    meta = obj.get("metadata") or {}
    return Subject(kind=str(obj.get("kind", "")), namespace=meta.get("namespace"),
                   name=str(meta.get("name", "")))


def subject(kind: str, name: str, namespace: str | None = None) -> Subject:
    return Subject(kind=kind, namespace=namespace, name=name)


def blocking(code: str, subj: Subject | None, message: str, hint: str,
             **evidence: str) -> Finding:
    return Finding(code=code, severity=Severity.BLOCKING, subject=subj, message=message,
                   hint=hint, evidence=dict(evidence))


def warning(code: str, subj: Subject | None, message: str, hint: str,
            **evidence: str) -> Finding:
    return Finding(code=code, severity=Severity.WARNING, subject=subj, message=message,
                   hint=hint, evidence=dict(evidence))
