"""``python -m airflowctl.hitl`` runs the ``airflowctl-hitl`` command."""

from __future__ import annotations

import sys

from airflowctl.hitl.cli import main

sys.exit(main())
