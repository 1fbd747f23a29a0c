"""The opentera package's own client code against our service API, run inside the TeraServer image.

`ServiceOpenTera.service_generate_token` (the token every service mints at start) and
`TeraServiceClient.get_service_infos` (GET /api/service/services?uuid_service=..., element 0) are called as the
package defines them, through the front door (`https://proxy:40075`, as a service container reaches it).
"""

from __future__ import annotations

import json

from service_world import World

from devstack.testing.stack import Stack

# Fixtures (world, client, other_client, token_key) of the shared helper module.

SCRIPT = """
import json, os, sys
import redis
from opentera.services.ServiceOpenTera import ServiceOpenTera
from opentera.services.TeraServiceClient import TeraServiceClient

client = redis.Redis(host=os.environ["TERASERVER_REDIS_HOST"], port=int(os.environ.get("TERASERVER_REDIS_PORT", 6379)),
                     password=os.environ.get("TERASERVER_REDIS_PASSWORD") or None)

class StandInService:
    # Just what the package's methods use: backend address, service uuid and a Redis GET.
    backend_hostname = "proxy"
    backend_port = 40075
    service_uuid = sys.argv[1]
    def redisGet(self, key):
        return client.get(key)

service = StandInService()
token = ServiceOpenTera.service_generate_token(service)
service_client = TeraServiceClient({"service_uuid": service.service_uuid}, token, None, service)
service.get_from_opentera_with_token = lambda *a, **k: ServiceOpenTera.get_from_opentera_with_token(service, *a, **k)
infos = service_client.get_service_infos()
participant = ServiceOpenTera.get_from_opentera_with_token(
    service, token, "/api/service/participants", {"participant_uuid": sys.argv[2]})
print(json.dumps({"infos": infos, "participant_status": participant.status_code,
                  "participant": participant.json()}))
"""


def test_package_client_gets_its_service_infos_and_participants(api_stack: Stack, world: World) -> None:
    result = api_stack.run(
        "exec", "-T", "teraserver", "python", "-W", "ignore", "-c", SCRIPT, world.service.uuid, world.participant_a.uuid
    )
    output = json.loads(result.stdout.strip().splitlines()[-1])
    assert output["infos"]["service_uuid"] == world.service.uuid
    assert output["infos"]["service_key"] == world.service.name
    assert output["participant_status"] == 200
    assert output["participant"]["participant_uuid"] == world.participant_a.uuid
