"""Container files: the compose file wires every service the settings can use to web and worker."""

import re

import yaml

from tests.conftest import REPO_ROOT

SERVICES = {"web", "worker", "postgres", "redis", "opensearch", "qdrant", "tika", "minio"}
# Each backing service and the variable that points the app at it.
WIRING = {
    "postgres": "DATABASE_URL",
    "redis": "REDIS_URL",
    "opensearch": "OPENSEARCH_URL",
    "qdrant": "QDRANT_URL",
    "tika": "TIKA_SERVER_URL",
    "minio": "AWS_S3_ENDPOINT_URL",
}


def load_compose():
    return yaml.safe_load((REPO_ROOT / "docker-compose.yml").read_text())


def app_environment(compose, name):
    service = compose["services"][name]
    env = dict(compose.get("x-app-environment", {}))
    declared = service.get("environment", {})
    env.update(declared if isinstance(declared, dict) else dict(item.split("=", 1) for item in declared))
    return env


def test_compose_has_the_eight_services_with_health_checks():
    compose = load_compose()
    assert set(compose["services"]) == SERVICES
    for name in SERVICES - {"worker"}:
        assert "healthcheck" in compose["services"][name], f"{name} has no healthcheck"


def test_web_and_worker_get_every_service_url_and_wait_for_it():
    compose = load_compose()
    for app in ("web", "worker"):
        env = app_environment(compose, app)
        depends = compose["services"][app]["depends_on"]
        for backing, variable in WIRING.items():
            assert variable in env, f"{app} lacks {variable}"
            host = re.search(r"//(?:[^@/]*@)?([^:/]+)", env[variable]).group(1)
            assert host == backing, f"{app}.{variable} points at {host}, not {backing}"
            assert depends[backing]["condition"] == "service_healthy"
    worker = compose["services"]["worker"]
    command = worker["command"]
    assert "qcluster" in (" ".join(command) if isinstance(command, list) else command)


def test_every_setting_variable_is_documented_in_env_example():
    base = (REPO_ROOT / "cms" / "settings" / "base.py").read_text()
    production = (REPO_ROOT / "cms" / "settings" / "production.py").read_text()
    used = set(re.findall(r'env\.\w+\("([A-Z0-9_]+)"', base + production)) | set(
        re.findall(r'_choice\("([A-Z0-9_]+)"', base)
    )
    documented = set(re.findall(r"^#?\s*([A-Z0-9_]+)=", (REPO_ROOT / ".env.example").read_text(), re.M))
    assert used, "no variables found"
    assert used - documented == set()


def test_dockerfile_is_multi_stage_non_root_with_healthcheck():
    dockerfile = (REPO_ROOT / "Dockerfile").read_text()
    assert len(re.findall(r"^FROM ", dockerfile, re.M)) >= 2
    assert re.search(r"^USER (?!root)\w+", dockerfile, re.M)
    assert "collectstatic" in dockerfile
    assert "HEALTHCHECK" in dockerfile
    assert "gunicorn" in dockerfile
