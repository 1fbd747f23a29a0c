"""Kept for existing imports: the access rules live in teraserver.user_access."""

from teraserver.user_access import UserAccess

__all__ = ["UserAccess"]
