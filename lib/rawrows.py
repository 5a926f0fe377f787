"""Model instances from hand-written SQL on hot paths, with the values the ORM would give them.

A raw cursor hands back what the driver returns: on SQLite, naive datetimes and booleans as
integers. `Reader` applies the same converters the ORM's compiler applies (the backend's and the
field's own), so an instance read here equals one read by a queryset.
"""

from collections.abc import Sequence
from typing import Any

from django.db import connection


class Reader:
    """Rows of `fields` (in order) → converted values; `Reader.build` makes `model` instances."""

    def __init__(self, model, names: Sequence[str]):
        self.model = model
        self.fields = [model._meta.get_field(name) for name in names]
        self.attnames = tuple(f.attname for f in self.fields)
        self.columns = tuple(f.column for f in self.fields)
        self._steps: list[tuple[int, list, Any]] | None = None
        self._vendor = ""

    def _converters(self) -> list[tuple[int, list, Any]]:
        if self._steps is None or self._vendor != connection.vendor:
            steps = []
            for i, field in enumerate(self.fields):
                col = field.get_col(self.model._meta.db_table)
                found = connection.ops.get_db_converters(col) + field.get_db_converters(connection)
                if found:
                    steps.append((i, found, col))
            self._steps, self._vendor = steps, connection.vendor
        return self._steps

    def values(self, row: Sequence[Any]) -> list[Any]:
        out = list(row)
        for i, converters, col in self._converters():
            value = out[i]
            for convert in converters:
                value = convert(value, col, connection)
            out[i] = value
        return out

    def rows(self, rows: Sequence[Sequence[Any]]) -> list[tuple[Any, ...]]:
        if not self._converters():
            return [tuple(row) for row in rows]
        return [tuple(self.values(row)) for row in rows]

    def build(self, row: Sequence[Any]):
        return self.model.from_db(connection.alias, self.attnames, self.values(row))

    def select(self, alias: str = "") -> str:
        """The column list, quoted, optionally as `alias.column`."""
        q = connection.ops.quote_name
        prefix = f"{alias}." if alias else ""
        return ", ".join(prefix + q(c) for c in self.columns)


class Writer:
    """INSERT of `model` rows by hand, each value prepared by its field as the ORM prepares it
    (aware datetimes for SQLite, JSON for PostgreSQL's jsonb): a few rows without a queryset."""

    def __init__(self, model, names: Sequence[str]):
        self.model = model
        self.fields = [model._meta.get_field(name) for name in names]

    # Rows per statement: SQLite takes at most 32,766 parameters in one.
    ROWS_PER_STATEMENT = 500

    def insert(self, rows: Sequence[Sequence[Any]], *, returning: bool = False) -> list[int]:
        """Insert `rows` (values in `names` order); with `returning`, their new ids in order."""
        ids: list[int] = []
        for start in range(0, len(rows), self.ROWS_PER_STATEMENT):
            ids += self._insert(rows[start : start + self.ROWS_PER_STATEMENT], returning)
        return ids

    def _insert(self, rows: Sequence[Sequence[Any]], returning: bool) -> list[int]:
        q = connection.ops.quote_name
        one = f"({', '.join(['%s'] * len(self.fields))})"
        params = [
            field.get_db_prep_save(value, connection)
            for row in rows
            for field, value in zip(self.fields, row, strict=True)
        ]
        sql = (
            f"INSERT INTO {q(self.model._meta.db_table)} "  # noqa: S608 (our own names)
            f"({', '.join(q(f.column) for f in self.fields)}) VALUES {', '.join([one] * len(rows))}"
        )
        with connection.cursor() as cursor:
            if not returning:
                cursor.execute(sql, params)
                return []
            cursor.execute(f"{sql} RETURNING {q(self.model._meta.pk.column)}", params)
            return [row[0] for row in cursor.fetchall()]
