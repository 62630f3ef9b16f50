#!/usr/bin/env python3
"""deploy/ agrees with the code (issue #8): the Dockerfile, compose files, Kubernetes
manifests, Prometheus and Grafana files are parsed and compared with the source tree
and with the real `cep` binary (`cep serve --print-config`, `ldd`).

Environment: CEP_SOURCE_DIR (repository root), CEP_CLI_BINARY (the built `cep`).
Python 3 standard library + PyYAML (python3-yaml, from scripts/install-deps.sh).
"""

import copy
import glob
import json
import os
import re
import shlex
import subprocess
import sys
import unittest

import yaml

SOURCE = os.environ.get("CEP_SOURCE_DIR", os.path.join(os.path.dirname(__file__), "..", ".."))
SOURCE = os.path.abspath(SOURCE)
DEPLOY = os.path.join(SOURCE, "deploy")
CEP = os.environ.get("CEP_CLI_BINARY", os.path.join(SOURCE, "build", "cep"))

# Variables that the `cep` command reads besides config keys (README "REST API").
CLIENT_VARIABLES = {"CEP_CONFIG", "CEP_API_TOKEN", "CEP_URL"}
SANITIZER_PACKAGE = re.compile(r"^lib(asan|ubsan|tsan|lsan|hwasan)\d*$")


def read(path):
    with open(path, encoding="utf-8") as f:
        return f.read()


def load_yaml(path):
    with open(path, encoding="utf-8") as f:
        return yaml.safe_load(f)


def load_yaml_all(path):
    with open(path, encoding="utf-8") as f:
        return [d for d in yaml.safe_load_all(f) if d is not None]


def clean_environment(extra=None):
    env = {k: v for k, v in os.environ.items() if not k.startswith("CEP_")}
    env.update(extra or {})
    return env


def print_config(config_file=None, env=None):
    """The effective configuration of `cep serve` for a config file and CEP_* variables."""
    args = [CEP, "serve", "--print-config"]
    if config_file:
        args += ["--config", config_file]
    run = subprocess.run(args, env=clean_environment(env), capture_output=True, text=True,
                         timeout=60, check=False)
    if run.returncode != 0:
        raise AssertionError(f"{' '.join(args)} with {env}: exit {run.returncode}: {run.stderr}")
    return yaml.safe_load(run.stdout)


def config_keys(config):
    keys = set()
    for key, value in config.items():
        if key == "kafka":
            keys.update("kafka." + sub for sub in value)
        else:
            keys.add(key)
    return keys


def variable_for(key):
    return "CEP_" + key.upper().replace(".", "_")


DEFAULTS = None


def defaults():
    global DEFAULTS
    if DEFAULTS is None:
        DEFAULTS = print_config()
    return DEFAULTS


def config_variables():
    return {variable_for(key) for key in config_keys(defaults())}


def rest_port(config):
    return int(config["rest_address"].rsplit(":", 1)[1])


def topics_of(config):
    kafka = config["kafka"]
    return {kafka[k] for k in ("input_topic", "alerts_topic", "shadow_topic", "late_topic",
                               "dead_letter_topic")}


def get_routes():
    """GET routes registered by api/server/*.cc: router.Add("GET", "/path", ...)."""
    routes = set()
    for path in glob.glob(os.path.join(SOURCE, "api", "server", "*.cc")):
        routes.update(re.findall(r'router\.Add\("GET",\s*"([^"]+)"', read(path)))
    return routes


def interpolate(value):
    """Compose interpolation with stand-in values: ${VAR:?msg} / ${VAR} -> VAR-value."""
    return re.sub(r"\$\{([A-Za-z_][A-Za-z0-9_]*)[^}]*\}", lambda m: m.group(1).lower() + "-value",
                  str(value))


def environment_map(environment):
    if isinstance(environment, list):
        return dict(item.split("=", 1) for item in environment)
    return {k: "" if v is None else str(v) for k, v in (environment or {}).items()}


