"""/api/notes: notes about a participant, stored in this service's own database.

Every call re-checks through TeraServer that this service may access the participant and that the user
can see its project; deleting needs the note's author or this service's `admin` role.
"""

from __future__ import annotations

from typing import Any

from flask import request
from flask_restx import Namespace, Resource, reqparse
from opentera.services.ServiceAccessManager import current_user_client
from service_kit import access
from service_kit.auth import current_service_roles, user_required
from service_kit.web import answers_access_errors, current_service

MAX_NOTE_LENGTH = 2000

ns = Namespace("notes", path="/notes", description="Notes about participants")

get_parser = reqparse.RequestParser()
get_parser.add_argument("participant_uuid", type=str, required=True, location="args", help="Participant uuid")

delete_parser = reqparse.RequestParser()
delete_parser.add_argument("id_note", type=int, required=True, location="args", help="Note id")

note_schema = ns.schema_model(
    "note_post",
    {
        "type": "object",
        "properties": {
            "note": {
                "type": "object",
                "properties": {
                    "participant_uuid": {"type": "string"},
                    "note_text": {"type": "string", "maxLength": MAX_NOTE_LENGTH},
                },
                "required": ["participant_uuid", "note_text"],
            }
        },
        "required": ["note"],
    },
)


def posted_note(body: Any) -> tuple[str, str] | str:
    """(participant_uuid, text) from the body, or the reason it is unusable."""
    note = body.get("note") if isinstance(body, dict) else None
    if not isinstance(note, dict):
        return 'body must be {"note": {"participant_uuid": ..., "note_text": ...}}'
    participant_uuid, text = note.get("participant_uuid"), note.get("note_text")
    if not isinstance(participant_uuid, str) or not participant_uuid:
        return "note.participant_uuid is missing"
    if not isinstance(text, str) or not text.strip():
        return "note.note_text is missing or empty"
    if len(text) > MAX_NOTE_LENGTH:
        return f"note.note_text is longer than {MAX_NOTE_LENGTH} characters"
    return participant_uuid, text.strip()


@ns.route("")
class Notes(Resource):
    @ns.doc(responses={200: "Notes of the participant", 401: "No token", 403: "No access", 404: "Unknown"})
    @ns.expect(get_parser)
    @user_required()
    @answers_access_errors
    def get(self) -> list:
        args = get_parser.parse_args()
        service = current_service()
        access.participant(service, current_user_client, args["participant_uuid"])
        return service.notes.notes_for_participant(args["participant_uuid"])

    @ns.doc(responses={200: "The created note", 400: "Bad body", 401: "No token", 403: "No access"})
    @ns.expect(note_schema)
    @user_required()
    @answers_access_errors
    def post(self) -> Any:
        parsed = posted_note(request.get_json(silent=True))
        if isinstance(parsed, str):
            return {"message": parsed}, 400
        participant_uuid, text = parsed
        service = current_service()
        participant = access.participant(service, current_user_client, participant_uuid)
        note = service.notes.add_note(
            participant_uuid,
            participant["id_project"],
            text,
            current_user_client.user_uuid,
            current_user_client.user_fullname,
        )
        service.logger.log_info(service.service_key, "note created", note["id_note"], participant_uuid)
        return note

    @ns.doc(responses={200: "Deleted", 401: "No token", 403: "Not yours and not admin", 404: "Unknown note"})
    @ns.expect(delete_parser)
    @user_required()
    @answers_access_errors
    def delete(self) -> Any:
        args = delete_parser.parse_args()
        service = current_service()
        note = service.notes.get_note(args["id_note"])
        if note is None:
            return {"message": f"unknown note {args['id_note']}"}, 404
        access.participant(service, current_user_client, note["participant_uuid"])
        is_author = note["note_author_uuid"] == current_user_client.user_uuid
        if not is_author and "admin" not in current_service_roles(service.service_key):
            return {"message": "only the note's author or an admin of this service may delete it"}, 403
        service.notes.delete_note(args["id_note"])
        service.logger.log_info(service.service_key, "note deleted", args["id_note"])
        return "", 200
