"""Container files: the compose file wires every service the settings can use to web and the workers, serves every
task queue, prepares the database in a one-shot service, and probes each service with a tool its image has."""

import re
import shlex

from django.conf import settings
from django.core.management import call_command

import pytest
import yaml
from django_q.models import Schedule

from tests.conftest import REPO_ROOT

APPS = {"web", "worker-default", "worker-content", "worker-embeddings"}
BACKING = {"postgres", "redis", "opensearch", "qdrant", "tika", "minio"}
ONE_SHOT = {"setup", "minio-bucket"}
SERVICES = APPS | BACKING | ONE_SHOT
# What each image ships that a health check could call, from the images' documentation and base images (checked by
# hand; update with the image): learnhub is python:3.11-slim-bookworm plus the curl the Dockerfile installs;
# apache/tika (Ubuntu + JRE) and qdrant/qdrant (Debian slim) have bash and grep but neither curl nor wget;
# opensearchproject/opensearch (Amazon Linux) has curl; minio/minio ships mc.
IMAGE_TOOLS = {
    "learnhub": {"sh", "bash", "python", "curl"},
    "postgres": {"sh", "bash", "pg_isready"},
    "redis": {"sh", "bash", "redis-cli"},
    "opensearchproject/opensearch": {"sh", "bash", "curl"},
    "qdrant/qdrant": {"sh", "bash", "grep", "printf"},
    "apache/tika": {"sh", "bash", "grep", "printf"},
    "minio/minio": {"sh", "mc"},
}
# Commands a health check might call; each one used must be in its image's row above.
PROBE_TOOLS = {"sh", "bash", "python", "curl", "wget", "nc", "grep", "printf", "pg_isready", "redis-cli", "mc"}
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


def command_text(command) -> str:
    return shlex.join(command) if isinstance(command, list) else command


def image_of(compose, name) -> str:
    return compose["services"][name]["image"].split(":")[0]


def test_compose_has_its_services_and_the_long_running_ones_have_health_checks():
    compose = load_compose()
    assert set(compose["services"]) == SERVICES
    for name in BACKING | {"web"}:
        assert "test" in compose["services"][name]["healthcheck"], f"{name} has no healthcheck"
    # Workers and one-shot services answer no HTTP: the image's curl HEALTHCHECK would mark them unhealthy.
    for name in (APPS - {"web"}) | {"setup"}:
        assert compose["services"][name]["healthcheck"] == {"disable": True}, name


def test_web_and_workers_get_every_service_url_and_wait_for_it():
    compose = load_compose()
    for app in APPS | {"setup"}:
        env = app_environment(compose, app)
        depends = compose["services"][app]["depends_on"]
        for backing, variable in WIRING.items():
            assert variable in env, f"{app} lacks {variable}"
            host = re.search(r"//(?:[^@/]*@)?([^:/]+)", env[variable]).group(1)
            assert host == backing, f"{app}.{variable} points at {host}, not {backing}"
            assert depends[backing]["condition"] == "service_healthy"


def test_every_task_queue_is_served_by_its_own_worker():
    compose = load_compose()
    served = {}
    for name, service in compose["services"].items():
        if "qcluster" in command_text(service.get("command", "")):
            queue = app_environment(compose, name).get("Q_CLUSTER_NAME", "default")
            assert queue not in served, f"{name} and {served.get(queue)} both serve {queue}"
            served[queue] = name
    assert set(served) == set(settings.TASK_QUEUES)
    # The workers share one definition (a YAML anchor): same image, environment and dependencies.
    workers = [compose["services"][name] for name in served.values()]
    assert len({repr(sorted(w["depends_on"].items())) for w in workers}) == 1
    assert {w["image"] for w in workers} == {compose["services"]["web"]["image"]}


def test_setup_runs_migrate_then_setup_once_and_web_and_workers_wait_for_it():
    compose = load_compose()
    setup = compose["services"]["setup"]
    command = command_text(setup["command"])
    assert re.search(r"manage\.py migrate\b.*&&.*manage\.py setup\b", command), command
    assert setup["restart"] == "no"
    for app in APPS:
        depends = compose["services"][app]["depends_on"]
        assert depends["setup"]["condition"] == "service_completed_successfully", app
        assert depends["minio-bucket"]["condition"] == "service_completed_successfully", app
    bucket = command_text(compose["services"]["minio-bucket"]["command"])
    assert "mc mb --ignore-existing local/learnhub" in bucket