def pod_environment(container):
    """A container's env as the kubelet resolves it, with stand-ins for the
    downward API (one core) and Secrets (a 32-character token)."""
    env = {}
    for entry in container["env"]:
        source = entry.get("valueFrom", {})
        if "resourceFieldRef" in source:
            value = "1"
        elif "secretKeyRef" in source:
            value = (source["secretKeyRef"]["key"].lower() + "-" * 32)[:32]
        else:
            value = re.sub(r"\$\((\w+)\)", lambda m: env.get(m.group(1), m.group(0)), entry.get("value", ""))
        env[entry["name"]] = value
    return env


def parse_dockerfile(path):
    """(instruction, arguments) pairs, continuation lines joined, comments dropped."""
    lines, current = [], ""
    for raw in read(path).splitlines():
        stripped = raw.strip()
        if not current and (not stripped or stripped.startswith("#")):
            continue
        if current and stripped.startswith("#"):
            continue
        if stripped.endswith("\\"):
            current += stripped[:-1] + " "
            continue
        current += stripped
        lines.append(current)
        current = ""
    out = []
    for line in lines:
        instruction, _, rest = line.partition(" ")
        out.append((instruction.upper(), rest.strip()))
    return out


class ConfigMixin:
    def assert_known_variables(self, env, where):
        known = config_variables() | CLIENT_VARIABLES
        for name in env:
            if name.startswith("CEP_"):
                self.assertIn(name, known, f"{where}: {name} is no config key's variable "
                              f"(deploy/config/cep.yaml; known: {sorted(known)})")

    def effective(self, config_file, env, where):
        """Config file + CEP_* variables through the real loader (bad keys/values fail)."""
        self.assert_known_variables(env, where)
        cep_env = {k: interpolate(v) for k, v in env.items()
                   if k.startswith("CEP_") and k not in CLIENT_VARIABLES}
        return print_config(config_file, cep_env)


