"""Every action, callback and block ID the app sends to Slack and listens for."""

from __future__ import annotations

from typing import Final

COMMAND: Final = "/cortex"

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
