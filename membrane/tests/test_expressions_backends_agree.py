"""Property: on random well-typed expressions and random fact rows (nulls and boundaries included),
the Python evaluator and the SQL predicate agree exactly, on whichever database the suite runs on."""

from __future__ import annotations

import json
from decimal import Decimal

import pytest
from django.db.models import (
    BigIntegerField,
    BooleanField,
    Case,
    CharField,
    DecimalField,
    ExpressionWrapper,
    F,
    Value,
    When,
)
from hypothesis import HealthCheck, given, note, settings
from hypothesis import strategies as st

from cxcore.models import Customer
from membrane.expressions import FactSpec, check, compile_python, compile_sql

ROWS = 6
INTS = [-(2**40), -1, 0, 1, 2, 3, 10, 1000, 2**40]
DECIMALS = [Decimal(d) for d in ("-1.5", "0", "0.5", "1.00", "2.25", "2.5", "999.99", "1000.01")]
STRINGS = ["", "a", "A", "smb", "crisis", "at_risk", "é", "a b", "O'Brien", 'say "hi"', "back\\slash", "%", "_"]
FIELDS = {
    "int": BigIntegerField,
    "decimal": lambda: DecimalField(max_digits=20, decimal_places=6),
    "bool": BooleanField,
    "str": CharField,
}
FAMILY = {"int": "number", "decimal": "number", "bool": "bool", "str": "str"}


@st.composite
def catalogues(draw):
    facts = {}
    for i in range(draw(st.integers(1, 4))):
        kind = draw(st.sampled_from(sorted(FIELDS)))
        values = None
        if kind == "str" and draw(st.booleans()):
            values = frozenset(draw(st.lists(st.sampled_from(STRINGS), min_size=1, max_size=4, unique=True)))
        facts[f"f{i}"] = FactSpec(f"f{i}", kind, values)
    return facts


def values_of(spec: FactSpec) -> list:
    if spec.type == "int":
        return INTS
    if spec.type == "decimal":
        return DECIMALS
    if spec.type == "bool":
        return [True, False]
    return sorted(spec.values) if spec.values else STRINGS


def literals_for(spec: FactSpec) -> list:
    # A number fact compares with int and decimal literals alike.
    return INTS + DECIMALS if FAMILY[spec.type] == "number" else values_of(spec)


def render(value) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return json.dumps(value, ensure_ascii=False)
    return str(value)


@st.composite
def comparisons(draw, facts):
    spec = draw(st.sampled_from(list(facts.values())))
    numeric = FAMILY[spec.type] == "number"
    ops = ["==", "!=", "in", "not in", "null"] + (["<", "<=", ">", ">="] if numeric else [])
    op = draw(st.sampled_from(ops))
    if op == "null":
        sides = [spec.name, "null"]
        op = draw(st.sampled_from(["==", "!="]))
    elif op in ("in", "not in"):
        items = draw(st.lists(st.sampled_from(literals_for(spec)), max_size=4))
        return f"{spec.name} {op} [{', '.join(render(v) for v in items)}]"
    else:
        peers = [f.name for f in facts.values() if FAMILY[f.type] == FAMILY[spec.type]]
        other = draw(st.one_of(st.sampled_from(literals_for(spec)).map(render), st.sampled_from(peers)))
        sides = [spec.name, other]
    if draw(st.booleans()):
        sides.reverse()
    return f"{sides[0]} {op} {sides[1]}"


def conditions(facts):
    bool_facts = [f.name for f in facts.values() if f.type == "bool"]
    leaves = [comparisons(facts), st.sampled_from(["true", "false", "1 < 2.5", "null == null"])]
    if bool_facts:
        leaves.append(st.sampled_from(bool_facts))
    return st.recursive(
        st.one_of(*leaves),
        lambda inner: st.one_of(
            inner.map(lambda c: f"not ({c})"),
            st.lists(inner, min_size=2, max_size=3).map(lambda cs: " and ".join(f"({c})" for c in cs)),
            st.lists(inner, min_size=2, max_size=3).map(lambda cs: " or ".join(f"({c})" for c in cs)),
        ),
        max_leaves=8,
    )


@st.composite
def cases(draw):
    facts = draw(catalogues())
    source = draw(conditions(facts))
    rows = [
        {name: draw(st.one_of(st.none(), st.sampled_from(values_of(spec)))) for name, spec in facts.items()}
        for _ in range(ROWS)
    ]
    return facts, source, rows


def fact_columns(facts, rows, pks) -> dict:
    """Each fact as a per-row annotation of real Customer rows: typed, nullable, bound values."""
    columns = {}
    for name, spec in facts.items():
        field = FIELDS[spec.type]
        whens = [
            When(pk=pk, then=Value(row[name], output_field=field()))
            for pk, row in zip(pks, rows, strict=True)
            if row[name] is not None
        ]
        columns[name] = Case(*whens, default=Value(None, output_field=field()), output_field=field())
    return columns


@pytest.mark.django_db
def test_python_and_sql_agree():
    pks = [Customer.objects.create(external_id=f"prop-{i}").pk for i in range(ROWS)]

    @settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
    @given(cases())
    def agree(case):
        facts, source, rows = case
        note(f"expression: {source}")
        note(f"rows: {rows}")
        checked = check(source, facts)
        predicate = compile_python(checked)
        expected = {pk for pk, row in zip(pks, rows, strict=True) if predicate(row)}

        queryset = Customer.objects.filter(pk__in=pks).annotate(
            **{f"x_{n}": c for n, c in fact_columns(facts, rows, pks).items()}
        )
        sql = compile_sql(checked, {name: F(f"x_{name}") for name in facts})
        assert set(queryset.filter(sql).values_list("pk", flat=True)) == expected
        annotated = queryset.annotate(holds=ExpressionWrapper(sql, output_field=BooleanField()))
        assert {pk for pk, holds in annotated.values_list("pk", "holds") if holds} == expected

    agree()
