"""Where the repository's reports/ folder is, found from this package's location."""

import os
import re

PACKAGE_DIR = os.path.dirname(os.path.abspath(__file__))
REPO_ROOT = os.path.dirname(os.path.dirname(PACKAGE_DIR))  # python/shoal -> repo
REPORTS_DIR = os.path.join(REPO_ROOT, "reports")
SCENARIOS_DIR = os.path.join(REPO_ROOT, "scenarios")


def sanitise(name):
    """A file-name-safe form of a test id or scenario name."""
    return re.sub(r"[^A-Za-z0-9._-]+", "_", name).strip("_") or "unnamed"
