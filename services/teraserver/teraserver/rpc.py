"""Redis RPC as upstream's RedisRPCClient / BaseModule speak it, for callers and callees.

Caller: SUBSCRIBE a private `RedisRPCClient.<uuid4>` channel, PUBLISH an RPCMessage whose reply_to names it,
wait for one JSON reply. Used by /api/user/sessions/manager, /api/user/forms and /api/service/sessions/manager:

    reply = rpc.call_service(redis_client, "VideoRehabService", "session_manage", json.dumps(body), timeout=10)
    if reply is rpc.NO_REPLY: ...           # nobody answered in time
    reply.return_value                      # what the callee returned

Callee helpers (`decode_request`, `reply_payload`) are shared with teraserver.rpc_server.
"""

from __future__ import annotations

import itertools
import json
import time
import uuid
from dataclasses import dataclass
from typing import Any

import redis
from opentera.messages.python.RPCMessage_pb2 import RPCMessage, Value

SERVICE_RPC_TOPIC = "service.{key}.rpc"
MODULE_RPC_TOPIC = "module.{module}.rpc"
REPLY_CHANNEL_PREFIX = "RedisRPCClient."
DEFAULT_TIMEOUT = 10.0  # seconds, upstream's RedisRPCClient default

# Upstream numbers requests per client object from 0; ids only need to be distinct per reply channel, and
# ours are unique per call, so one process-wide counter is enough.
_message_ids = itertools.count()


@dataclass(frozen=True)
class RpcReply:
    """The callee's JSON answer: {"method", "id", "pattern", "status", "return_value"}."""

    status: str
    return_value: Any
    raw: dict[str, Any]


class _NoReply:
    def __repr__(self) -> str:
        return "NO_REPLY"


NO_REPLY = _NoReply()


def to_value(arg: Any) -> Value | None:
    """Python value -> RPC Value, with upstream's mapping; other types are dropped (None)."""
    value = Value()
    if isinstance(arg, bool):  # before int: bool is an int subclass
        value.bool_value = arg
    elif isinstance(arg, float):
        value.double_value = arg
    elif isinstance(arg, int):
        value.int_value = arg
    elif isinstance(arg, str):
        value.string_value = arg
    elif isinstance(arg, bytes):
        value.bytes_value = arg
    else:
        return None
    return value


def from_value(value: Value) -> Any:
    field = value.WhichOneof("arg_value")
    return getattr(value, field) if field else None


def build_request(method: str, reply_to: str, args: tuple[Any, ...]) -> RPCMessage:
    message = RPCMessage()
    message.method = method
    message.reply_to = reply_to
    message.id = next(_message_ids)
    message.timestamp = time.time()
    message.args.extend(v for v in (to_value(a) for a in args) if v is not None)
    return message


def decode_request(payload: bytes) -> tuple[RPCMessage, list[Any]]:
    message = RPCMessage()
    message.ParseFromString(payload)
    return message, [from_value(v) for v in message.args]


def reply_payload(message: RPCMessage, pattern: str, status: str, return_value: Any) -> str:
    return json.dumps(
        {
            "method": message.method,
            "id": message.id,
            "pattern": pattern,
            "status": status,
            "return_value": return_value,
        }
    )


def call(client: redis.Redis, topic: str, method: str, *args: Any, timeout: float = DEFAULT_TIMEOUT) -> Any:
    """Publish one RPC request on `topic` and wait up to `timeout` s: an RpcReply, or NO_REPLY."""
    reply_to = REPLY_CHANNEL_PREFIX + str(uuid.uuid4())
    request = build_request(method, reply_to, args)
    deadline = time.monotonic() + timeout
    pubsub = client.pubsub()
    try:
        pubsub.subscribe(reply_to)
        # Publish only once the server confirmed the subscription, so a fast callee cannot reply too early.
        if _next_message(pubsub, "subscribe", deadline) is None:
            return NO_REPLY
        client.publish(topic, request.SerializeToString())
        while (message := _next_message(pubsub, "message", deadline)) is not None:
            try:
                body = json.loads(message["data"])
            except (TypeError, ValueError):
                continue  # not an RPC reply: keep waiting for the real one
            if isinstance(body, dict) and body.get("id", request.id) == request.id:
                return RpcReply(status=str(body.get("status")), return_value=body.get("return_value"), raw=body)
        return NO_REPLY
    finally:
        pubsub.close()


def _next_message(pubsub: Any, kind: str, deadline: float) -> dict[str, Any] | None:
    """The next pub/sub message of type `kind` before `deadline`, or None."""
    while (remaining := deadline - time.monotonic()) > 0:
        message = pubsub.get_message(timeout=remaining)
        if message is not None and message.get("type") == kind:
            return message
    return None


def call_service(
    client: redis.Redis, service_key: str, method: str, *args: Any, timeout: float = DEFAULT_TIMEOUT
) -> Any:
    """RPC to a service on `service.<service_key>.rpc` (what ServiceOpenTera subscribes to)."""
    return call(client, SERVICE_RPC_TOPIC.format(key=service_key), method, *args, timeout=timeout)


def call_module(client: redis.Redis, module: str, method: str, *args: Any, timeout: float = DEFAULT_TIMEOUT) -> Any:
    """RPC to a TeraServer module, e.g. module "TeraServer.UserManagerModule"."""
    return call(client, MODULE_RPC_TOPIC.format(module=module), method, *args, timeout=timeout)
