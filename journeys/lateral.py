"""An expression computed where the tables it reads are joined, not at the top of the statement (PostgreSQL).

PostgreSQL computes a statement's columns at its topmost join. When that join sits above the parallel workers'
Gather, as the join of the caps' contact counts does (journeys.verdict_caps: an aggregate of its own, which the
workers cannot share), every column is computed there, in one process, over each of a million rows: the
decision's CASE with its consent and its principles' conditions among them. `Lateral(expression)` makes it
the one column of a subquery LEFT JOINed LATERAL ON true; the planner pulls the subquery up and computes the
expression as a placeholder at the join of the tables it reads, below the Gather, in the workers, and only
its value crosses to the leader (bench campaigns: the rows gathered 50 bytes wide instead of 174).

SQLite has no LATERAL and no parallel workers: there the expression is left as it is.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from django.db import connection
from django.db.models import Expression
from django.db.models.sql.constants import LOUTER

TABLE = "lateral_value"  # the alias of the joined subquery (a name no table has)


@dataclass(eq=False)
class _Joined:
    """The LATERAL subquery of one expression, an entry of a query's alias_map (Join's interface, as
    verdict_caps.ContactCounts). Equal to another of the same expression, as a Join is (its alias aside), so
    Query.join reuses it: an expression asked twice in a statement is computed once."""

    parent_alias: str
    expression: Expression  # resolved in the query
    table_alias: str | None = None
    table_name: str = TABLE
    join_type: str = LOUTER
    nullable: bool = True
    filtered_relation: None = None
    join_field: None = None

    def as_sql(self, compiler, connection):
        sql, params = compiler.compile(self.expression)
        alias = compiler.quote_name_unless_alias(self.table_alias)
        return f"{self.join_type} LATERAL (SELECT {sql} AS value) {alias} ON true", params

    def relabeled_clone(self, change_map: dict) -> _Joined:
        return replace(
            self,
            parent_alias=change_map.get(self.parent_alias, self.parent_alias),
            table_alias=change_map.get(self.table_alias, self.table_alias),
            expression=self.expression.relabeled_clone(change_map),
        )

    def demote(self) -> _Joined:
        return self  # every row keeps its value: never an inner join

    promote = demote

    @property
    def identity(self) -> tuple:
        return (self.__class__, self.table_name, self.parent_alias, self.expression)

    def __eq__(self, other) -> bool:
        return isinstance(other, _Joined) and self.identity == other.identity

    def __hash__(self) -> int:
        return hash(self.identity)


class _Value(Expression):
    """The joined subquery's column, as resolved in one query."""

    def __init__(self, alias: str, output_field):
        super().__init__(output_field=output_field)
        self.alias = alias

    def as_sql(self, compiler, connection):
        return f"{compiler.quote_name_unless_alias(self.alias)}.value", []

    def relabeled_clone(self, relabels):
        return self.__class__(relabels.get(self.alias, self.alias), self.output_field)

    def get_group_by_cols(self):
        return [self]


class Lateral(Expression):
    """`expression`, computed in a LATERAL subquery on PostgreSQL (see the module's docstring)."""

    def __init__(self, expression: Expression):
        super().__init__(output_field=expression.output_field)
        self.expression = expression

    def resolve_expression(self, query=None, allow_joins=True, reuse=None, summarize=False, for_save=False):
        resolved = self.expression.resolve_expression(query, allow_joins, reuse, summarize, for_save)
        if connection.vendor != "postgresql":
            return resolved
        # Resolved first, the joins the expression reads precede the subquery in the FROM clause.
        alias = query.join(_Joined(query.get_initial_alias(), resolved))
        return _Value(alias, self.output_field)
