"""deploy/: the scale-out files, checked statically (no container engine runs here).

They must parse, name only real settings with valid values, run only real commands,
pair every API replica with its own OPA, and wire Services, volumes and the load
balancer to what exists.  See deploy/README.md for what this does not cover.
"""

from __future__ import annotations

import importlib
import re
import shlex
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import typer.main
import yaml

from hub.cli import app
from hub.settings import Settings

DEPLOY = Path(__file__).resolve().parents[1] / "deploy"
COMPOSE = yaml.safe_load((DEPLOY / "compose.yaml").read_text(encoding="utf-8"))
K8S = [doc for doc in yaml.safe_load_all((DEPLOY / "k8s" / "huitong.yaml").read_text(encoding="utf-8")) if doc]
FIELDS = {f"HUB_{name.upper()}": name for name in Settings.model_fields}


def interpolate(value: str) -> str:
    """Compose's ``${VAR:-default}`` / ``${VAR:?message}``: the default, or a stand-in value."""
    return re.sub(r"\$\{(\w+)(?::([-?])([^}]*))?\}", lambda m: m.group(3) if m.group(2) == "-" else "secret",
                  value)


def compose_services() -> dict[str, dict[str, Any]]:
    return {name: svc for name, svc in COMPOSE["services"].items()}


def pod_specs() -> list[tuple[str, dict[str, Any]]]:
    """(name, pod spec) of every Deployment and CronJob."""
    specs = []
    for doc in K8S:
        if doc["kind"] == "Deployment":
            specs.append((doc["metadata"]["name"], doc["spec"]["template"]["spec"]))
        elif doc["kind"] == "CronJob":
            specs.append((doc["metadata"]["name"], doc["spec"]["jobTemplate"]["spec"]["template"]["spec"]))
    return specs


def hub_settings_in_use() -> list[tuple[str, str]]:
    """Every (HUB_* name, value) the files set; secrets from a Secret count with a stand-in URL."""
    found = []
    for svc in compose_services().values():
        for name, value in (svc.get("environment") or {}).items():
            found.append((name, interpolate(str(value))))
    for doc in K8S:
        if doc["kind"] == "ConfigMap":
            found.extend((k, str(v)) for k, v in doc["data"].items())
    for _, spec in pod_specs():
        for container in spec["containers"]:
            for env in container.get("env", []):
                value = env.get("value", "postgresql+psycopg://hub:secret@postgres:5432/hub")
                found.append((env["name"], str(value)))
    return [(name, value) for name, value in found if name.startswith("HUB_")]


class BadCommandLine(Exception):
    """A command line the CLI refuses."""


def parse_hub(argv: list[str]) -> None:
    """Parse ``hub …`` with the real CLI (options and arguments checked, nothing run).

    Typer carries its own copy of click, so groups are recognised by ``resolve_command``
    and refusals by their class name (``UsageError`` and its subclasses).
    """
    assert argv[0] == "hub", argv
    command: Any = typer.main.get_command(app)
    args, name = argv[1:], "hub"
    try:
        while hasattr(command, "resolve_command"):
            name, command, args = command.resolve_command(command.context_class(command), args)
        command.make_context(name, list(args))
    except Exception as exc:
        if any(kind.__name__ == "UsageError" for kind in type(exc).__mro__):
            raise BadCommandLine(f"{' '.join(argv)}: {exc}") from None
        raise


def commands() -> list[list[str]]:
    """Every command line the files run in the hub image (``sh -c`` scripts split at ``&&``)."""
    ours = [svc for svc in compose_services().values() if svc.get("image", "").startswith("huitong")]
    lines = [svc["command"] for svc in ours if "command" in svc]
    lines += [c["command"] for _, spec in pod_specs() for c in spec["containers"]
              if c["image"].startswith("huitong")]
    dockerfile_cmd = re.search(r"^CMD (\[.*\])$", (DEPLOY / "Dockerfile").read_text(), re.M)
    assert dockerfile_cmd
    lines.append(yaml.safe_load(dockerfile_cmd.group(1)))
    out: list[list[str]] = []
    for line in lines:
        for argv in [shlex.split(part) for part in line[2].split("&&")] if line[:2] == ["sh", "-c"] else [line]:
            if argv not in out:
                out.append(argv)
    return out


def test_every_hub_variable_is_a_setting_with_a_valid_value() -> None:
    in_use = hub_settings_in_use()
    assert {"HUB_DATABASE_URL", "HUB_OPA_URL", "HUB_HOME", "HUB_PUBLIC_URL"} <= {n for n, _ in in_use}
    for name, value in in_use:
        assert name in FIELDS, f"{name} is not a hub setting"
        Settings(**{FIELDS[name]: value})  # raises naming the setting if the value is invalid


