"""A principle's scope: the interactions it applies to (DESIGN.md section 7).

A version names categories, channels and teams; an empty list means all of them. That rule is
written here alone: the decision engine, the caps' contact counts (in Python and in SQL) and the
principles' example tests all ask a Scope.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import Q


@dataclass(frozen=True)
class Scope:
    categories: frozenset[str] = frozenset()
    channels: frozenset[str] = frozenset()
    teams: frozenset[str] = frozenset()

    @classmethod
    def of(cls, version) -> Scope:
        """The scope a PrincipleVersion (or anything with its three lists) names."""
        return cls(frozenset(version.categories), frozenset(version.channels), frozenset(version.teams))

    @property
    def every_category(self) -> bool:
        return not self.categories

    def covers_category(self, category: str | None) -> bool:
        return not self.categories or category in self.categories

    def covers(self, *, team: str | None, category: str | None, channel: str | None) -> bool:
        """Whether an interaction (a question, an outbound contact) lies in the scope."""
        return (
            (not self.categories or category in self.categories)
            and (not self.channels or channel in self.channels)
            and (not self.teams or team in self.teams)
        )

    def q(self) -> Q:
        """`covers` as a filter, for rows with team, category and channel columns (signals)."""
        q = Q()
        for column, keys in (("category", self.categories), ("channel", self.channels), ("team", self.teams)):
            if keys:
                q &= Q(**{f"{column}__in": sorted(keys)})
        return q
