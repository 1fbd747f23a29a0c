"""The Swarm stack file (issue 19): deterministic, no password, every key Swarm ignores or refuses handled,
--check catching a stale file, and a bad input refused with its name."""

from __future__ import annotations

import argparse
import copy
import dataclasses
from pathlib import Path

import pytest
import yaml

from devstack import manifest, settings
from devstack.deploy import command, swarm
from devstack.deploy import stack as stack_module

PASSWORDS = {
    "POSTGRES_PASSWORD": "PgSuperSecret0123456789abcdefABCD",
    "TERASERVER_DB_PASSWORD": "DbRoleSecret0123456789abcdefABCD",
    "REDIS_PASSWORD": "RedisSecret0123456789abcdefABCDE",
    "TERASERVER_ADMIN_PASSWORD": "AdminSecret0123456789abcdefABCD",
}
HEALTH = {
    "interval": "30s",
    "timeout": "5s",
    "retries": 3,
    "start_period": "1m0s",
    "start_interval": "1s",
}


def make_tree(root: Path) -> Path:
    """A checkout with what the model below bind-mounts, and the sample's manifest."""
    files = {
        "compose.yaml": "name: t\n",
        "pyproject.toml": '[build-system]\nrequires = []\n\n[project]\nname = "x"\nversion = "1.2.3"\n',
        "nginx/nginx.conf": "events {}\n",
        "nginx/conf.d/opentera.conf": "server { set $x 1; }\n",
        "nginx/conf.d/health.conf": "server {}\n",
        "nginx/services.d/sample.conf": "location /sample/ {}\n",
        "nginx/services-sync.sh": "true\n",
        "services/db/databases.list": "openterasample\n",
        "services/redis/start.sh": 'exec redis-server - "$@"\n',
        "services/redis/healthcheck.sh": "redis-cli ping\n",
        "services/db/initdb/10-devstack-databases.sh": "#!/bin/sh\n",
        "services/sample/config/SampleService.json": "{}\n",
        "services/sample/service.yaml": yaml.safe_dump(
            {
                "key": "SampleService",
                "name": "Sample Service",
                "port": 5020,
                "prefix": "/sample",
                "health_path": "/api/version",
                "frontend": True,
                "database": "openterasample",
            }
        ),
    }
    for relative, text in files.items():
        path = root / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    (root / "services/db/initdb/10-devstack-databases.sh").chmod(0o755)
    return root


def bind(root: Path, source: str, target: str) -> dict:
    return {"type": "bind", "source": str(root / source), "target": target, "read_only": True, "bind": {}}


