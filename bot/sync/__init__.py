"""Cortex → Rootly service sync: plan (`plan.py`) → apply (`apply.py`) → report (`report.py`).

`SyncEngine` (`engine.py`) runs the three under the workspace's lease (`lease.py`) and stores each
result (`runs.py`); `schedule.py` holds the automatic syncs and their scheduler job. No Slack here.
"""

from __future__ import annotations

from bot.sync.engine import SyncEngine, SyncJob, SyncStatus
from bot.sync.plan import Action, Change, Conflict, SyncPlan, plan_sync
from bot.sync.report import BY_CLI, BY_SCHEDULE, Counts, Status, SyncProgress, SyncReport
from bot.sync.schedule import SYNC_FREQUENCIES, SyncFrequency, SyncSchedule

__all__ = [
    "BY_CLI",
    "BY_SCHEDULE",
    "SYNC_FREQUENCIES",
    "Action",
    "Change",
    "Conflict",
    "Counts",
    "Status",
    "SyncEngine",
    "SyncFrequency",
    "SyncJob",
    "SyncPlan",
    "SyncProgress",
    "SyncReport",
    "SyncSchedule",
    "SyncStatus",
    "plan_sync",
]
