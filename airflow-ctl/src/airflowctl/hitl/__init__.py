"""``airflowctl-hitl``: list, inspect and answer human-in-the-loop requests from a terminal.

A companion command for ``airflowctl`` users (airflowctl 0.1 cannot take new command groups): it
uses the login ``airflowctl auth login`` stored and talks to the HITL REST API.
"""

from __future__ import annotations

__version__ = "0.1.0"