def compose_model(root: Path) -> dict:
    """What `docker compose config --format json` gives for this project (trimmed to the keys that matter)."""
    build = {"context": str(root / "services/x"), "dockerfile": "Dockerfile", "args": {"PYTHON_IMAGE": "py:3.11"}}
    return {
        "name": "t",
        "services": {
            "db": {
                "image": "postgres:15",
                "restart": "unless-stopped",
                "environment": {
                    "POSTGRES_USER": "postgres",
                    "POSTGRES_PASSWORD": PASSWORDS["POSTGRES_PASSWORD"],
                    "DEVSTACK_DB_ROLE_PASSWORD": PASSWORDS["TERASERVER_DB_PASSWORD"],
                },
                "volumes": [
                    {"type": "volume", "source": "db-data", "target": "/var/lib/postgresql/data", "volume": {}},
                    bind(root, "services/db/initdb", "/docker-entrypoint-initdb.d"),
                    bind(root, "services/db", "/etc/devstack/db"),
                ],
                "ports": [{"host_ip": "127.0.0.1", "target": 5432, "mode": "ingress", "protocol": "tcp"}],
                "healthcheck": {**HEALTH, "test": ["CMD-SHELL", "pg_isready"]},
                "networks": {"default": None},
            },
            "redis": {
                "image": "redis:7",
                "restart": "unless-stopped",
                "command": ["sh", "/etc/devstack/redis/start.sh", "--appendonly", "yes"],
                "environment": {"REDIS_PASSWORD": PASSWORDS["REDIS_PASSWORD"]},
                "volumes": [
                    {"type": "volume", "source": "redis-data", "target": "/data", "volume": {}},
                    bind(root, "services/redis", "/etc/devstack/redis"),
                ],
                "healthcheck": {**HEALTH, "test": ["CMD", "sh", "/etc/devstack/redis/healthcheck.sh"]},
                "networks": {"default": None},
            },
            "certs": {"build": build, "image": "t/certs:dev", "restart": "no", "networks": {"default": None}},
            "teraserver": {
                "build": build,
                "image": "t/teraserver:dev",
                "restart": "unless-stopped",
                "container_name": "fixed-name",
                "depends_on": {"db": {"condition": "service_healthy", "required": True}},
                "develop": {"watch": [{"action": "rebuild", "path": str(root / "services")}]},
                "pull_policy": "build",
                "environment": {
                    "TERASERVER_DB_PASSWORD": PASSWORDS["TERASERVER_DB_PASSWORD"],
                    "TERASERVER_REDIS_PASSWORD": PASSWORDS["REDIS_PASSWORD"],
                    "TERASERVER_ADMIN_PASSWORD": PASSWORDS["TERASERVER_ADMIN_PASSWORD"],
                    "TERASERVER_FORCE_PASSWORD_CHANGE": "false",
                    "TERASERVER_PORT": "4040",
                },
                "ports": [{"host_ip": "127.0.0.1", "target": 4040, "mode": "ingress", "protocol": "tcp"}],
                "healthcheck": {**HEALTH, "test": ["CMD", "python", "-m", "teraserver.healthcheck"]},
                "networks": {"default": None},
            },
            "teraserver-debug": {
                "build": build,
                "image": "t/teraserver:dev",
                "profiles": ["debug"],
                "restart": "unless-stopped",
                "environment": {"TERASERVER_DB_PASSWORD": PASSWORDS["TERASERVER_DB_PASSWORD"]},
            },
            "proxy": {
                "image": "nginx:1.22",
                "restart": "unless-stopped",
                "command": ["sh", "-c", "sh /etc/nginx/services-sync.sh && exec nginx -g 'daemon off;'"],
                "depends_on": {"certs": {"condition": "service_completed_successfully", "required": True}},
                "volumes": [
                    bind(root, "nginx/nginx.conf", "/etc/nginx/nginx.conf"),
                    bind(root, "nginx/conf.d", "/etc/nginx/conf.d"),
                    bind(root, "nginx/services.d", "/etc/nginx/services.src"),
                    bind(root, "nginx/services-sync.sh", "/etc/nginx/services-sync.sh"),
                    {
                        "type": "volume",
                        "source": "certificates",
                        "target": "/etc/nginx/certificates",
                        "read_only": True,
                    },
                ],
                "ports": [
                    {
                        "host_ip": "127.0.0.1",
                        "target": 40075,
                        "published": "41012",
                        "mode": "ingress",
                        "protocol": "tcp",
                    }
                ],
                "healthcheck": {**HEALTH, "test": ["CMD-SHELL", "curl -fsS http://127.0.0.1:8099/health"]},
                "networks": {"default": None},
            },
            "register": {
                "build": build,
                "image": "t/register:dev",
                "restart": "no",
                "environment": {"TERASERVER_ADMIN_PASSWORD": PASSWORDS["TERASERVER_ADMIN_PASSWORD"]},
                "volumes": [
                    bind(root, "compose.yaml", "/devstack/compose.yaml"),
                    bind(root, "services", "/devstack/services"),
                ],
                "networks": {"default": None},
            },
            "sample": {
                "build": build,
                "image": "t/sample:dev",
                "restart": "unless-stopped",
                "init": True,
                "environment": {
                    "OPENTERA_DB_PASSWORD": PASSWORDS["TERASERVER_DB_PASSWORD"],
                    "OPENTERA_REDIS_PASSWORD": PASSWORDS["REDIS_PASSWORD"],
                },
                "volumes": [bind(root, "services/sample/config/SampleService.json", "/app/config/SampleService.json")],
                "healthcheck": {**HEALTH, "test": ["CMD", "python", "healthcheck.py"]},
                "networks": {"default": None},
            },
        },
        "volumes": {"db-data": {"name": "t_db-data"}, "redis-data": {"name": "t_redis-data"}, "certificates": {}},
        "networks": {"default": {"name": "t_default"}},
    }


