"""Index of ownerReferences: which stored objects name a given owner uid.

The garbage collector asks "who is owned by this uid" on every delete; scanning every
object for that made namespace deletion quadratic.
"""

from __future__ import annotations

from typing import Any

ObjRef = tuple[tuple[str, str], str, str]  # ((group, plural), namespace or "", name)


class OwnerIndex:
    def __init__(self) -> None:
        self._owned: dict[str, set[ObjRef]] = {}
        self._owners_of: dict[ObjRef, set[str]] = {}

    def update(self, ref: ObjRef, obj: dict[str, Any] | None) -> None:
        """Record `obj`'s current owners (None: the object is gone)."""
        for uid in self._owners_of.pop(ref, set()):
            refs = self._owned.get(uid)
            if refs is not None:
                refs.discard(ref)
                if not refs:
                    del self._owned[uid]
        if obj is None:
            return
        uids = {r["uid"] for r in (obj.get("metadata") or {}).get("ownerReferences") or []
                if isinstance(r, dict) and r.get("uid")}
        if uids:
            self._owners_of[ref] = uids
            for uid in uids:
                self._owned.setdefault(uid, set()).add(ref)

    def owned_by(self, uid: str) -> list[ObjRef]:
        return sorted(self._owned.get(uid, ()))
