"""In-memory entity store for one company (realm): ids, SyncToken, MetaData, name and
DocNumber indexes, tombstones for CDC."""

from __future__ import annotations

import copy
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from . import faults
from .entities import NAME_LIST_PEOPLE, SPECS, spec_for_name

__all__ = ["RealmStore", "Tombstone", "iso_ms", "iso_s", "name_key"]

Obj = dict[str, Any]


def iso_s(when: datetime) -> str:
    """QBO MetaData style: ``2026-01-15T09:12:44-08:00``."""
    return when.isoformat(timespec="seconds")


def iso_ms(when: datetime) -> str:
    """QBO ``time`` style: ``2026-01-15T09:12:44.512-08:00``."""
    return when.isoformat(timespec="milliseconds")


def name_key(name: str) -> str:
    """Names compare case-insensitively and ignoring surrounding blanks."""
    return " ".join(name.split()).casefold()


@dataclass(frozen=True)
class Tombstone:
    entity: str
    id: str
    deleted_at: datetime


class RealmStore:
    """Objects are stored fully rendered (as QBO would return them)."""

    def __init__(self, realm_id: str, tz: ZoneInfo, first_id: int, user_id: str) -> None:
        self.realm_id = realm_id
        self.tz = tz
        self.user_id = user_id
        self._objects: dict[str, dict[str, Obj]] = {s.name: {} for s in SPECS}
        self._updated: dict[tuple[str, str], datetime] = {}
        self._tombstones: list[Tombstone] = []
        self._next_id = first_id
        self._names: dict[tuple[str, str], tuple[str, str]] = {}  # (scope, key) -> (entity, id)
        self._docs: dict[tuple[str, str], str] = {}  # (entity, DocNumber) -> id
        self.write_counts: Counter[str] = Counter()

    # ------------------------------------------------------------------ reads

    def get(self, entity: str, id_: str) -> Obj | None:
        return self._objects[entity].get(str(id_))

    def require(self, entity: str, id_: str) -> Obj:
        obj = self.get(entity, id_)
        if obj is None:
            raise faults.object_not_found()
        return obj

    def all(self, entity: str) -> Iterator[Obj]:
        return iter(self._objects[entity].values())

    def count(self, entity: str) -> int:
        return len(self._objects[entity])

    def changed_since(self, entity: str, since: datetime) -> list[Obj]:
        return [o for o in self._objects[entity].values()
                if self._updated[(entity, o["Id"])] >= since]

    def tombstones_since(self, entity: str, since: datetime) -> list[Tombstone]:
        return [t for t in self._tombstones if t.entity == entity and t.deleted_at >= since]

    def snapshot(self, entity: str, id_: str) -> Obj | None:
        obj = self.get(entity, id_)
        return copy.deepcopy(obj) if obj is not None else None

    # ------------------------------------------------------------ uniqueness

    @staticmethod
    def _name_scope(entity: str) -> str:
        return "names" if entity in NAME_LIST_PEOPLE else entity

    def name_owner(self, entity: str, name: str) -> tuple[str, str] | None:
        return self._names.get((self._name_scope(entity), name_key(name)))

    def check_name(self, entity: str, name: str, own_id: str | None) -> None:
        owner = self.name_owner(entity, name)
        if owner is not None and not (owner[0] == entity and owner[1] == own_id):
            raise faults.duplicate_name(self._name_scope(entity))

    def doc_owner(self, entity: str, doc_number: str) -> str | None:
        return self._docs.get((entity, doc_number))

    def _index(self, entity: str, obj: Obj, add: bool) -> None:
        spec = spec_for_name(entity)
        if spec and spec.name_field and isinstance(obj.get(spec.name_field), str):
            key = (self._name_scope(entity), name_key(obj[spec.name_field]))
            if add:
                self._names[key] = (entity, obj["Id"])
            elif self._names.get(key) == (entity, obj["Id"]):
                del self._names[key]
        doc = obj.get("DocNumber")
        if spec and spec.kind == "txn" and isinstance(doc, str) and doc:
            if add:
                self._docs.setdefault((entity, doc), obj["Id"])
            elif self._docs.get((entity, doc)) == obj["Id"]:
                del self._docs[(entity, doc)]

    # ----------------------------------------------------------------- writes

    def now(self, when: datetime) -> datetime:
        return when.astimezone(self.tz)

    def allocate_id(self) -> str:
        id_ = str(self._next_id)
        self._next_id += 1
        return id_

    def reserve_ids_above(self, id_: str) -> None:
        if id_.isdigit() and int(id_) >= self._next_id:
            self._next_id = int(id_) + 1

    def insert(self, entity: str, obj: Obj, when: datetime, *, count_write: bool = True) -> Obj:
        """Store a new object: assigns Id (unless seeded), SyncToken "0" and MetaData."""
        local = self.now(when)
        if "Id" not in obj:
            obj["Id"] = self.allocate_id()
        else:
            obj["Id"] = str(obj["Id"])
            self.reserve_ids_above(obj["Id"])
        obj["SyncToken"] = "0"
        obj["domain"] = "QBO"
        obj["sparse"] = False
        obj["MetaData"] = {"CreateTime": iso_s(local),
                           "LastModifiedByRef": {"value": self.user_id},
                           "LastUpdatedTime": iso_s(local)}
        self._objects[entity][obj["Id"]] = obj
        self._updated[(entity, obj["Id"])] = when
        self._index(entity, obj, add=True)
        if count_write:
            self.write_counts[entity] += 1
        return obj

    def replace(self, entity: str, obj: Obj, when: datetime, *, count_write: bool = True) -> Obj:
        """Store a new version of an existing object and bump its SyncToken."""
        old = self._objects[entity][obj["Id"]]
        self._index(entity, old, add=False)
        obj["SyncToken"] = str(int(old["SyncToken"]) + 1)
        obj["domain"] = "QBO"
        obj["sparse"] = False
        obj["MetaData"] = dict(old["MetaData"])
        obj["MetaData"]["LastUpdatedTime"] = iso_s(self.now(when))
        self._objects[entity][obj["Id"]] = obj
        self._updated[(entity, obj["Id"])] = when
        self._index(entity, obj, add=True)
        if count_write:
            self.write_counts[entity] += 1
        return obj

    def touch(self, entity: str, id_: str, when: datetime) -> Obj:
        """A system-side change (e.g. a payment applied to an invoice): new SyncToken."""
        return self.replace(entity, dict(self._objects[entity][id_]), when, count_write=False)

    def delete(self, entity: str, id_: str, when: datetime) -> Obj:
        obj = self._objects[entity].pop(id_)
        self._updated.pop((entity, id_), None)
        self._index(entity, obj, add=False)
        self._tombstones.append(Tombstone(entity, id_, when))
        self.write_counts[entity] += 1
        return obj