@pytest.fixture
def root(tmp_path: Path) -> Path:
    return make_tree(tmp_path / "checkout")


IMAGE_COMMANDS = {
    "teraserver": ([], ["python", "-m", "teraserver"]),
    "sample": (["docker-entrypoint.sh"], ["python", "SampleService.py"]),
}


def inputs(
    root: Path, model: dict | None = None, stack: str = "demo", image_commands: dict | None = None
) -> stack_module.StackInputs:
    return stack_module.StackInputs(
        root=root,
        model=compose_model(root) if model is None else model,
        manifests=manifest.load_all(root),
        stack=stack,
        version="1.2.3",
        image_commands=IMAGE_COMMANDS if image_commands is None else image_commands,
    )


def rendered(root: Path, model: dict | None = None) -> tuple[str, dict]:
    text = stack_module.render_stack(inputs(root, model))
    return text, yaml.safe_load(text)


def test_render_is_deterministic_and_does_not_depend_on_service_order(root: Path) -> None:
    model = compose_model(root)
    reversed_model = {**model, "services": dict(reversed(list(model["services"].items())))}
    assert stack_module.render_stack(inputs(root, model)) == stack_module.render_stack(inputs(root, reversed_model))


def test_no_password_reaches_the_stack_file(root: Path) -> None:
    text, document = rendered(root)
    for name, password in PASSWORDS.items():
        assert password not in text, f"{name}'s value is in the stack file"
    environment = document["services"]["teraserver"]["environment"]
    assert environment["TERASERVER_DB_PASSWORD_FILE"] == "/run/secrets/db_password"
    assert environment["TERASERVER_ADMIN_PASSWORD_FILE"] == "/run/secrets/admin_password"
    assert "TERASERVER_DB_PASSWORD" not in environment
    # Replicas of one stack share their token keys: the stack name is the deployment id, unless the deploying
    # shell sets DEVSTACK_DEPLOYMENT_ID (interpolated by `docker stack deploy`).
    assert environment["TERASERVER_DEPLOYMENT_ID"] == "${DEVSTACK_DEPLOYMENT_ID:-demo}"
    assert document["services"]["db"]["environment"]["POSTGRES_PASSWORD_FILE"] == "/run/secrets/postgres_password"
    # Every secret is external, its content-hashed name filled in by `devstack deploy` at deploy time.
    assert document["secrets"]["redis_password"] == {
        "external": True,
        "name": "${DEVSTACK_SECRET_REDIS_PASSWORD:?set by devstack deploy}",
    }
    assert {entry["source"] for entry in document["services"]["sample"]["secrets"]} == {"db_password", "redis_password"}


def test_the_stack_file_does_not_change_with_the_passwords(root: Path) -> None:
    other = copy.deepcopy(compose_model(root))
    other["services"]["teraserver"]["environment"]["TERASERVER_DB_PASSWORD"] = "another"
    other["services"]["redis"]["environment"]["REDIS_PASSWORD"] = "another"
    assert stack_module.render_stack(inputs(root, other)) == stack_module.render_stack(inputs(root))


def test_redis_reads_its_password_from_the_secret(root: Path) -> None:
    _, document = rendered(root)
    redis = document["services"]["redis"]
    assert redis["command"] == ["sh", "/etc/devstack/redis/start.sh", "--appendonly", "yes"]
    assert redis["environment"] == {"REDIS_PASSWORD_FILE": "/run/secrets/redis_password"}
    assert [entry["source"] for entry in redis["secrets"]] == ["redis_password"]
    assert {entry["target"] for entry in redis["configs"]} == {
        "/etc/devstack/redis/start.sh",
        "/etc/devstack/redis/healthcheck.sh",
    }


