"""RPC message encoding and the responder's replies, without Redis (a recording stand-in)."""

from __future__ import annotations

import json
from typing import Any

from opentera.messages.python.RPCMessage_pb2 import RPCMessage

from teraserver import rpc, rpc_server


class RecordingClient:
    def __init__(self) -> None:
        self.published: list[tuple[str, Any]] = []

    def publish(self, channel: str, data: Any) -> int:
        self.published.append((channel, data))
        return 1


def test_arguments_map_to_upstreams_value_fields() -> None:
    message = rpc.build_request("m", "RedisRPCClient.x", (True, 1.5, 7, "text", b"raw", object()))
    kinds = [value.WhichOneof("arg_value") for value in message.args]
    # bool before int (bool is an int subclass); unsupported types are dropped, as upstream does.
    assert kinds == ["bool_value", "double_value", "int_value", "string_value", "bytes_value"]
    decoded, args = rpc.decode_request(message.SerializeToString())
    assert decoded.method == "m" and decoded.reply_to == "RedisRPCClient.x"
    assert args == [True, 1.5, 7, "text", b"raw"]


def test_request_ids_differ() -> None:
    first = rpc.build_request("m", "r", ())
    second = rpc.build_request("m", "r", ())
    assert first.id != second.id


def test_known_methods_get_upstreams_reply() -> None:
    client = RecordingClient()
    request = rpc.build_request("status_users", "RedisRPCClient.abc", ())
    assert rpc_server.answer(client, request.SerializeToString(), "topic", {"status_users": dict})
    [(channel, payload)] = client.published
    assert channel == "RedisRPCClient.abc"
    assert json.loads(payload) == {
        "method": "status_users",
        "id": request.id,
        "pattern": "topic",
        "status": "OK",
        "return_value": {},
    }


def test_unknown_methods_and_garbage_get_no_reply() -> None:
    client = RecordingClient()
    unknown = rpc.build_request("no_such_method", "RedisRPCClient.abc", ())
    methods = {"status_users": dict}
    assert not rpc_server.answer(client, unknown.SerializeToString(), "t", methods)
    assert not rpc_server.answer(client, b"\xff\xff not protobuf", "t", methods)
    assert client.published == []


def test_failing_handler_replies_error() -> None:
    client = RecordingClient()

    def boom() -> None:
        raise RuntimeError("broken")

    request = RPCMessage(method="boom", reply_to="r", id=3)
    assert rpc_server.answer(client, request.SerializeToString(), "t", {"boom": boom})
    reply = json.loads(client.published[0][1])
    assert reply["status"] == "Error" and reply["return_value"] is None
