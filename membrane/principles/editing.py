"""The editor's save: a draft's content with its principle's title and rationale, all or nothing.

The title and rationale belong to the principle (every version shares them), the rest to the draft;
one save stores both or neither, so a refused draft (a bad field, a stale copy) leaves the title as it was.
"""

from __future__ import annotations

from django.db import transaction

from membrane.models.principles import Principle, PrincipleVersion

from .services import principle_version_update


def principle_draft_save(
    *, version: PrincipleVersion, actor, lock_version: int, title: str, rationale: str, **changes
) -> PrincipleVersion:
    """principle_version_update (its refusals: NotAllowed, InvalidTransition, ConflictError, InvalidVersion),
    and the principle's title and rationale in the same transaction."""
    with transaction.atomic():
        saved = principle_version_update(version=version, actor=actor, lock_version=lock_version, **changes)
        Principle.objects.filter(pk=version.principle_id).update(title=title, rationale=rationale)
    return saved
