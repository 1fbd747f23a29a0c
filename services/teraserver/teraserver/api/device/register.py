"""/api/device/register: a device registers itself with the server's registration key (no authentication).

Upstream's behaviour, kept here:

* The `key` argument must equal the `DeviceRegisterKey` server setting (t_server_settings), else 401
  "Invalid registration key". `name` and `type_key` are required, `subtype_name` and `onlineable` optional;
  arguments come from the query string, a form or a JSON body, and unknown ones are refused (400).
* The device type with that key is used, or created (its name = its key); likewise the subtype of that name
  within the type, when one is named. The new device is **disabled**: an administrator must enable it and put
  it in a site/project before it can log in (its token answers 401 "Disabled device" until then).
* GET (token registration) answers the device's minimal JSON without `id_device`, `id_device_type` and
  `id_device_subtype`, plus its static `device_token`.
* POST (certificate registration) takes a PEM certificate signing request as the raw body, with
  `Content-Type: application/octet-stream` exactly (else 400 "Invalid content type"); a CSR whose signature
  does not verify is 400 "Invalid CSR signature". The answer adds `device_certificate` (the signed certificate,
  subject CN "Device" and UID = the device uuid) and `ca_info` (the CA certificate, PEM).
* Rate limit: one request per second per client address and method; more answers 429
  `{"message": "Rate Limited"}`.

Differences: upstream signs with the CA files of its configuration; this server has none, so a CA is made on
first use and kept in Redis (`CA_REDIS_KEY`), shared by all workers and restarts. A body that is not a PEM CSR
is 400 "Invalid CSR" (upstream: 500). The rate limit is counted in Redis, for all workers together (upstream:
in each process's memory).
"""

from __future__ import annotations

import json
import logging
import threading
import uuid
from typing import Any

from cryptography import x509
from cryptography.hazmat.primitives import serialization
from flask import request
from flask_restx import abort, inputs, reqparse
from opentera.crypto.crypto_utils import generate_ca_certificate, generate_device_certificate
from opentera.db.models.TeraDevice import TeraDevice
from opentera.db.models.TeraDeviceSubType import TeraDeviceSubType
from opentera.db.models.TeraDeviceType import TeraDeviceType
from opentera.db.models.TeraServerSettings import TeraServerSettings

from teraserver import context
from teraserver.api.common import ClientError
from teraserver.api.device.namespace import ns
from teraserver.api.resources import PublicResource

log = logging.getLogger("teraserver.api.device.register")

CA_REDIS_KEY = "teraserver.device_registration_ca"  # ours, not an upstream Redis name
RATE_LIMIT_KEY = "teraserver.device_register_rate.{method}.{address}"
RATE_LIMIT_SECONDS = 1

parser = reqparse.RequestParser()
parser.add_argument("key", type=str, required=True, help="Server device registration key")
parser.add_argument("name", type=str, required=True, help="Device name to use")
parser.add_argument("type_key", type=str, required=True, help="Device type key to use")
parser.add_argument("subtype_name", type=str, help="Device subtype name to use")
parser.add_argument("onlineable", type=inputs.boolean, help="Device can get online status")

_ca_lock = threading.Lock()
_ca: dict[str, Any] | None = None


def rate_limited() -> None:
    """429 when this address already called this method within the last second."""
    key = RATE_LIMIT_KEY.format(method=request.method, address=request.remote_addr or "-")
    if not context.redis_client().set(key, 1, nx=True, ex=RATE_LIMIT_SECONDS):
        abort(429, "Rate Limited")


def registration_args() -> dict[str, Any]:
    args = parser.parse_args(strict=True)
    expected = TeraServerSettings.get_server_setting_value(TeraServerSettings.ServerDeviceRegisterKey)
    if not expected or args["key"] != expected:
        raise ClientError("Invalid registration key", 401)
    return args