class DockerfileTest(unittest.TestCase, ConfigMixin):
    @classmethod
    def setUpClass(cls):
        cls.path = os.path.join(DEPLOY, "Dockerfile")
        cls.instructions = parse_dockerfile(cls.path)
        cls.image_config_path = os.path.join(DEPLOY, "image", "cep.yaml")
        cls.image_config = print_config(cls.image_config_path)

    def args(self, instruction):
        return [rest for name, rest in self.instructions if name == instruction]

    def test_bases_are_debian_12(self):
        args = {m.group(1): m.group(2) for m in
                (re.match(r"(\w+)=(\S+)", a) for a in self.args("ARG")) if m}
        for base in self.args("FROM"):
            image = base.split()[0]
            image = re.sub(r"\$\{(\w+)\}", lambda m: args.get(m.group(1), "?"), image)
            self.assertRegex(image, r"^debian:12(-slim)?$", f"FROM {base}")
        self.assertEqual(len(self.args("FROM")), 2, "multi-stage: build and runtime")

    def test_build_uses_the_readme_script_and_release_preset(self):
        runs = " ".join(self.args("RUN"))
        self.assertIn("scripts/install-deps.sh", runs)
        self.assertIn("cmake --preset release", runs)
        target = re.search(r"--target (\S+)", runs).group(1)
        cmake = read(os.path.join(SOURCE, "api", "CMakeLists.txt"))
        self.assertIn(f"add_executable({target} ", cmake, f"no CMake target {target}")
        self.assertRegex(cmake, rf"set_target_properties\({target} PROPERTIES\s+OUTPUT_NAME cep")
        presets = json.loads(read(os.path.join(SOURCE, "CMakePresets.json")))
        release = next(p for p in presets["configurePresets"] if p["name"] == "release")
        self.assertEqual(release["binaryDir"], "${sourceDir}/build")
        workdir = self.args("WORKDIR")[0]
        copied = [a for a in self.args("COPY") if a.startswith("--from=build")]
        self.assertEqual(copied[0].split()[1], f"{workdir}/build/cep")
        self.assertEqual(copied[0].split()[2], "/usr/local/bin/cep")

    def test_copied_sources_exist(self):
        for arg in self.args("COPY"):
            parts = [p for p in shlex.split(arg) if not p.startswith("--")]
            if arg.startswith("--from"):
                continue
            for source in parts[:-1]:
                self.assertTrue(glob.glob(os.path.join(SOURCE, source)), f"COPY {source}: missing")
        self.assertIn("deploy/runtime-packages.txt", " ".join(self.args("COPY")))

    def test_runtime_user_volume_port_and_entrypoint(self):
        self.assertEqual(self.args("USER"), ["10001:10001"])
        runs = " ".join(self.args("RUN"))
        self.assertRegex(runs, r"useradd [^&]*--uid 10001")
        self.assertRegex(runs, r"groupadd [^&]*--gid 10001")
        self.assertEqual(self.args("VOLUME"), [self.image_config["data_dir"]])
        self.assertRegex(runs, r"install -d -o cep -g cep [^&]*" + re.escape(self.image_config["data_dir"]))
        self.assertIn(self.image_config["replay_input_dir"], runs)
        self.assertEqual(self.args("EXPOSE"), [str(rest_port(self.image_config))])
        self.assertEqual(self.image_config["rest_address"].rsplit(":", 1)[0], "0.0.0.0")
        self.assertEqual(json.loads(self.args("ENTRYPOINT")[0]), ["cep", "serve"])
        env = dict(a.split("=", 1) for a in self.args("ENV"))
        copy_config = next(a for a in self.args("COPY") if a.startswith("deploy/image/cep.yaml"))
        self.assertEqual(env["CEP_CONFIG"], copy_config.split()[1])
        self.assert_known_variables(env, "Dockerfile ENV")

    def test_healthcheck_probes_a_real_route_on_the_rest_port(self):
        check = self.args("HEALTHCHECK")[0]
        url = re.search(r"http://127\.0\.0\.1:(\d+)(/\w+)", check)
        self.assertIsNotNone(url, check)
        self.assertEqual(int(url.group(1)), rest_port(self.image_config))
        self.assertEqual(url.group(2), "/healthz")
        self.assertIn(url.group(2), get_routes())
        self.assertIn("curl", read(os.path.join(DEPLOY, "runtime-packages.txt")))

    def test_oci_labels(self):
        labels = " ".join(self.args("LABEL"))
        for name in ("title", "description", "version", "revision", "created"):
            self.assertIn(f"org.opencontainers.image.{name}=", labels)

    def test_dockerignore_keeps_builds_and_secrets_out(self):
        ignored = [line.strip() for line in read(os.path.join(SOURCE, ".dockerignore")).splitlines()
                   if line.strip() and not line.startswith("#")]
        for pattern in (".git", "build", "build-*", "deploy/.env", "deploy/k8s/base/tokens.env"):
            self.assertIn(pattern, ignored)
        for needed in ("scripts", "deploy", "rulesets", "api", "cep", "engine", "rules", "state"):
            self.assertNotIn(needed, ignored)


class RuntimePackagesTest(unittest.TestCase):
    def test_runtime_packages_cover_ldd(self):
        listed = {line.split("#")[0].strip() for line in
                  read(os.path.join(DEPLOY, "runtime-packages.txt")).splitlines()} - {""}
        ldd = subprocess.run(["ldd", CEP], capture_output=True, text=True, check=True).stdout
        libraries = re.findall(r"=>\s+(/\S+)", ldd)
        self.assertTrue(libraries, ldd)
        needed = {}
        for library in libraries:
            real = os.path.realpath(library)
            candidates = [library, real, "/usr" + real, real.removeprefix("/usr")]
            owner = None
            for candidate in candidates:
                run = subprocess.run(["dpkg", "-S", candidate], capture_output=True, text=True,
                                     check=False)
                if run.returncode == 0:
                    owner = run.stdout.split(":")[0].strip()
                    break
            self.assertIsNotNone(owner, f"no Debian package owns {library}")
            if not SANITIZER_PACKAGE.match(owner):
                needed[owner] = library
        missing = {p: lib for p, lib in needed.items() if p not in listed}
        self.assertFalse(missing, f"deploy/runtime-packages.txt lacks {missing} (ldd {CEP})")


