"""Two people editing one draft: the second save, made on a stale copy, is refused and says who saved when."""

from __future__ import annotations

import pytest
import time_machine

from cxcore.factories import make_user
from membrane.principles import services
from membrane.tests.principles_support import draft


def test_a_stale_edit_is_refused_and_loses_nothing(cx_manager):
    carla = cx_manager
    carla.first_name, carla.last_name = "Carla", "Conti"
    carla.save()
    colleague = make_user("cora", role="cx_manager", team="cx")
    version = draft(carla)
    seen_by_both = version.lock_version

    with time_machine.travel("2026-03-02 14:05:00+00:00", tick=False):
        services.principle_version_update(version=version, actor=carla, lock_version=seen_by_both, priority=120)
    with pytest.raises(services.ConflictError, match=r"^Carla Conti saved this draft at 14:05; reload$"):
        services.principle_version_update(version=version, actor=colleague, lock_version=seen_by_both, priority=90)

    version.refresh_from_db()
    assert version.priority == 120 and version.lock_version == seen_by_both + 1
