"""Test-session set-up shared by every test folder.

Airflow reads its configuration from ``AIRFLOW_HOME`` when it is first imported. Point the test
process at an empty temporary directory before that happens, so that a developer's ``airflow.cfg``
(or the repository's ``.airflow-home``) cannot change what the tests see. System tests start
their Airflow components with an environment of their own (``tests/system/airflow_stack.py``).
"""

from __future__ import annotations

import atexit
import os
import shutil
import tempfile

_home = tempfile.mkdtemp(prefix="hitl-tests-airflow-home-")
os.environ["AIRFLOW_HOME"] = _home
atexit.register(shutil.rmtree, _home, ignore_errors=True)
