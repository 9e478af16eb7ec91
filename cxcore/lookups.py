"""`any_of`: membership in a list of integer keys as one parameter, not one placeholder per value.

`filter(customer_id__any_of=ids)` means what `customer_id__in=ids` means. With thousands of ids
(a batch of customers) the `IN (%s, %s, ...)` of `__in` costs more to build, bind and plan than
the database spends answering; here PostgreSQL gets one array (`= ANY(%s)`) and SQLite one JSON
text (`IN (SELECT value FROM json_each(%s))`).
"""

from __future__ import annotations

import json

from django.db.models import Field, ForeignObject, Lookup


class AnyOf(Lookup):
    lookup_name = "any_of"
    prepare_rhs = False

    def as_sql(self, compiler, connection):
        lhs, lhs_params = self.process_lhs(compiler, connection)
        keys = [int(key) for key in self.rhs]
        if connection.vendor == "postgresql":
            return f"{lhs} = ANY(%s)", [*lhs_params, keys]
        return f"{lhs} IN (SELECT value FROM json_each(%s))", [*lhs_params, json.dumps(keys)]


Field.register_lookup(AnyOf)
# Foreign keys keep a lookup registry of their own.
ForeignObject.register_lookup(AnyOf)
