"""A scratch PostgreSQL database for a benchmark: created and migrated for the run on the server DATABASE_URL
names, used by this process and by the gunicorn and Celery worker started inside it, then dropped."""

from __future__ import annotations

import os

from django.db import connection


class ScratchDatabase:
    """A fresh database on the same server, migrated; this process and the servers it starts use it, then it
    is dropped (unless `keep`). `purpose` names it; `settings_module`, when given, is the settings of the
    processes started inside the block."""

    def __init__(self, *, keep: bool, purpose: str, settings_module: str | None = None):
        self.keep = keep
        # Named after the database DATABASE_URL names, so a run stays within that database's prefix.
        self.name = f"{connection.settings_dict['NAME']}_{purpose}_{os.getpid()}"
        self.settings_module = settings_module
        self.old_name = ""
        self.old_test_name: str | None = None
        self.saved_env: dict[str, str | None] = {}

    def __enter__(self) -> ScratchDatabase:
        test = connection.settings_dict.setdefault("TEST", {})
        self.old_test_name = test.get("NAME")
        test["NAME"] = self.name
        # create_test_db returns the new database's name: the name to restore is taken before.
        self.old_name = connection.settings_dict["NAME"]
        connection.creation.create_test_db(verbosity=0, autoclobber=True, serialize=False)
        db = connection.settings_dict
        host = f"{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}"
        environment = {"DATABASE_URL": f"postgres://{db['USER']}:{db['PASSWORD'] or ''}@{host}/{self.name}"}
        if self.settings_module:
            environment["DJANGO_SETTINGS_MODULE"] = self.settings_module
        for key, value in environment.items():
            self.saved_env[key] = os.environ.get(key)
            os.environ[key] = value
        return self

    def __exit__(self, *exc_info) -> None:
        for key, value in self.saved_env.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value
        # The test runner that may have called the benchmark names its own test database from this.
        connection.settings_dict["TEST"]["NAME"] = self.old_test_name
        if self.keep:
            return
        connection.creation.destroy_test_db(self.old_name, verbosity=0)