def test_a_password_passed_any_other_way_is_refused(root: Path) -> None:
    model = compose_model(root)
    model["services"]["redis"]["command"] = ["redis-server", "--requirepass", PASSWORDS["REDIS_PASSWORD"]]
    forbidden = {"REDIS_PASSWORD": PASSWORDS["REDIS_PASSWORD"]}
    leaking = dataclasses.replace(inputs(root, model), forbidden=forbidden)
    with pytest.raises(stack_module.StackError, match=r"the value of REDIS_PASSWORD would be written .*service redis"):
        stack_module.render_stack(leaking)
    # The ordinary model passes the same check.
    assert stack_module.render_stack(dataclasses.replace(inputs(root), forbidden=forbidden))


def test_every_key_swarm_ignores_or_refuses_is_handled(root: Path) -> None:
    _, document = rendered(root)
    services = document["services"]
    # profiles: the debug service is left out.
    assert set(services) == {"certs", "db", "proxy", "redis", "register", "sample", "teraserver"}
    for name, service in services.items():
        for key in ("build", "depends_on", "develop", "container_name", "restart", "profiles", "pull_policy"):
            assert key not in service, f"{name} keeps {key}"
        assert service["deploy"]["endpoint_mode"] == "dnsrr"
        for health_key in ("start_interval",):
            assert health_key not in (service.get("healthcheck") or {})
    # build -> the version-tagged image; images we do not build stay as they are.
    assert services["teraserver"]["image"] == "demo/teraserver:1.2.3"
    assert services["db"]["image"] == "postgres:15"
    # restart: no -> a job run once per deployment; unless-stopped -> a restart policy.
    assert services["register"]["deploy"]["mode"] == "replicated-job"
    assert services["certs"]["deploy"]["mode"] == "replicated-job"
    assert services["teraserver"]["deploy"]["restart_policy"]["condition"] == "any"
    # Replicated services roll start-first with rollback; the stateful ones are pinned and stop first.
    assert services["teraserver"]["deploy"]["update_config"]["order"] == "start-first"
    assert services["teraserver"]["deploy"]["update_config"]["failure_action"] == "rollback"
    assert services["sample"]["deploy"]["rollback_config"]["order"] == "start-first"
    for stateful in ("db", "redis"):
        assert services[stateful]["deploy"]["placement"]["constraints"] == ["node.labels.devstack.data == true"]
        assert services[stateful]["deploy"]["update_config"]["order"] == "stop-first"
    # Healthchecks kept, probing every 10 s at most.
    assert services["teraserver"]["healthcheck"]["test"] == ["CMD", "python", "-m", "teraserver.healthcheck"]
    assert services["teraserver"]["healthcheck"]["interval"] == "10s"
    # Ports: NGINX in host mode, global; the 127.0.0.1 developer ports are gone.
    assert services["proxy"]["ports"] == [{"target": 40075, "published": 41012, "protocol": "tcp", "mode": "host"}]
    assert services["proxy"]["deploy"]["mode"] == "global"
    assert "ports" not in services["db"] and "ports" not in services["teraserver"]
    # Volumes lose Compose's project-prefixed names (Swarm prefixes them with the stack's).
    assert document["volumes"] == {"certificates": {}, "db-data": {}, "redis-data": {}}