def test_health_checks_use_only_tools_their_images_have():
    compose = load_compose()
    dockerfile = (REPO_ROOT / "Dockerfile").read_text()
    # learnhub's curl is there because the Dockerfile installs it.
    assert re.search(r"apt-get install[^\n]*\bcurl\b", dockerfile)
    for name, service in compose["services"].items():
        test = service.get("healthcheck", {}).get("test")
        if not test:
            continue
        image = "learnhub" if service["image"].startswith("learnhub:") else image_of(compose, name)
        assert image in IMAGE_TOOLS, f"no tool list for {image}: add one (from the image's docs)"
        assert test[0] in ("CMD", "CMD-SHELL")
        words = set(re.findall(r"[A-Za-z][\w.-]*", " ".join(test[1:])))
        used = words & PROBE_TOOLS
        assert used, f"{name}: no known probe tool in {test}"
        assert used <= IMAGE_TOOLS[image], f"{name} ({image}) calls {used - IMAGE_TOOLS[image]}, which it lacks"


def test_http_probes_ask_127_0_0_1_for_the_health_endpoints():
    compose = load_compose()
    web = " ".join(compose["services"]["web"]["healthcheck"]["test"])
    assert "http://127.0.0.1:8000/health/readiness/" in web
    dockerfile = (REPO_ROOT / "Dockerfile").read_text()
    healthcheck = re.search(r"^HEALTHCHECK .*?CMD (.+)$", dockerfile, re.M | re.S).group(1)
    assert "http://127.0.0.1:${PORT}/health/liveness/" in healthcheck


def test_dockerignore_keeps_local_state_out_of_the_image():
    ignored = {
        line.strip().rstrip("/").removeprefix("**/")
        for line in (REPO_ROOT / ".dockerignore").read_text().splitlines()
        if line.strip() and not line.startswith("#")
    }
    for path in (".venv", "var", ".git", "static_collected", "__pycache__", "node_modules", "*.sqlite3", ".env"):
        assert path in ignored, f".dockerignore lacks {path}"
    assert ".env.example" not in ignored


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


@pytest.mark.django_db
def test_setup_creates_each_schedule_once_and_keeps_admin_edits(capsys):
    from importers.registry import all_sources

    call_command("setup")
    first = capsys.readouterr().out
    names = set(Schedule.objects.values_list("name", flat=True))
    expected = {f"heartbeat:{queue}" for queue in settings.TASK_QUEUES} | {
        "embeddings",
        "wagtail:publish_scheduled",
        "importers:sweep_stale_runs",
        "ask:expire_conversations",
        "search:saved_search_digests",
    }
    expected |= {f"import:{cls.name}" for cls in all_sources()}
    assert expected <= names
    sweep = Schedule.objects.get(name="importers:sweep_stale_runs")
    assert (sweep.func, sweep.cluster, sweep.minutes) == ("importers.tasks.sweep_stale_runs", "default", 1)
    publish = Schedule.objects.get(name="wagtail:publish_scheduled")
    assert (publish.func, publish.cluster, publish.minutes) == ("cms.tasks.publish_scheduled", "default", 1)
    assert f"Schedules: {len(expected)} created, 0 kept." in first
    # An operator pauses one schedule and slows another in the admin; a second setup keeps both edits.
    Schedule.objects.filter(name="import:oll").update(repeats=0)
    Schedule.objects.filter(name="heartbeat:content").update(minutes=5)
    count = Schedule.objects.count()
    call_command("setup")
    second = capsys.readouterr().out
    assert Schedule.objects.count() == count
    assert Schedule.objects.get(name="import:oll").repeats == 0
    assert Schedule.objects.get(name="heartbeat:content").minutes == 5
    assert f"Schedules: 0 created, {len(expected)} kept." in second


@pytest.mark.django_db
def test_publish_scheduled_task_publishes_due_pages(home_page):
    from datetime import timedelta

    from django.utils import timezone

    import time_machine

    from cms.models import StandardPage
    from cms.tasks import publish_scheduled

    page = StandardPage(title="Later", slug="later", introduction="x", live=False)
    home_page.add_child(instance=page)
    page.go_live_at = timezone.now() + timedelta(hours=1)
    page.save_revision().publish()  # scheduled, not live
    page.refresh_from_db()
    assert not page.live
    with time_machine.travel(timezone.now() + timedelta(hours=2)):
        publish_scheduled()
    page.refresh_from_db()
    assert page.live
