"""Every action, callback and block ID the app sends to Slack and listens for."""

from __future__ import annotations

from typing import Final

# Connect / disconnect
CONNECT_VIEW: Final = "connect_view"
CONNECT_CORTEX_KEY_BLOCK: Final = "cortex_key_block"
CONNECT_CORTEX_KEY: Final = "cortex_key"
CONNECT_CORTEX_URL_BLOCK: Final = "cortex_url_block"
CONNECT_CORTEX_URL: Final = "cortex_url"
CONNECT_ROOTLY_KEY_BLOCK: Final = "rootly_key_block"
CONNECT_ROOTLY_KEY: Final = "rootly_key"
OPEN_CONNECT: Final = "open_connect"
DISCONNECT_CONFIRM: Final = "disconnect_confirm"
DISCONNECT_CANCEL: Final = "disconnect_cancel"

# Service lookup
SHOW_SERVICE: Final = "show_service"
MORE_DEPLOYS: Final = "more_deploys"
MORE_RESULTS: Final = "more_results"
OPEN_IN_CORTEX: Final = "open_in_cortex"
DEPLOYS_VIEW: Final = "deploys_view"
SCORES_VIEW: Final = "scores_view"

# Recording deploys and events (buttons, modals, fields)
RECORD_DEPLOY: Final = "record_deploy"
ADD_EVENT: Final = "add_event"
DEPLOY_VIEW: Final = "deploy_view"
EVENT_VIEW: Final = "event_view"
SERVICE_BLOCK: Final = "service_block"
SERVICE_SELECT: Final = "service_select"
TITLE_BLOCK: Final = "title_block"
TITLE_INPUT: Final = "title_input"
DEPLOY_TYPE_BLOCK: Final = "deploy_type_block"
DEPLOY_TYPE_SELECT: Final = "deploy_type_select"
ENVIRONMENT_BLOCK: Final = "environment_block"
ENVIRONMENT_SELECT: Final = "environment_select"
SHA_BLOCK: Final = "sha_block"
SHA_INPUT: Final = "sha_input"
URL_BLOCK: Final = "url_block"
URL_INPUT: Final = "url_input"
EVENT_TYPE_BLOCK: Final = "event_type_block"
EVENT_TYPE_SELECT: Final = "event_type_select"
DESCRIPTION_BLOCK: Final = "description_block"
DESCRIPTION_INPUT: Final = "description_input"
WHEN_BLOCK: Final = "when_block"
WHEN_PICKER: Final = "when_picker"

# Shortcuts and the lookup modal
LOOKUP_SHORTCUT: Final = "lookup_service"
RECORD_EVENT_SHORTCUT: Final = "record_as_cortex_event"
LOOKUP_VIEW: Final = "lookup_view"
OPEN_LOOKUP: Final = "open_lookup"

# Cortex → Rootly sync
SYNC_APPLY: Final = "sync_apply"
SYNC_DRY_RUN: Final = "sync_dry_run"
SYNC_FIELDS_VIEW: Final = "sync_fields_view"
SYNC_FIELDS_BLOCK: Final = "sync_fields_block"
SYNC_FIELDS: Final = "sync_fields"

# Incident context
INCIDENT_SHORTCUT: Final = "incident_context"
INCIDENT_MESSAGE_SHORTCUT: Final = "incident_context_message"
INCIDENT_VIEW: Final = "incident_view"
INCIDENT_SERVICES_BLOCK: Final = "incident_services_block"
INCIDENT_SERVICES: Final = "incident_services"
INCIDENT_BLOCK: Final = "incident_block"
INCIDENT_SELECT: Final = "incident_select"
INCIDENT_ACTIONS_BLOCK: Final = "incident_actions_block"
INCIDENT_ACTIONS: Final = "incident_actions"
ATTACH_TO_INCIDENT: Final = "attach"
RECORD_INCIDENT_EVENTS: Final = "record_events"
POST_INCIDENT_SUMMARY: Final = "post_summary"

# Scorecards
SHOW_SCORES: Final = "show_scores"
SHOW_SCORECARD: Final = "show_scorecard"
OPEN_SCORECARD: Final = "open_scorecard"

# Digests
DIGEST_DELETE: Final = "digest_delete"
# A loading modal whose work failed (it only says why)
ERROR_VIEW: Final = "error_view"
