"""Two people saving the same copy of a campaign at the same moment: one save wins, the other is told who saved
(StaleCopy); neither update is lost silently."""

from __future__ import annotations

import threading

import pytest
from django.db import connection

from cxcore.factories import make_user
from journeys import services
from journeys.models import Campaign

from .campaign_support import stored


@pytest.mark.skipif(connection.vendor != "postgresql", reason="SQLite runs one writer at a time")
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_simultaneous_saves_of_one_copy_one_wins_the_other_is_refused():
    people = [make_user(f"m{n}", role="marketer", team="marketing_devices") for n in range(4)]
    campaign = stored()
    start = threading.Barrier(len(people))
    saved, stale, failures = [], [], []

    def save(person) -> None:
        try:
            start.wait()
            services.campaign_update(
                campaign=campaign, actor=person, lock_version=1, changes={"name": f"by {person.username}"}
            )
            saved.append(person.username)
        except services.StaleCopy as refused:
            stale.append(refused.saved_by)
        except Exception as exc:
            failures.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=save, args=(person,)) for person in people]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert failures == []
    assert len(saved) == 1 and len(stale) == len(people) - 1
    assert set(stale) == set(saved)
    current = Campaign.objects.get()
    assert (current.name, current.lock_version, current.updated_by.username) == (f"by {saved[0]}", 2, saved[0])
