"""Entry point for the ``piccolo`` CLI run from the repository root; see approvals/piccolo_conf.py."""

from approvals.piccolo_conf import APP_REGISTRY, DB

__all__ = ["APP_REGISTRY", "DB"]
