"""Cortex → Rootly service sync: plan (`plan.py`) → apply (`apply.py`) → report (`report.py`).

`SyncEngine` (`engine.py`) runs the three under the workspace's lease (`lease.py`) and stores each
result (`runs.py`); `schedule.py` holds the automatic syncs and their scheduler job, `fields.py`
the fields beyond name and description each workspace lets the sync own. No Slack here.
"""

from __future__ import annotations

from bot.sync.engine import ChannelDirectory, SyncEngine, SyncJob, SyncStatus
from bot.sync.fields import FieldChoice, SyncField
from bot.sync.plan import Action, Change, Conflict, FieldDiff, SyncPlan, plan_sync
from bot.sync.report import BY_CLI, BY_SCHEDULE, Counts, Status, SyncProgress, SyncReport
from bot.sync.schedule import SYNC_FREQUENCIES, SyncFrequency, SyncSchedule

__all__ = [
    "BY_CLI",
    "BY_SCHEDULE",
    "SYNC_FREQUENCIES",
    "Action",
    "Change",
    "ChannelDirectory",
    "Conflict",
    "Counts",
    "FieldChoice",
    "FieldDiff",
    "Status",
    "SyncEngine",
    "SyncField",
    "SyncFrequency",
    "SyncJob",
    "SyncPlan",
    "SyncProgress",
    "SyncReport",
    "SyncSchedule",
    "SyncStatus",
    "plan_sync",
]