def test_bind_mounts_become_configs_named_by_content(root: Path) -> None:
    _, document = rendered(root)
    proxy_targets = {entry["target"] for entry in document["services"]["proxy"]["configs"]}
    assert proxy_targets == {
        "/etc/nginx/nginx.conf",
        "/etc/nginx/conf.d/health.conf",
        "/etc/nginx/conf.d/opentera.conf",
        "/etc/nginx/services.src/sample.conf",
        "/etc/nginx/services-sync.sh",
    }
    # The services folder mounted into the register job ships the manifests.
    register_targets = {entry["target"] for entry in document["services"]["register"]["configs"]}
    assert register_targets == {"/devstack/compose.yaml", "/devstack/services/sample/service.yaml"}
    # An executable init script stays executable.
    init = next(e for e in document["services"]["db"]["configs"] if e["target"].endswith("10-devstack-databases.sh"))
    assert init["mode"] == 0o555
    for key, declaration in document["configs"].items():
        assert declaration["file"].startswith("../"), key
    # A literal $ in a shipped file is not the stack file's business; in the stack file itself it is escaped.
    before = set(document["configs"])
    (root / "nginx/conf.d/opentera.conf").write_text("server { }\n", encoding="utf-8")
    _, after = rendered(root)
    assert set(after["configs"]) != before, "a changed file must get a new config name (configs are immutable)"


def test_check_reports_a_stale_or_missing_file(root: Path) -> None:
    text = stack_module.render_stack(inputs(root))
    assert not stack_module.is_current(root, "demo", text)
    path = stack_module.write_stack(root, "demo", text)
    assert path == root / "deploy" / "demo.yaml"
    assert stack_module.is_current(root, "demo", text)
    assert text.startswith("# GENERATED by `devstack deploy`")
    assert "devstack deploy --stack demo --render-only" in text.splitlines()[1]
    # A manifest or an NGINX file changed since: stale.
    (root / "nginx/services.d/sample.conf").write_text("location /sample/ { }\n", encoding="utf-8")
    assert not stack_module.is_current(root, "demo", stack_module.render_stack(inputs(root)))
    assert not list((root / "deploy").glob(".*.tmp")), "the atomic write left a temporary file"


