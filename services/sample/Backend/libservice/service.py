"""The service itself: an `opentera` ServiceOpenTera, as upstream's example service.

At construction the package reads the token keys from Redis, mints this service's token and sets up the
ServiceAccessManager; once the asynchronous Redis connection is up it subscribes to the service's message
and RPC topics (`service.<key>.messages|rpc`, `service.<uuid>.messages|rpc`). On top of that this service:
- answers the `session_type_config` RPC with its configuration form;
- subscribes to TeraServer's participant database events, to drop the notes of deleted participants;
- notices when TeraServer restarted (its token keys rotate) and re-reads the keys and re-mints its token,
  so it keeps working without being restarted (upstream services must be restarted instead);
- logs through the package's LoggingClient (Redis lists `log.<level>`, drained by a LoggingService).
"""

from __future__ import annotations

import json
import logging
import threading
from collections.abc import Generator
from typing import Any

import opentera.messages.python as messages
import redis
import requests
from opentera.forms.TeraForm import TeraForm, TeraFormItem, TeraFormSection
from opentera.services.ServiceAccessManager import ServiceAccessManager
from opentera.services.ServiceOpenTera import ServiceOpenTera
from twisted.internet import defer

from libservice.config import SampleConfig
from libservice.db import NotesDatabase
from libservice.registry import read_service_info, token_keys_fingerprint

log = logging.getLogger("sample")

# Topic of TeraServer's participant database events.
PARTICIPANT_EVENTS_TOPIC = "module.TeraServer.DatabaseModule.events.participant"


class SampleService(ServiceOpenTera):
    def __init__(self, config: SampleConfig, service_info: dict[str, Any], notes: NotesDatabase) -> None:
        self.notes = notes
        self._keys_lock = threading.Lock()
        super().__init__(config, service_info)
        self._token_keys = token_keys_fingerprint(self.redis)
        self.logger.log_info(self.service_key, "started", self.service_uuid)

    @property
    def service_key(self) -> str:
        return self.service_info["service_key"]

    # --- Redis pub/sub and RPC ---------------------------------------------------------------------------
    def redisConnectionMade(self) -> None:  # the package's callback name
        super().redisConnectionMade()
        log.info("Redis subscriptions ready: service.%s.messages/rpc, %s", self.service_key, PARTICIPANT_EVENTS_TOPIC)

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

    def notify_service_messages(self, pattern: str, channel: str, message: bytes) -> None:
        # Nothing is addressed to this sample yet; log what arrives so the mechanism is visible.
        self.logger.log_info(self.service_key, "message received", channel, len(message))
        log.info("message received on %s (%d bytes)", channel, len(message))

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

    # --- TeraServer restarts -----------------------------------------------------------------------------
    def refresh_if_keys_rotated(self) -> bool:
        """Re-read the token keys and this service's registration if TeraServer rotated them; True if it did.

        Called periodically and whenever a token fails to verify or TeraServer refuses our token.
        """
        with self._keys_lock:
            current = token_keys_fingerprint(self.redis)
            if current == self._token_keys or None in current:
                return False
            info = read_service_info(self.redis, self.service_key)
            if info is not None:
                self.service_info = info
                self.service_uuid = info["service_uuid"]
                self.config["ServiceUUID"] = info["service_uuid"]
            self.service_token = self.service_generate_token()
            ServiceAccessManager.init_access_manager(service=self)
            self._token_keys = current
        self.logger.log_warning(self.service_key, "TeraServer token keys rotated: keys re-read, token re-minted")
        log.warning("TeraServer token keys rotated: keys re-read and service token re-minted")
        return True

    def check_keys_periodically(self) -> None:
        """The periodic backstop (Twisted LoopingCall): an error must not stop the loop."""
        try:
            self.refresh_if_keys_rotated()
        except redis.RedisError as error:
            log.warning("cannot check TeraServer's token keys: %s", error)

    # --- calls to TeraServer with the service token ------------------------------------------------------
    def get_as_service(self, api_url: str, params: dict[str, Any]) -> requests.Response:
        """GET on TeraServer with the service token, once more with a fresh token if TeraServer restarted."""
        response = self.get_from_opentera(api_url, params)
        if response.status_code == 401 and self.refresh_if_keys_rotated():
            response = self.get_from_opentera(api_url, params)
        return response
