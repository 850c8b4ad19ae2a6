"""Signals of the importers app.

`run_finished(sender=ImportRun, run=run)` is sent once a run has settled (succeeded, failed, needs review,
skipped, rejected, superseded), after its row is saved and outside any transaction. Receivers (alerts, metrics)
must not raise: an exception is logged and the run is unaffected.
"""

from django.dispatch import Signal

run_finished = Signal()
