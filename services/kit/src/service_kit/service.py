"""KitService: an `opentera` ServiceOpenTera, as upstream's example service, that survives TeraServer restarts.

At construction the package reads the token keys from Redis, mints this service's token and sets up the
ServiceAccessManager; once the asynchronous Redis connection is up it subscribes to the service's message
and RPC topics (`service.<key>.messages|rpc`, `service.<uuid>.messages|rpc`). On top of that the kit:
- notices when TeraServer restarted (its token keys rotate), re-reads the keys and this service's registration
  and re-mints its token, so the service keeps working without being restarted (upstream services must be);
- calls TeraServer with the service token once more after such a rotation (`get_as_service`);
- logs through the package's LoggingClient (Redis lists `log.<level>`) and to stdout.

A service subclasses it for its own behaviour: RPC answers (`get_session_type_config_form`), event subscriptions
(`register_to_events`, decorated with `defer.inlineCallbacks`), messages (`notify_service_messages`).
"""

from __future__ import annotations

import logging
import threading
from typing import Any

import redis
import requests
from opentera.services.ServiceAccessManager import ServiceAccessManager
from opentera.services.ServiceOpenTera import ServiceOpenTera

from service_kit.registry import RegistrationMissing, read_service_info, token_keys_fingerprint

log = logging.getLogger("service_kit")


class KitService(ServiceOpenTera):
    def __init__(self, config: Any, service_info: dict[str, Any]) -> None:
        self._keys_lock = threading.Lock()
        super().__init__(config, service_info)
        self._token_keys = token_keys_fingerprint(self.redis)
        self.logger.log_info(self.service_key, "started", self.service_uuid)

    @property
    def service_key(self) -> str:
        return self.service_info["service_key"]

    # --- Redis pub/sub -----------------------------------------------------------------------------------
    def redisConnectionMade(self) -> None:  # the package's callback name
        super().redisConnectionMade()
        log.info("Redis subscriptions ready: service.%s.messages/rpc", self.service_key)

    def notify_service_messages(self, pattern: str, channel: str, message: bytes) -> None:
        # Override to act on messages addressed to the service; logged here so the mechanism is visible.
        self.logger.log_info(self.service_key, "message received", channel, len(message))
        log.info("message received on %s (%d bytes)", channel, len(message))

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
        except (redis.RedisError, RegistrationMissing) as error:
            log.warning("cannot check TeraServer's token keys: %s", error)

    # --- calls to TeraServer with the service token ------------------------------------------------------
    def get_as_service(self, api_url: str, params: dict[str, Any]) -> requests.Response:
        """GET on TeraServer with the service token, once more with a fresh token if TeraServer restarted."""
        response = self.get_from_opentera(api_url, params)
        if response.status_code == 401 and self.refresh_if_keys_rotated():
            response = self.get_from_opentera(api_url, params)
        return response
