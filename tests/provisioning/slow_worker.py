"""A provisioning worker for the crash test, run as its own process::

    python -m tests.provisioning.slow_worker <marker-folder> <pause-seconds>

It registers ``slow-dovecot``: the Dovecot module, which after the server has acted on a
create writes ``<marker-folder>/<user>`` and pauses — the moment the test kills it, after
the server acted and before Kyklos committed the answer."""

import os
import sys
import time
from pathlib import Path

import django


def main() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "kyklos.config.settings")
    django.setup()
    from django.core.management import call_command

    from kyklos.provisioning import modules
    from kyklos.provisioning.modules.dovecot import DovecotModule

    markers, pause = Path(sys.argv[1]), float(sys.argv[2])

    class SlowDovecot(DovecotModule):
        code = "slow-dovecot"

        def create(self, server, account):
            remote = super().create(server, account)
            (markers / account.username).write_text("created")
            time.sleep(pause)
            return remote

    modules.register(SlowDovecot)
    call_command("provisioning", "work", "--once")


if __name__ == "__main__":
    main()