def new_device(args: dict[str, Any]) -> TeraDevice:
    """The device to insert, with its type (and subtype) found by key (name), or created."""
    device_type = TeraDeviceType.get_device_type_by_key(args["type_key"])
    if device_type is None:
        device_type = TeraDeviceType()
        device_type.device_type_key = args["type_key"]
        device_type.device_type_name = args["type_key"]
        TeraDeviceType.insert(device_type)
    subtype = None
    if args["subtype_name"]:
        subtype = TeraDeviceSubType.get_device_subtype_by_name(args["subtype_name"], device_type.id_device_type)
        if subtype is None:
            subtype = TeraDeviceSubType()
            subtype.id_device_type = device_type.id_device_type
            subtype.device_subtype_name = args["subtype_name"]
            TeraDeviceSubType.insert(subtype)
    device = TeraDevice()
    device.device_name = args["name"]
    device.id_device_type = device_type.id_device_type
    if subtype is not None:
        device.id_device_subtype = subtype.id_device_subtype
    device.device_onlineable = bool(args["onlineable"])
    device.device_enabled = False
    return device


def registered_json(device: TeraDevice) -> dict[str, Any]:
    body = device.to_json(minimal=True, ignore_fields=["id_device", "id_device_type", "id_device_subtype"])
    body["device_token"] = device.device_token
    return body


def registration_ca() -> dict[str, Any]:
    """{"private_key", "certificate"} of the registration CA: made once, kept in Redis (first writer wins)."""
    global _ca
    with _ca_lock:
        if _ca is None:
            client = context.redis_client()
            stored = client.get(CA_REDIS_KEY)
            if stored is None:
                made = generate_ca_certificate(common_name="OpenTera DevStack device registration CA")
                pem = {
                    "private_key": made["private_key"]
                    .private_bytes(
                        serialization.Encoding.PEM,
                        serialization.PrivateFormat.PKCS8,
                        serialization.NoEncryption(),
                    )
                    .decode(),
                    "certificate": made["certificate"].public_bytes(serialization.Encoding.PEM).decode(),
                }
                client.set(CA_REDIS_KEY, json.dumps(pem), nx=True)
                stored = client.get(CA_REDIS_KEY)
            pem = json.loads(stored)
            _ca = {
                "private_key": serialization.load_pem_private_key(pem["private_key"].encode(), None),
                "certificate": x509.load_pem_x509_certificate(pem["certificate"].encode()),
            }
        return _ca


class DeviceRegister(PublicResource):
    """No device token yet: the registration key authenticates the request (registration_args)."""

    @ns.doc(
        description="Register a device (token identification). Rate limited. An unknown device type key creates "
        "that type; same for the subtype name. The device is created disabled: an administrator must enable it.",
        responses={
            200: "Success - the device, with its token",
            400: "Missing or invalid parameter",
            401: "Invalid registration key",
            429: "Rate Limited",
        },
        security=[],
    )
    @ns.expect(parser)
    def get(self) -> Any:
        """Register a new device (token based)."""
        rate_limited()
        args = registration_args()
        device = new_device(args)
        TeraDevice.insert(device)
        log.info("device registered (token)", extra={"device_uuid": device.device_uuid})
        return registered_json(device)

    @ns.doc(
        description="Register a device with a certificate signing request (PEM, as the raw body with "
        "Content-Type: application/octet-stream); same arguments as GET. Rate limited.",
        responses={
            200: "Success - the device, its token, its certificate and the CA certificate",
            400: "Missing or invalid parameter, content type or CSR",
            401: "Invalid registration key",
            429: "Rate Limited",
        },
        security=[],
    )
    def post(self) -> Any:
        """Register a new device (certificate based)."""
        rate_limited()
        args = registration_args()
        if request.content_type != "application/octet-stream":
            raise ClientError("Invalid content type")
        try:
            csr = x509.load_pem_x509_csr(request.get_data())
        except ValueError:
            raise ClientError("Invalid CSR") from None
        if not csr.is_signature_valid:
            raise ClientError("Invalid CSR signature")
        ca = registration_ca()
        device = new_device(args)
        device.device_uuid = str(uuid.uuid4())  # the certificate names it
        certificate = generate_device_certificate(csr, ca, device.device_uuid)
        device.device_certificate = certificate.public_bytes(serialization.Encoding.PEM).decode()
        TeraDevice.insert(device)
        body = registered_json(device)
        body["device_certificate"] = device.device_certificate
        body["ca_info"] = ca["certificate"].public_bytes(serialization.Encoding.PEM).decode()
        log.info("device registered (certificate)", extra={"device_uuid": device.device_uuid})
        return body
