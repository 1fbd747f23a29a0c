"""/api/user/users/preferences: per-application preferences of a user (upstream's UserQueryUserPreferences rules).

In our words:

* GET: the caller's own preferences, or those of id_user when the caller sees that user (403 "Forbidden"
  otherwise); app_tag keeps the one preference of that application. A list.
* POST {"user_preference": {[id_user], user_preference_app_tag, [user_preference_preference]}}: id_user
  defaults to the caller, who must administer that user (oneself always; 403 "Forbidden"); the app tag is
  required (400 "Missing app tag"). One preference per (user, app tag): it is created or replaced, and deleted
  when the preference is missing, null or "". The preference is a JSON text (an object is stored as its JSON);
  anything else is a 400. Answers the stored preference, or null when it was deleted.
"""

from __future__ import annotations

import json
from typing import Any

from flask import g
from flask_restx import reqparse
from opentera.db.models.TeraUser import TeraUser
from opentera.db.models.TeraUserPreference import TeraUserPreference

from teraserver.api.common import ClientError, database_write, forbidden, json_dict, require_int
from teraserver.api.resources import UserResource
from teraserver.api.user.namespace import ns
from teraserver.user_access import UserAccess

get_parser = reqparse.RequestParser()
get_parser.add_argument("id_user", type=int, location="args", help="Preferences of that user (default: oneself)")
get_parser.add_argument("app_tag", type=str, location="args", help="Preference of that application only")


def _checked_preference(value: Any) -> Any:
    """What the model accepts: a JSON text or an object; empty or null means delete."""
    if value is None or value == "":
        return value
    if isinstance(value, dict):
        return value
    if not isinstance(value, str):
        raise ClientError("Invalid user_preference_preference: expected a JSON text or an object")
    try:
        json.loads(value)
    except ValueError as exc:
        raise ClientError(f"Invalid user_preference_preference: not JSON ({exc})") from exc
    return value


class UserQueryUserPreferences(UserResource):
    @ns.doc(
        description="Preferences of the caller or of a visible user (id_user), optionally of one app (app_tag).",
        responses={200: "Success - a list", 400: "Unknown parameter", 403: "User not visible"},
    )
    @ns.expect(get_parser)
    def get(self) -> Any:
        """Get user preferences."""
        args = get_parser.parse_args(strict=True)
        id_user = args["id_user"]
        if not id_user:
            id_user = g.current_user.id_user
        elif id_user not in UserAccess(g.current_user).accessible_users_ids():
            raise forbidden()
        if args["app_tag"]:
            preferences = [TeraUserPreference.get_user_preferences_for_user_and_app(id_user, args["app_tag"])]
        else:
            preferences = TeraUserPreference.get_user_preferences_for_user(id_user)
        return [preference.to_json() for preference in preferences if preference is not None]

    @ns.doc(
        description='Create, replace or delete (empty preference) the preference of an app: {"user_preference": '
        "{[id_user], user_preference_app_tag, user_preference_preference}}",
        responses={200: "Success - the preference, or null once deleted", 400: "Bad body", 403: "Forbidden"},
    )
    def post(self) -> Any:
        """Create / update / delete a user preference."""
        data = dict(json_dict("user_preference"))
        id_user = require_int(data, "id_user") if "id_user" in data else g.current_user.id_user
        if "user_preference_app_tag" not in data:
            raise ClientError("Missing app tag")
        app_tag = data["user_preference_app_tag"]
        if not isinstance(app_tag, str) or not app_tag:
            raise ClientError("Invalid user_preference_app_tag: expected a non-empty string")
        preference = _checked_preference(data.get("user_preference_preference"))
        if id_user not in UserAccess(g.current_user).accessible_users_ids(admin_only=True):
            raise forbidden()
        if TeraUser.get_user_by_id(id_user) is None:
            raise ClientError(f"Invalid id_user: {id_user}")
        existing = TeraUserPreference.get_user_preferences_for_user_and_app(user_id=id_user, app_tag=app_tag)
        if existing is None and preference in (None, ""):
            # Upstream tries to store an empty preference and fails with a 500.
            raise ClientError("Missing user_preference_preference: no preference of that app to delete")
        with database_write("user preference", message="Cannot save that user preference"):
            TeraUserPreference.insert_or_update_or_delete_user_preference(
                user_id=id_user, app_tag=app_tag, prefs=preference
            )
        stored = TeraUserPreference.get_user_preferences_for_user_and_app(user_id=id_user, app_tag=app_tag)
        return stored.to_json() if stored is not None else None
