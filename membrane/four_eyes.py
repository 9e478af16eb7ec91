"""Who may review a version of a rule (a principle's, the stage rules'): the four-eyes rule, written once."""

from __future__ import annotations

from cxcore.models import Role


class ReviewRefused(Exception):
    """The actor may not review this version; the message says why, in a CX manager's words."""


def reviewer_require(*, actor, author, changed_it: bool) -> None:
    """Raises ReviewRefused unless `actor` may approve or reject a version written by `author`.

    Nobody reviews a version they wrote or edited (`changed_it`: any manager may edit a draft, so the
    author alone does not say whose work it is), and only a CX manager of another team than the author's
    does: the superuser's blanket has_role does not make them a reviewer.
    """
    if changed_it:
        raise ReviewRefused(
            "Nobody reviews their own version, nor one they edited: a CX manager of another team who did not"
            " change it must."
        )
    if not actor.groups.filter(name=Role.CX_MANAGER).exists():
        raise ReviewRefused("Only a CX manager of another team than the author's can review a version.")
    author_team = author.team_id if author else None
    if actor.team_id is None or actor.team_id == author_team:
        raise ReviewRefused("A CX manager of another team than the author's must review this version.")