@pytest.fixture
def offline_deploy(root: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """`cmd_deploy` on `root` with every Docker call replaced (the model from `docker compose config` as data)."""
    monkeypatch.setenv("DEVSTACK_ROOT", str(root))
    monkeypatch.setattr(command.compose, "ensure_docker", lambda: None)
    monkeypatch.setattr(command, "compose_model", lambda root, stack: compose_model(root))
    monkeypatch.setattr(command.swarm, "image_commands", lambda model, stack, version: IMAGE_COMMANDS)
    return root


def deploy_args(**changes: object) -> argparse.Namespace:
    defaults = dict(
        command="deploy", stack="demo", down=False, volumes=False, init=False, no_build=False,
        render_only=False, check=False, timeout=1.0, registry=None,
    )  # fmt: skip
    return argparse.Namespace(**(defaults | changes))


def env_text(extra: str = "") -> str:
    return "".join(f"{name}={value}\n" for name, value in PASSWORDS.items()) + extra


def test_check_command_exits_1_on_a_stale_file(offline_deploy: Path, capsys) -> None:
    root = offline_deploy
    (root / ".env").write_text(env_text(), encoding="utf-8")
    args = deploy_args(check=True)
    assert command.cmd_deploy(args) == 1
    assert "stale or missing" in capsys.readouterr().out
    assert command.cmd_deploy(deploy_args(render_only=True)) == 0
    assert command.cmd_deploy(args) == 0
    (root / "nginx/nginx.conf").write_text("events { }\n", encoding="utf-8")
    assert command.cmd_deploy(args) == 1


def test_services_behind_nginx_drain_before_they_stop(root: Path) -> None:
    _, document = rendered(root)
    services = document["services"]
    for name, argv in (
        ("teraserver", ["python", "-m", "teraserver"]),
        ("sample", ["docker-entrypoint.sh", "python", "SampleService.py"]),
    ):
        assert services[name]["entrypoint"][:2] == ["sh", "-c"], name
        assert f"sleep {stack_module.DRAIN_SECONDS}" in services[name]["entrypoint"][2]
        # `$` escaped for the stack file's interpolation: the shell sees "$@" and $!.
        assert services[name]["entrypoint"][2].startswith('"$$@" & child=$$!')
        assert services[name]["command"] == argv, name
        assert services[name]["stop_grace_period"] == f"{stack_module.STOP_GRACE_SECONDS}s"
    for name in ("db", "redis", "proxy", "certs", "register"):
        assert "entrypoint" not in services[name] and "stop_grace_period" not in services[name], name


def test_a_missing_image_command_is_a_clear_error(root: Path) -> None:
    with pytest.raises(stack_module.StackError, match=r"service sample: its image's command is unknown"):
        stack_module.render_stack(inputs(root, image_commands={"teraserver": IMAGE_COMMANDS["teraserver"]}))


def test_an_unknown_password_variable_is_refused_by_name(root: Path) -> None:
    model = compose_model(root)
    model["services"]["sample"]["environment"]["SAMPLE_API_TOKEN"] = "leak-me"
    with pytest.raises(stack_module.StackError, match=r"service sample: environment variable SAMPLE_API_TOKEN"):
        stack_module.render_stack(inputs(root, model))


def test_an_unknown_compose_key_is_refused_not_passed_on(root: Path) -> None:
    model = compose_model(root)
    model["services"]["sample"]["privileged"] = True
    with pytest.raises(stack_module.StackError, match=r"service sample: key\(s\) privileged have no Swarm rule"):
        stack_module.render_stack(inputs(root, model))


def test_a_manifest_without_a_compose_service_is_named(root: Path) -> None:
    model = compose_model(root)
    del model["services"]["sample"]
    with pytest.raises(stack_module.StackError, match=r"services/sample/service.yaml: service 'sample' is not in"):
        stack_module.render_stack(inputs(root, model))


def test_a_bad_manifest_is_a_clear_error(root: Path) -> None:
    (root / "services/sample/service.yaml").write_text("key: SampleService\nport: not-a-port\n", encoding="utf-8")
    with pytest.raises(manifest.ManifestError, match=r"services/sample/service.yaml"):
        manifest.load_all(root)


def test_a_bind_mount_outside_the_checkout_is_refused(root: Path, tmp_path: Path) -> None:
    model = compose_model(root)
    outside = tmp_path / "elsewhere.conf"
    outside.write_text("x\n", encoding="utf-8")
    model["services"]["sample"]["volumes"].append({"type": "bind", "source": str(outside), "target": "/x"})
    with pytest.raises(stack_module.StackError, match=r"service sample: bind mount .*elsewhere.conf is outside"):
        stack_module.render_stack(inputs(root, model))


def test_a_compose_deploy_section_is_refused(root: Path) -> None:
    model = compose_model(root)
    model["services"]["sample"]["deploy"] = {"replicas": 2}
    with pytest.raises(stack_module.StackError, match=r"service sample: compose.yaml has its own `deploy:`"):
        stack_module.render_stack(inputs(root, model))


def test_secret_names_change_with_the_password_and_the_stack() -> None:
    first = swarm.secret_name("demo", "db_password", "one")
    assert first.startswith("demo_db_password-") and len(first) <= 64
    assert first == swarm.secret_name("demo", "db_password", "one")
    assert first != swarm.secret_name("demo", "db_password", "two")
    assert first != swarm.secret_name("other", "db_password", "one")
    assert "one" not in first.split("-", 1)[1]


def test_project_version_and_stack_names(root: Path) -> None:
    assert command.project_version(root) == "1.2.3"
    assert command.checked_stack_name("opentera-devstack-swarm") == "opentera-devstack-swarm"
    with pytest.raises(swarm.SwarmError, match=r"--stack 'Bad Name'"):
        command.checked_stack_name("Bad Name")


def test_a_registry_names_every_image_of_the_stack_there(root: Path) -> None:
    plain = yaml.safe_load(stack_module.render_stack(inputs(root)))
    text = stack_module.render_stack(dataclasses.replace(inputs(root), registry="registry.test:5000"))
    services = yaml.safe_load(text)["services"]
    assert services.keys() == plain["services"].keys()
    for name, service in services.items():
        assert service["image"] == "registry.test:5000/" + plain["services"][name]["image"], name
    assert services["teraserver"]["image"] == "registry.test:5000/demo/teraserver:1.2.3"


def test_registry_names_are_checked() -> None:
    for good in ("registry.test:5000", "localhost:5000", "nodes-registry:5000", "registry.example.org/opentera"):
        assert command.checked_registry(good) == good
    assert command.checked_registry(None) == ""
    for bad in ("https://registry.test", "registry", "registry.test:5000/", "Registry Test:5000", "-bad.test"):
        with pytest.raises(swarm.SwarmRefusal, match=r"--registry"):
            command.checked_registry(bad)


def test_service_state_readiness() -> None:
    assert swarm.ServiceState("s_teraserver", "replicated", "3/3", "").ready
    assert not swarm.ServiceState("s_teraserver", "replicated", "2/3", "").ready
    assert not swarm.ServiceState("s_teraserver", "replicated", "3/3", "updating").ready
    assert swarm.ServiceState("s_teraserver", "replicated", "3/3", "completed").ready
    assert swarm.ServiceState("s_register", "replicated job", "0/1 (1/1 completed)", "").ready
    assert not swarm.ServiceState("s_register", "replicated job", "1/1 (0/1 completed)", "").ready
    assert swarm.ServiceState("s_proxy", "global", "1/1", "").ready


def test_an_engine_outside_a_swarm_is_refused_with_the_init_command(monkeypatch: pytest.MonkeyPatch) -> None:
    ran: list[list[str]] = []
    monkeypatch.setattr(swarm, "swarm_state", lambda: swarm.SwarmState(active=False, manager=False, node_id=""))
    monkeypatch.setattr(swarm, "_checked", lambda command, what, **kwargs: ran.append(list(command)) or "")
    with pytest.raises(swarm.SwarmError, match=r"run `docker swarm init --advertise-addr 127.0.0.1`.*--init"):
        swarm.ensure_manager(init=False, say=print)
    assert ran == [], "nothing may be run without --init"
    said: list[str] = []
    swarm.ensure_manager(init=True, say=said.append)
    assert ran == [["docker", "swarm", "init", "--advertise-addr", "127.0.0.1"]]
    assert "initialised a single-node swarm" in said[0] and "docker swarm leave --force" in said[0]


def test_a_worker_node_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(swarm, "swarm_state", lambda: swarm.SwarmState(active=True, manager=False, node_id="n"))
    with pytest.raises(swarm.SwarmError, match=r"swarm worker"):
        swarm.ensure_manager(init=True, say=print)


def test_volumes_without_down_is_refused(offline_deploy: Path) -> None:
    with pytest.raises(swarm.SwarmError, match=r"--volumes goes with --down"):
        command.cmd_deploy(deploy_args(volumes=True))


def test_the_registry_comes_from_env_unless_given(offline_deploy: Path) -> None:
    root = offline_deploy
    args = deploy_args(render_only=True)

    def teraserver_image() -> str:
        assert command.cmd_deploy(args) == 0
        document = yaml.safe_load((root / stack_module.stack_path("demo")).read_text(encoding="utf-8"))
        return document["services"]["teraserver"]["image"]

    (root / ".env").write_text(env_text("DEVSTACK_REGISTRY=registry.test:5000\n"), encoding="utf-8")
    assert teraserver_image().startswith("registry.test:5000/demo/teraserver:")
    args.registry = "other.test:5001"
    assert teraserver_image().startswith("other.test:5001/demo/teraserver:")
    args.registry = None
    (root / ".env").write_text(env_text("DEVSTACK_REGISTRY=https://registry.test\n"), encoding="utf-8")
    with pytest.raises(settings.ConfigError, match=r"DEVSTACK_REGISTRY='https://registry.test' is not a registry"):
        command.cmd_deploy(args)