class ComposeTest(unittest.TestCase, ConfigMixin):
    @classmethod
    def setUpClass(cls):
        cls.compose = load_yaml(os.path.join(DEPLOY, "compose.yaml"))
        cls.scale = load_yaml(os.path.join(DEPLOY, "compose.scale.yaml"))
        cls.services = cls.compose["services"]
        cls.cep = cls.services["cep"]
        cls.env = environment_map(cls.cep["environment"])
        cls.image_config = os.path.join(DEPLOY, "image", "cep.yaml")
        cls.config = None

    def effective_config(self):
        if ComposeTest.config is None:
            ComposeTest.config = self.effective(self.image_config, self.env, "compose.yaml cep")
        return ComposeTest.config

    def test_cep_is_built_from_the_dockerfile(self):
        build = self.cep["build"]
        context = os.path.normpath(os.path.join(DEPLOY, build["context"]))
        self.assertEqual(context, SOURCE)
        self.assertTrue(os.path.isfile(os.path.join(context, build["dockerfile"])))
        self.assertEqual(self.services["traffic"]["image"], self.cep["image"])

    def test_images_are_pinned(self):
        for name, service in self.services.items():
            image = service.get("image", "")
            self.assertRegex(image, r":[\w.\-]+$", f"{name}: pin a tag")
            self.assertNotRegex(image, r":latest$", f"{name}: pin a tag")
        self.assertEqual(self.services["kafka"]["image"], self.services["kafka-init"]["image"])
        self.assertTrue(self.services["kafka"]["image"].startswith("apache/kafka:"))

    def test_rest_port_is_exposed_not_published(self):
        port = rest_port(self.effective_config())
        self.assertIn(str(port), [str(p) for p in self.cep["expose"]])
        self.assertNotIn("ports", self.cep, "published ports break --scale cep=N")
        self.assertIn("/healthz", " ".join(self.cep["healthcheck"]["test"]))
        self.assertIn(f"127.0.0.1:{port}/healthz", " ".join(self.cep["healthcheck"]["test"]))

    def test_environment_is_real_configuration(self):
        config = self.effective_config()
        self.assertEqual(config["kafka"]["brokers"], "kafka:9092")
        self.assertIn("=admin", config_tokens := self.env["CEP_REST_TOKENS"])
        self.assertIn("${METRICS_TOKEN", config_tokens)
        self.assertEqual(self.env["CEP_API_TOKEN"], "${ADMIN_TOKEN}")

    def test_volumes_and_mounted_rulesets_exist(self):
        config = self.effective_config()
        mounts = {}
        for volume in self.cep["volumes"]:
            source, target = volume.split(":")[:2]
            mounts[target] = source
        self.assertIn(mounts[config["data_dir"]], self.compose["volumes"], "data_dir: a named volume")
        self.assertTrue(config["rulesets"])
        for ruleset in config["rulesets"]:
            directory, name = os.path.split(ruleset)
            self.assertIn(directory, mounts, f"{ruleset}: not mounted")
            host = os.path.normpath(os.path.join(DEPLOY, mounts[directory], name))
            self.assertTrue(os.path.isfile(host), f"{ruleset}: {host} missing")
        for name, service in self.services.items():
            for volume in service.get("volumes", []):
                source = volume.split(":")[0] if isinstance(volume, str) else volume.get("source", "")
                if source.startswith("."):
                    self.assertTrue(os.path.exists(os.path.join(DEPLOY, source)), f"{name}: {source}")

    def test_init_container_creates_the_configured_topics(self):
        command = "\n".join(self.services["kafka-init"]["command"])
        created = dict(re.findall(r"^\s*create (\S+) (\d+)\s*$", command, re.M))
        self.assertEqual(set(created), topics_of(self.effective_config()))
        input_topic = self.effective_config()["kafka"]["input_topic"]
        self.assertGreaterEqual(int(created[input_topic]), 12)
        self.assertIn("kafka:9092", command)

    def test_start_order(self):
        depends = {name: s.get("depends_on", {}) for name, s in self.services.items()}
        self.assertEqual(depends["kafka-init"]["kafka"]["condition"], "service_healthy")
        self.assertEqual(depends["cep"]["kafka-init"]["condition"], "service_completed_successfully")
        self.assertEqual(depends["prometheus"]["cep"]["condition"], "service_healthy")
        self.assertEqual(depends["grafana"]["prometheus"]["condition"], "service_healthy")
        for name in ("kafka", "cep", "prometheus", "grafana"):
            self.assertIn("healthcheck", self.services[name], name)
        self.assertIn("9092", self.services["kafka"]["environment"]["KAFKA_ADVERTISED_LISTENERS"])
        self.assertIn("PLAINTEXT://kafka:9092",
                      self.services["kafka"]["environment"]["KAFKA_ADVERTISED_LISTENERS"])

    def test_prometheus_reads_the_same_token_as_cep(self):
        prometheus = load_yaml(os.path.join(DEPLOY, "prometheus", "prometheus.yml"))
        job = next(j for j in prometheus["scrape_configs"] if j["job_name"] == "cep")
        self.assertEqual(job["metrics_path"], "/metrics")
        self.assertIn("/metrics", get_routes())
        self.assertEqual(job["dns_sd_configs"][0]["names"], ["cep"])
        self.assertEqual(job["dns_sd_configs"][0]["port"], rest_port(self.effective_config()))
        secret = self.services["prometheus"]["secrets"][0]
        self.assertEqual(job["authorization"]["credentials_file"], f"/run/secrets/{secret}")
        variable = self.compose["secrets"][secret]["environment"]
        self.assertIn("${" + variable + ":?", self.env["CEP_REST_TOKENS"])
        self.assertRegex(self.env["CEP_REST_TOKENS"], r"\$\{" + variable + r"[^}]*\}=read")
        mounts = dict(v.split(":")[1::-1] for v in self.services["prometheus"]["volumes"])
        for rule_file in prometheus["rule_files"]:
            self.assertIn(rule_file, mounts)
            self.assertTrue(os.path.isfile(os.path.join(DEPLOY, mounts[rule_file])))

    def test_grafana_provisioning_matches_the_mounts(self):
        grafana = self.services["grafana"]
        mounts = {v.split(":")[1]: v.split(":")[0] for v in grafana["volumes"]}
        provider = load_yaml(os.path.join(DEPLOY, "grafana", "provisioning", "dashboards", "cep.yaml"))
        path = provider["providers"][0]["options"]["path"]
        self.assertTrue(os.path.isdir(os.path.join(DEPLOY, mounts[path])))
        home = grafana["environment"]["GF_SECURITY_ADMIN_PASSWORD"]
        self.assertIn("${GRAFANA_ADMIN_PASSWORD", home)
        datasource = load_yaml(os.path.join(DEPLOY, "grafana", "provisioning", "datasources",
                                            "prometheus.yaml"))["datasources"][0]
        self.assertEqual(datasource["url"], "http://prometheus:9090")
        dashboard = json.loads(read(os.path.join(DEPLOY, "grafana", "dashboards", "cep.json")))
        uids = set()

        def walk(node):
            if isinstance(node, dict):
                if isinstance(node.get("datasource"), dict):
                    uids.add(node["datasource"]["uid"])
                for value in node.values():
                    walk(value)
            elif isinstance(node, list):
                for value in node:
                    walk(value)
        walk(dashboard)
        self.assertEqual(uids, {datasource["uid"]})

    def test_env_file_template_defines_every_interpolated_variable(self):
        text = read(os.path.join(DEPLOY, "compose.yaml"))
        used = set(re.findall(r"\$\{([A-Z_][A-Z0-9_]*)", text))
        template = dict(line.split("=", 1) for line in read(os.path.join(DEPLOY, "cep.env.example")).splitlines()
                        if line and not line.startswith("#"))
        self.assertEqual(used, set(template))
        self.assertIn("/.env", read(os.path.join(DEPLOY, ".gitignore")).split())

    def test_scale_out_overlay(self):
        cep = self.scale["services"]["cep"]
        env = environment_map(cep["environment"])
        config = self.effective(self.image_config, {**self.env, **env}, "compose.scale.yaml cep")
        targets = {v["target"]: v.get("source") for v in cep["volumes"]}
        self.assertIn(config["data_dir"], targets)
        self.assertIsNone(targets[config["data_dir"]], "data_dir: one anonymous volume per replica")
        shared = config["shared_state_dir"]
        self.assertTrue(shared)
        self.assertIn(targets[shared], self.scale["volumes"])


