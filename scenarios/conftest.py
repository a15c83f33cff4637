"""Every scenario suite under scenarios/ runs with Shoal's pytest plugin."""

import os
import sys

# Let `pytest scenarios/...` work from the repository root without PYTHONPATH.
_PYTHON_DIR = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "python")
if _PYTHON_DIR not in sys.path:
    sys.path.insert(0, _PYTHON_DIR)

pytest_plugins = ["shoal.pytest_plugin"]