@pytest.mark.parametrize("argv", commands(), ids=lambda argv: " ".join(argv)[:60])
def test_every_command_exists_with_its_options(argv: list[str]) -> None:
    if argv[0] == "hub":
        parse_hub(argv)
    else:  # dagster-webserver / dagster-daemon, from the same environment, on the hub's definitions
        exe = shutil.which(argv[0], path=str(Path(sys.executable).parent))
        assert exe, argv[0]
        subcommand = [a for a in argv[1:2] if not a.startswith("-")]
        shown = subprocess.run([exe, *subcommand, "--help"], capture_output=True, text=True, timeout=120)
        assert shown.returncode == 0, shown.stderr
        for flag in (a for a in argv[1:] if a.startswith("-")):
            assert re.search(rf"(^|[\s,]){re.escape(flag)}[\s,]", shown.stdout), (flag, argv)
        module = argv[argv.index("-m") + 1]
        assert importlib.import_module(module).__name__ == "hub.orchestration"


def test_a_wrong_hub_command_line_is_caught() -> None:  # the check above can fail
    with pytest.raises(BadCommandLine, match="--hots"):
        parse_hub(["hub", "serve", "--hots", "0.0.0.0"])
    with pytest.raises(BadCommandLine, match="nosuchcommand"):
        parse_hub(["hub", "nosuchcommand"])
    with pytest.raises(BadCommandLine, match="port"):
        parse_hub(["hub", "serve", "--port", "eighty"])


def test_each_api_replica_decides_through_its_own_opa() -> None:
    services = compose_services()
    apis = sorted(name for name in services if name.startswith("api-"))
    assert len(apis) >= 2
    for api in apis:
        opa = "opa-" + api.split("-")[1]
        assert services[api]["environment"]["HUB_OPA_URL"] == f"http://{opa}:8181"
        assert opa in services[api]["depends_on"] and opa in services
        assert "--addr=0.0.0.0:8181" in services[opa]["command"]
    (api_spec,) = [spec for name, spec in pod_specs() if name == "huitong-api"]
    hub_c, opa_c = api_spec["containers"]
    opa_url = next(e["value"] for e in hub_c["env"] if e["name"] == "HUB_OPA_URL")
    assert opa_url == "http://127.0.0.1:8181" and "--addr=127.0.0.1:8181" in opa_c["args"]


def test_the_load_balancer_sends_to_every_api_replica_port() -> None:
    upstreams = set(re.findall(r"server (\S+);", (DEPLOY / "nginx.conf").read_text()))
    services = compose_services()
    expected = {f"{name}:{svc['command'][svc['command'].index('--port') + 1]}"
                for name, svc in services.items() if name.startswith("api-")}
    assert upstreams == expected
    assert set(services["lb"]["depends_on"]) == {name for name in services if name.startswith("api-")}


def test_k8s_services_select_deployments_and_target_declared_ports() -> None:
    deployments = {d["metadata"]["name"]: d for d in K8S if d["kind"] == "Deployment"}
    for svc in (d for d in K8S if d["kind"] == "Service"):
        matches = [d for d in deployments.values()
                   if svc["spec"]["selector"].items() <= d["spec"]["template"]["metadata"]["labels"].items()]
        assert len(matches) == 1, svc["metadata"]["name"]
        ports = {p["name"] for c in matches[0]["spec"]["template"]["spec"]["containers"] for p in c.get("ports", [])}
        assert {p["targetPort"] for p in svc["spec"]["ports"]} <= ports
    for d in deployments.values():
        assert d["spec"]["selector"]["matchLabels"].items() <= d["spec"]["template"]["metadata"]["labels"].items()


def test_every_pod_and_service_shares_the_hub_home() -> None:
    claims = {d["metadata"]["name"] for d in K8S if d["kind"] == "PersistentVolumeClaim"}
    for name, spec in pod_specs():
        volumes = {v["name"]: v["persistentVolumeClaim"]["claimName"] for v in spec["volumes"]}
        hub_container = spec["containers"][0]
        mounts = {m["name"]: m["mountPath"] for m in hub_container["volumeMounts"]}
        assert mounts == {"home": "/var/lib/huitong"} and volumes["home"] in claims, name
    for name, svc in compose_services().items():
        if svc.get("image", "").startswith("huitong"):
            assert "hub-home:/var/lib/huitong" in svc["volumes"], name


def test_the_image_installs_the_checkout_in_place() -> None:
    dockerfile = (DEPLOY / "Dockerfile").read_text()
    assert "COPY . ." in dockerfile and "uv sync --locked" in dockerfile  # editable, from uv.lock
    ignored = set((DEPLOY.parent / ".dockerignore").read_text().split())
    assert {".venv", ".hub", ".git"} <= ignored
    # policies/ and transforms/ are found beside the code, inside the copied checkout
    from hub.policy.sources import DEFAULT_DIR
    from hub.transform import TRANSFORMS_DIR

    for folder in (DEFAULT_DIR, TRANSFORMS_DIR):
        assert folder.parent == DEPLOY.parent and folder.is_dir()
