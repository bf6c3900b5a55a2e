"""Unit tests of the HITL provider: operators and trigger, no Airflow services, no database.

Airflow reads its configuration from ``AIRFLOW_HOME`` when it is first imported. Point it at an
empty temporary directory before that happens, so that a developer's ``airflow.cfg`` (or the
repository's ``.airflow-home``) cannot change what these tests see.
"""

from __future__ import annotations

import atexit
import os
import shutil
import sys
import tempfile

_MARKER = "HITL_UNIT_TESTS_AIRFLOW_HOME"  # set by whichever of the two test folders' conftests runs first

if "airflow" not in sys.modules and _MARKER not in os.environ:
    _home = tempfile.mkdtemp(prefix="hitl-unit-airflow-home-")
    os.environ[_MARKER] = os.environ["AIRFLOW_HOME"] = _home
    atexit.register(shutil.rmtree, _home, ignore_errors=True)
