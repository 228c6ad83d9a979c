"""Licence-approval service for health authorities."""

import os

# Piccolo finds its engine through this module, wherever the process starts.
os.environ.setdefault("PICCOLO_CONF", "approvals.piccolo_conf")
