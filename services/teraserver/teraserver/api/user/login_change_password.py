"""POST /api/user/login/change_password: the forced password change of a login in progress.

Upstream's behaviour, as we implement it:

* The user comes from the login session (auth.user_session_required), which a Basic password check on
  /api/user/login opened; without one: 401. GET is not a method here (405).
* Form or JSON fields `new_password` and `confirm_password`, both required (400 from the parser otherwise, and
  unknown fields are refused: strict parsing). A service login code kept in the session must still be valid
  (403 otherwise).
* 400 "New password and confirm password do not match"; 400 "User not required to change password" when the
  user's `user_force_password_change` flag is not set; the package's password rules (TeraUser.update): 400 with
  the weaknesses, one message each, joined by `<br>` (the page shows them as HTML), or 400 "New password same as
  old password". Success: the new password is stored, the flag cleared, 200 "Password changed". (Our addition: an
  empty new password is refused with the weaknesses too; upstream's update would clear the flag and keep the old
  password.)
* The login session stays open on success (the page sends the browser back to /login to log in with the new
  password); it is ended when the request fails unexpectedly. No login event is sent (upstream sends none).
"""

from __future__ import annotations

from typing import Any

from flask import g
from flask_restx import reqparse
from opentera.db.models.TeraUser import TeraUser, UserNewPasswordSameAsOld, UserPasswordInsecure

from teraserver import auth
from teraserver.api.common import ClientError, database_write
from teraserver.api.resources import UserResource
from teraserver.api.user.login import LoginRefused, check_auth_code
from teraserver.api.user.namespace import ns

WEAKNESS_MESSAGES = {
    UserPasswordInsecure.PasswordWeaknesses.NO_SPECIAL: "Password missing special character",
    UserPasswordInsecure.PasswordWeaknesses.NO_NUMERIC: "Password missing numeric character",
    UserPasswordInsecure.PasswordWeaknesses.BAD_LENGTH: "Password not long enough (10 characters)",
    UserPasswordInsecure.PasswordWeaknesses.NO_LOWER_CASE: "Password missing lower case letter",
    UserPasswordInsecure.PasswordWeaknesses.NO_UPPER_CASE: "Password missing upper case letter",
}
# Upstream lists the weaknesses in this order, whatever order the package found them in.
WEAKNESS_ORDER = list(WEAKNESS_MESSAGES)

post_parser = reqparse.RequestParser()
post_parser.add_argument("new_password", type=str, required=True, help="New password for the user")
post_parser.add_argument("confirm_password", type=str, required=True, help="Password confirmation for the user")


def weaknesses_text(weaknesses: list[Any], separator: str = "<br>") -> str:
    return separator.join(WEAKNESS_MESSAGES[weakness] for weakness in WEAKNESS_ORDER if weakness in weaknesses)


class UserLoginChangePassword(UserResource):
    method_decorators = [auth.user_session_required]

    @ns.doc(
        description="Change password for the user. This API will only work if forced change is required on login. "
        "Otherwise, use the standard 'api/user' endpoint.",
        responses={
            200: "Password changed",
            400: "Missing or mismatched passwords, change not required, or password refused",
            401: "No login session",
            403: "Invalid service login code",
        },
    )
    @ns.expect(post_parser)
    def post(self) -> Any:
        """Change password for a user on login (forced change)."""
        try:
            args = post_parser.parse_args(strict=True)
            check_auth_code()
        except LoginRefused as exc:
            auth.end_session()
            return exc.answer()
        except Exception:
            auth.end_session()
            raise

        new_password, confirm_password = args["new_password"] or "", args["confirm_password"] or ""
        if new_password != confirm_password:
            raise ClientError("New password and confirm password do not match")
        user = g.current_user
        if not user.user_force_password_change:
            raise ClientError("User not required to change password")
        if new_password == "":
            # The package's update() would keep the old password and still clear the flag: refused here.
            raise ClientError(weaknesses_text(TeraUser.validate_password_strength("")))
        try:
            with database_write("password"):
                TeraUser.update(user.id_user, {"user_password": new_password, "user_force_password_change": False})
        except UserPasswordInsecure as exc:
            TeraUser.db().session.rollback()
            raise ClientError(weaknesses_text(exc.weaknesses)) from None
        except UserNewPasswordSameAsOld:
            TeraUser.db().session.rollback()
            raise ClientError("New password same as old password") from None
        except ClientError:
            raise
        except Exception:
            auth.end_session()
            raise
        return "Password changed", 200
