"""The service itself: the kit's KitService (an `opentera` ServiceOpenTera that survives TeraServer restarts,
see service_kit.service) with what this service adds:
- answers the `session_type_config` RPC with its configuration form;
- subscribes to TeraServer's participant database events, to drop the notes of deleted participants;
- keeps its notes database at hand for the API resources (`current_service().notes`).
"""

from __future__ import annotations

import json
import logging
from collections.abc import Generator
from typing import Any

import opentera.messages.python as messages
from opentera.forms.TeraForm import TeraForm, TeraFormItem, TeraFormSection
from service_kit.service import KitService
from twisted.internet import defer

from db import NotesDatabase

log = logging.getLogger("sample")

# Topic of TeraServer's participant database events.
PARTICIPANT_EVENTS_TOPIC = "module.TeraServer.DatabaseModule.events.participant"


class Service(KitService):
    def __init__(self, config: Any, service_info: dict[str, Any], notes: NotesDatabase) -> None:
        self.notes = notes
        super().__init__(config, service_info)

    # --- Redis pub/sub and RPC ---------------------------------------------------------------------------
    def redisConnectionMade(self) -> None:  # the package's callback name
        super().redisConnectionMade()
        log.info("subscribed to %s", PARTICIPANT_EVENTS_TOPIC)

    @defer.inlineCallbacks
    def register_to_events(self) -> Generator[defer.Deferred, Any, None]:
        # The base class declares this as a plain generator, so its body never runs: subscribe here.
        yield self.subscribe_pattern_with_callback(PARTICIPANT_EVENTS_TOPIC, self.participant_event_received)

    def participant_event_received(self, pattern: str, channel: str, message: bytes) -> None:
        tera_event = messages.TeraEvent()
        tera_event.ParseFromString(message)
        for packed in tera_event.events:
            database_event = messages.DatabaseEvent()
            if not packed.Unpack(database_event):
                continue
            participant = json.loads(database_event.object_value or "{}")
            removed = database_event.type == messages.DatabaseEvent.DB_DELETE or (
                database_event.type == messages.DatabaseEvent.DB_UPDATE and participant.get("deleted_at")
            )
            participant_uuid = participant.get("participant_uuid")
            if removed and participant_uuid:
                count = self.notes.delete_notes_of_participant(participant_uuid)
                self.logger.log_info(self.service_key, "participant deleted, notes removed", participant_uuid, count)

    def get_session_type_config_form(self, id_session_type: Any) -> dict[str, Any]:
        """RPC `session_type_config`: the form TeraServer shows to configure a session type of this service.

        TeraServer sends the argument as JSON text '{"id_session_type": N}' (the package declares an int).
        """
        form = TeraForm("session_type_config")
        section = TeraFormSection("notes", "Notes")
        section.add_item(TeraFormItem("notes_enabled", "Allow notes on the session's participants", "boolean"))
        section.add_item(TeraFormItem("notes_max_length", "Maximum note length", "numeric", item_default=2000))
        form.add_section(section)
        self.logger.log_info(self.service_key, "session_type_config requested", str(id_session_type))
        return form.to_dict()
