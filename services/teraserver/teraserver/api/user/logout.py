"""GET /api/user/logout: revoke the token used for the call and end the login session (cookies), as upstream."""

from __future__ import annotations

import logging

from flask import g

from teraserver import auth, context, tokens
from teraserver.api.resources import UserResource
from teraserver.api.user.namespace import ns

log = logging.getLogger("teraserver.api.logout")


class UserLogout(UserResource):
    @ns.doc(description="Logout from the server; the token used for this call is disabled")
    def get(self) -> tuple[str, int]:
        """Logout; with token authentication the token is added to user_disabled_tokens."""
        if g.current_user_token:
            tokens.disable_user_token(context.redis_client(), g.current_user_token)
        auth.end_session()
        log.info("user logged out", extra={"user_uuid": g.current_user.user_uuid})
        return "User logged out.", 200