class KubernetesTest(unittest.TestCase, ConfigMixin):
    @classmethod
    def setUpClass(cls):
        cls.k8s = os.path.join(DEPLOY, "k8s")
        cls.base = os.path.join(cls.k8s, "base")
        cls.kustomization = load_yaml(os.path.join(cls.base, "kustomization.yaml"))
        cls.objects = []
        for resource in cls.kustomization["resources"]:
            cls.objects += load_yaml_all(os.path.join(cls.base, resource))
        cls.sts = cls.find("StatefulSet")
        cls.pod = cls.sts["spec"]["template"]
        cls.container = cls.pod["spec"]["containers"][0]
        cls.env = pod_environment(cls.container)
        cls.config_file = os.path.join(cls.base, "cep.yaml")
        cls.config = None

    @classmethod
    def find(cls, kind, objects=None):
        found = [o for o in (objects or cls.objects) if o["kind"] == kind]
        assert len(found) == 1, f"{kind}: {len(found)}"
        return found[0]

    def effective_config(self):
        if KubernetesTest.config is None:
            KubernetesTest.config = self.effective(self.config_file, self.env, "statefulset.yaml")
        return KubernetesTest.config

    def generator(self, name):
        return next(g for g in self.kustomization["configMapGenerator"] if g["name"] == name)

    def mount(self, volume_name):
        return next(m for m in self.container["volumeMounts"] if m["name"] == volume_name)

    def test_kustomizations_list_existing_files(self):
        top = load_yaml(os.path.join(self.k8s, "kustomization.yaml"))
        self.assertEqual(top["resources"], ["base"])
        for resource in self.kustomization["resources"]:
            self.assertTrue(os.path.isfile(os.path.join(self.base, resource)), resource)
        for gen in self.kustomization["configMapGenerator"]:
            for f in gen["files"]:
                self.assertTrue(os.path.isfile(os.path.join(self.base, f)), f)
        for gen in self.kustomization["secretGenerator"]:
            for f in gen["envs"]:
                self.assertTrue(os.path.isfile(os.path.join(self.base, f + ".example")), f + ".example")
                self.assertIn("/k8s/base/" + f, read(os.path.join(DEPLOY, ".gitignore")).split())
        overlay = load_yaml(os.path.join(self.k8s, "scale-out", "kustomization.yaml"))
        for resource in overlay["resources"]:
            self.assertTrue(os.path.exists(os.path.join(self.k8s, "scale-out", resource)), resource)

    def test_ports_and_probes_agree_with_the_config_and_routes(self):
        port = rest_port(self.effective_config())
        self.assertEqual(self.effective_config()["rest_address"], f"0.0.0.0:{port}")
        ports = {p["name"]: p["containerPort"] for p in self.container["ports"]}
        self.assertEqual(ports, {"http": port})
        routes = get_routes()
        probes = {k: self.container[k]["httpGet"] for k in ("startupProbe", "livenessProbe", "readinessProbe")}
        self.assertEqual(probes["livenessProbe"]["path"], "/healthz")
        self.assertEqual(probes["readinessProbe"]["path"], "/readyz")
        for kind, probe in probes.items():
            self.assertIn(probe["path"], routes, kind)
            self.assertEqual(probe["port"], "http", kind)
        for service in (o for o in self.objects if o["kind"] == "Service"):
            self.assertEqual([p["targetPort"] for p in service["spec"]["ports"]], ["http"])
            self.assertEqual([p["port"] for p in service["spec"]["ports"]], [port])
        annotations = self.pod["metadata"]["annotations"]
        self.assertEqual(annotations["prometheus.io/path"], "/metrics")
        self.assertEqual(annotations["prometheus.io/port"], str(port))

    def test_selectors_match_the_pods(self):
        labels = self.pod["metadata"]["labels"]
        selectors = [self.sts["spec"]["selector"]["matchLabels"], self.find("PodDisruptionBudget")["spec"]["selector"]["matchLabels"]]
        selectors += [o["spec"]["selector"] for o in self.objects if o["kind"] == "Service"]
        for selector in selectors:
            self.assertLessEqual(selector.items(), labels.items())
        headless = next(o for o in self.objects if o["kind"] == "Service" and o["spec"].get("clusterIP") == "None")
        self.assertEqual(self.sts["spec"]["serviceName"], headless["metadata"]["name"])
        self.assertEqual(self.find("PodDisruptionBudget")["spec"]["maxUnavailable"], 1)

    def test_environment_config_and_mounts(self):
        config = self.effective_config()
        config_mount = self.mount("config")
        self.assertEqual(self.env["CEP_CONFIG"], config_mount["mountPath"] + "/cep.yaml")
        self.assertEqual(self.generator("cep-config")["files"], ["cep.yaml"])
        volumes = {v["name"]: v for v in self.pod["spec"]["volumes"]}
        self.assertEqual(volumes["config"]["configMap"]["name"], "cep-config")
        self.assertEqual(volumes["rulesets"]["configMap"]["name"], "cep-rulesets")
        claim = self.sts["spec"]["volumeClaimTemplates"][0]["metadata"]["name"]
        self.assertEqual(self.mount(claim)["mountPath"], config["data_dir"])
        self.assertIn(config["replay_input_dir"], " ".join(
            a for n, a in parse_dockerfile(os.path.join(DEPLOY, "Dockerfile")) if n == "RUN"))
        slots = next(e for e in self.container["env"] if e["name"] == "CEP_SLOTS")
        self.assertEqual(slots["valueFrom"]["resourceFieldRef"]["resource"], "requests.cpu")
        tokens = next(e["value"] for e in self.container["env"] if e["name"] == "CEP_REST_TOKENS")
        self.assertEqual(tokens, "$(ADMIN_TOKEN)=admin,$(METRICS_TOKEN)=read")
        self.assertEqual(len(self.effective_config()["rest_tokens"]), 2)

    def test_rulesets_are_mounted_and_equal_the_repository(self):
        config = self.effective_config()
        mount = self.mount("rulesets")["mountPath"]
        files = {os.path.basename(f): f for f in self.generator("cep-rulesets")["files"]}
        self.assertTrue(config["rulesets"])
        for ruleset in config["rulesets"]:
            directory, name = os.path.split(ruleset)
            self.assertEqual(directory, mount)
            self.assertIn(name, files)
        self.assertEqual(set(files), {os.path.basename(r) for r in config["rulesets"]})
        for name, path in files.items():
            self.assertEqual(read(os.path.join(self.base, path)), read(os.path.join(SOURCE, "rulesets", name)),
                             f"deploy/k8s/base/{path} differs from rulesets/{name}: "
                             f"cp rulesets/{name} deploy/k8s/base/{path}")

    def test_secret_references(self):
        secret = self.kustomization["secretGenerator"][0]
        keys = {line.split("=")[0] for line in read(os.path.join(self.base, secret["envs"][0] + ".example")).splitlines()
                if line and not line.startswith("#")}
        refs = [e["valueFrom"]["secretKeyRef"] for e in self.container["env"]
                if "secretKeyRef" in e.get("valueFrom", {})]
        self.assertTrue(refs)
        for ref in refs:
            self.assertEqual(ref["name"], secret["name"])
            self.assertIn(ref["key"], keys)
        monitor = load_yaml(os.path.join(self.k8s, "podmonitor.yaml"))
        endpoint = monitor["spec"]["podMetricsEndpoints"][0]
        self.assertEqual((endpoint["path"], endpoint["port"]), ("/metrics", "http"))
        self.assertEqual(endpoint["authorization"]["credentials"]["name"], secret["name"])
        self.assertIn(endpoint["authorization"]["credentials"]["key"], keys)

    def test_security_and_sizing(self):
        pod_security = self.pod["spec"]["securityContext"]
        self.assertEqual(pod_security["runAsUser"], 10001)
        self.assertEqual(pod_security["fsGroup"], 10001)
        self.assertTrue(pod_security["runAsNonRoot"])
        self.assertTrue(self.container["securityContext"]["readOnlyRootFilesystem"])
        self.assertIn("/tmp", [m["mountPath"] for m in self.container["volumeMounts"]])
        self.assertFalse(self.pod["spec"]["enableServiceLinks"], "Service links would add CEP_* variables")
        self.assertGreaterEqual(self.pod["spec"]["terminationGracePeriodSeconds"], 30)
        resources = self.container["resources"]
        self.assertIn("cpu", resources["requests"])
        self.assertIn("memory", resources["limits"])
        self.assertIn("podAntiAffinity", self.pod["spec"]["affinity"])
        compose = load_yaml(os.path.join(DEPLOY, "compose.yaml"))
        self.assertEqual(self.container["image"], compose["services"]["cep"]["image"])

    def test_scale_out_overlay(self):
        overlay_dir = os.path.join(self.k8s, "scale-out")
        overlay = load_yaml(os.path.join(overlay_dir, "kustomization.yaml"))
        objects = copy.deepcopy(self.objects)
        for resource in overlay["resources"]:
            if resource.endswith(".yaml"):
                objects += load_yaml_all(os.path.join(overlay_dir, resource))
        for patch in overlay["patches"]:
            target = next(o for o in objects if o["kind"] == patch["target"]["kind"]
                          and o["metadata"]["name"] == patch["target"]["name"])
            for op in yaml.safe_load(patch["patch"]):
                *parents, last = op["path"].strip("/").split("/")
                node = target
                for part in parents:
                    node = node[int(part)] if isinstance(node, list) else node[part]
                if last == "-":
                    node.append(op["value"])
                else:
                    node[last] = op["value"]
        pvc = self.find("PersistentVolumeClaim", objects)
        self.assertEqual(pvc["spec"]["accessModes"], ["ReadWriteMany"])
        self.assertTrue(pvc["spec"]["storageClassName"])
        sts = self.find("StatefulSet", objects)
        self.assertGreater(sts["spec"]["replicas"], 1)
        container = sts["spec"]["template"]["spec"]["containers"][0]
        config = self.effective(self.config_file, pod_environment(container), "scale-out")
        mounts = {m["name"]: m["mountPath"] for m in container["volumeMounts"]}
        volumes = {v["name"]: v for v in sts["spec"]["template"]["spec"]["volumes"]}
        shared = [n for n, v in volumes.items() if "persistentVolumeClaim" in v]
        self.assertEqual(len(shared), 1)
        self.assertEqual(volumes[shared[0]]["persistentVolumeClaim"]["claimName"], pvc["metadata"]["name"])
        self.assertEqual(mounts[shared[0]], config["shared_state_dir"])
        self.assertNotEqual(config["shared_state_dir"], config["data_dir"])


class AlertRulesTest(unittest.TestCase):
    def test_every_alert_has_a_runbook_section(self):
        rules = load_yaml(os.path.join(DEPLOY, "prometheus", "alerts.yml"))
        headings = {re.sub(r"[^a-z0-9 -]", "", h.strip().lower()).replace(" ", "-")
                    for h in re.findall(r"^#+ (.*)$", read(os.path.join(DEPLOY, "README.md")), re.M)}
        alerts = [r for g in rules["groups"] for r in g["rules"]]
        self.assertTrue(alerts)
        for alert in alerts:
            runbook = alert["annotations"]["runbook"]
            path, _, anchor = runbook.partition("#")
            self.assertEqual(path, "deploy/README.md", alert["alert"])
            self.assertIn(anchor, headings, f"{alert['alert']}: no section #{anchor} in deploy/README.md")


if __name__ == "__main__":
    unittest.main(verbosity=2)
