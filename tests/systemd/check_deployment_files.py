#!/usr/bin/env python3
"""Checks the deployment files no tool here can check by running them (no Docker engine, no
Kubernetes API server): docker/Dockerfile, .dockerignore, docker/compose.yaml,
docker/k8s/*.yaml, the systemd units against the configs they go with, and every shipped
config (loaded by the real zerobusd with --check-config).

  check_deployment_files.py --root <repo> --zerobusd <bin> [--zerobusctl <bin>] [--fake <bin>]

Prints one line per problem and exits 1 if there is any. The Dockerfile rules are also run on
deliberately broken copies, which must be caught: the checker itself can fail.
"""

import argparse
import fnmatch
import os
import re
import shutil
import subprocess
import sys
import tempfile

import yaml

DRAIN_S = 30  # shutdown.drain_timeout_ms of every shipped config, in seconds
DAEMON_UID = 10001
METRICS_PORT = 9464
SOCKET_DIR = "/run/zerobusd"
# In debian:12-slim already (essential, or what apt itself needs).
BASE_PACKAGES = {"libc6", "libgcc-s1", "libstdc++6"}
# Runtime packages that no binary links but the daemon needs.
NON_LIBRARY_PACKAGES = {"ca-certificates"}


# --- Dockerfile -----------------------------------------------------------------------------

def dockerfile_instructions(text):
    """[(instruction, arguments)] with continuations joined and comments dropped."""
    out, pending = [], ""
    for line in text.splitlines():
        stripped = line.strip()
        if not pending and (not stripped or stripped.startswith("#")):
            continue
        if pending and stripped.startswith("#"):
            continue
        if stripped.endswith("\\"):
            pending += stripped[:-1] + " "
            continue
        full = (pending + stripped).strip()
        pending = ""
        word, _, rest = full.partition(" ")
        out.append((word.upper(), rest.strip()))
    return out


def dockerignore_patterns(root):
    path = os.path.join(root, ".dockerignore")
    if not os.path.exists(path):
        return []
    with open(path) as f:
        return [l.strip() for l in f if l.strip() and not l.startswith("#")]


def ignored(rel, patterns):
    parts = rel.split("/")
    for p in patterns:
        p = p.rstrip("/")
        for i in range(1, len(parts) + 1):
            prefix = "/".join(parts[:i])
            if fnmatch.fnmatch(prefix, p) or (p.startswith("**/") and fnmatch.fnmatch(parts[i - 1], p[3:])):
                return True
    return False


def check_dockerfile(text, root, needed_packages):
    problems = []
    instructions = dockerfile_instructions(text)
    stages = []  # [{"name", "base", "body": [(ins, args)]}]
    for ins, args in instructions:
        if ins == "FROM":
            m = re.match(r"(\S+)(?:\s+AS\s+(\S+))?$", args, re.IGNORECASE)
            if not m:
                problems.append(f"Dockerfile: cannot read FROM {args}")
                continue
            stages.append({"name": m.group(2) or str(len(stages)), "base": m.group(1), "body": []})
        elif stages:
            stages[-1]["body"].append((ins, args))
    names = [s["name"] for s in stages]
    if not stages:
        return ["Dockerfile: no FROM"]
    for s in stages:
        if s["base"] not in ("debian:12", "debian:12-slim") and s["base"] not in names[: names.index(s["name"])]:
            problems.append(f"Dockerfile: stage {s['name']} is based on {s['base']}, not Debian 12 or an earlier stage")

    patterns = dockerignore_patterns(root)
    produced = {}  # stage -> text of its RUN lines (what it can have made)
    for s in stages:
        produced[s["name"]] = " ".join(a for i, a in s["body"] if i == "RUN")
        for ins, args in s["body"]:
            if ins not in ("COPY", "ADD"):
                continue
            words = [w for w in args.split() if not w.startswith("--")]
            flags = dict(f[2:].split("=", 1) for f in args.split() if f.startswith("--") and "=" in f)
            sources = words[:-1]
            if "from" in flags:
                if flags["from"] not in names[: names.index(s["name"])]:
                    problems.append(f"Dockerfile: COPY --from={flags['from']} names no earlier stage")
                for src in sources:
                    if src not in produced.get(flags["from"], ""):
                        problems.append(f"Dockerfile: COPY --from={flags['from']} {src}: that stage never makes it")
                continue
            for src in sources:
                rel = os.path.normpath(src).lstrip("/")
                if src == ".":
                    continue
                if not os.path.exists(os.path.join(root, rel)):
                    problems.append(f"Dockerfile: COPY source {src} does not exist")
                elif ignored(rel, patterns):
                    problems.append(f"Dockerfile: COPY source {src} is excluded by .dockerignore")

    build = stages[0]
    runs = [a for i, a in build["body"] if i == "RUN"]
    copies = [a for i, a in build["body"] if i == "COPY"]
    setup_run = next((k for k, r in enumerate(runs) if "scripts/setup.sh" in r), None)
    if setup_run is None:
        problems.append("Dockerfile: the build stage does not install through scripts/setup.sh")
    elif not any("scripts/setup.sh" in c or c.split()[0] == "." for c in copies):
        problems.append("Dockerfile: scripts/setup.sh is run but never copied in")
    if not any("cmake --preset release" in r and "cmake --build --preset release" in r for r in runs):
        problems.append("Dockerfile: the build stage does not build with the release preset")

    for s in stages[1:]:
        users = [a for i, a in s["body"] if i == "USER"]
        if not users:
            # A stage that is only a base for others needs no USER; one that runs does.
            if any(i in ("ENTRYPOINT", "CMD") for i, _ in s["body"]):
                problems.append(f"Dockerfile: stage {s['name']} runs as root (no USER)")
            continue
        uid = users[-1].split(":")[0]
        if uid in ("0", "root") or not uid.isdigit() or int(uid) != DAEMON_UID:
            problems.append(f"Dockerfile: stage {s['name']} runs as {users[-1]}, not the non-root uid {DAEMON_UID}")
    final = stages[-1]
    body = dict((i, a) for i, a in final["body"])
    if "zerobusctl" not in body.get("HEALTHCHECK", "") or "health" not in body.get("HEALTHCHECK", ""):
        problems.append("Dockerfile: the final image has no HEALTHCHECK running zerobusctl health")
    if str(METRICS_PORT) not in body.get("EXPOSE", "").split():
        problems.append(f"Dockerfile: the final image does not EXPOSE {METRICS_PORT}")
    if SOCKET_DIR not in body.get("VOLUME", ""):
        problems.append(f"Dockerfile: {SOCKET_DIR} is not a VOLUME")
    if "/etc/zerobusd/zerobusd.yaml" not in body.get("CMD", "") + body.get("ENTRYPOINT", ""):
        problems.append("Dockerfile: the daemon does not start with /etc/zerobusd/zerobusd.yaml")
    if f"--uid {DAEMON_UID}" not in text or f"--gid {DAEMON_UID}" not in text:
        problems.append(f"Dockerfile: the zerobusd user is not created with uid/gid {DAEMON_UID}")

    if needed_packages is not None:
        install = " ".join(a for s in stages[1:] for i, a in s["body"] if i == "RUN" and "apt-get install" in a)
        packages_text = install.split("apt-get install", 1)[-1] if install else ""
        listed = set(re.findall(r"\b((?:lib|ca-)[a-z0-9.+-]+)", packages_text))
        for p in sorted(needed_packages - listed - BASE_PACKAGES):
            problems.append(f"Dockerfile: the runtime image lacks {p}, which a binary links")
        for p in sorted(listed - needed_packages - NON_LIBRARY_PACKAGES):
            problems.append(f"Dockerfile: the runtime image installs {p}, which no binary links")
    return problems


def needed_packages(binaries):
    """Debian packages providing the shared libraries the binaries link directly, or None
    where the tools to find out are missing (not Debian)."""
    if not shutil.which("dpkg") or not shutil.which("readelf"):
        return None
    packages = set()
    for binary in binaries:
        needed = re.findall(r"\(NEEDED\).*\[(.+)\]", subprocess.run(
            ["readelf", "-d", binary], check=True, capture_output=True, text=True).stdout)
        resolved = {}
        for line in subprocess.run(["ldd", binary], check=True, capture_output=True, text=True).stdout.splitlines():
            m = re.match(r"\s*(\S+) => (\S+)", line)
            if m:
                resolved[m.group(1)] = os.path.realpath(m.group(2))
        for lib in needed:
            path = resolved.get(lib)
            if path is None:
                continue  # the dynamic loader itself
            owner = None
            for candidate in (path, re.sub(r"^/usr", "", path)):
                r = subprocess.run(["dpkg", "-S", candidate], capture_output=True, text=True)
                if r.returncode == 0:
                    owner = r.stdout.split(":")[0]
                    break
            if owner is None:
                raise RuntimeError(f"{binary}: no Debian package provides {path}")
            packages.add(owner)
    return packages


# --- compose and Kubernetes ------------------------------------------------------------------

def load_all(path):
    with open(path) as f:
        return [d for d in yaml.safe_load_all(f) if d is not None]


def seconds(value):
    m = re.fullmatch(r"(\d+)(s|m)?", str(value))
    return int(m.group(1)) * (60 if m.group(2) == "m" else 1) if m else None


def check_compose(path, root, stage_names):
    problems = []
    doc = load_all(path)[0]
    services = doc.get("services", {})
    for name in ("zerobusd", "app", "zerobus-fake"):
        if name not in services:
            problems.append(f"compose: no service {name}")
    base = os.path.dirname(path)
    for name, svc in services.items():
        build = svc.get("build")
        if build:
            context = os.path.normpath(os.path.join(base, build.get("context", ".")))
            if not os.path.exists(os.path.join(context, build.get("dockerfile", "Dockerfile"))):
                problems.append(f"compose: {name}: its Dockerfile does not exist")
            if build.get("target") and build["target"] not in stage_names:
                problems.append(f"compose: {name}: target {build['target']} is no Dockerfile stage")
        for volume in svc.get("volumes", []):
            src = volume.split(":")[0]
            if src.startswith(".") and not os.path.exists(os.path.join(base, src)):
                problems.append(f"compose: {name}: mounted file {src} does not exist")
    zd, app = services.get("zerobusd", {}), services.get("app", {})
    socket_volumes = {v.split(":")[0] for v in zd.get("volumes", []) if v.split(":")[1] == SOCKET_DIR}
    if not socket_volumes or not any(v.split(":")[0] in socket_volumes for v in app.get("volumes", [])):
        problems.append(f"compose: app and zerobusd do not share a volume at {SOCKET_DIR}")
    if str(DAEMON_UID) not in [str(g) for g in app.get("group_add", [])]:
        problems.append(f"compose: app is not in zerobusd's group {DAEMON_UID}: it cannot open the 0660 socket")
    if (seconds(zd.get("stop_grace_period", "10s")) or 0) <= DRAIN_S:
        problems.append("compose: zerobusd's stop_grace_period does not cover the drain")
    if app.get("depends_on", {}).get("zerobusd", {}).get("condition") != "service_healthy":
        problems.append("compose: app does not wait for zerobusd to be healthy")
    return problems


def pod_specs(doc):
    kind = doc.get("kind")
    if kind in ("Deployment", "DaemonSet", "StatefulSet"):
        return doc["spec"]["template"]
    return None


def check_k8s(path, expect_volume):
    """(problems, [(label, zerobusd.yaml text)] of its ConfigMaps, to load with the binary)."""
    problems, daemon_configs = [], []
    name = os.path.basename(path)
    docs = load_all(path)
    configs = {}
    workloads = 0
    for doc in docs:
        for key in ("apiVersion", "kind"):
            if key not in doc:
                problems.append(f"{name}: a document has no {key}")
        if not doc.get("metadata", {}).get("name"):
            problems.append(f"{name}: a {doc.get('kind')} has no metadata.name")
        if doc.get("kind") == "ConfigMap":
            configs[doc["metadata"]["name"]] = doc.get("data", {})
    for doc in docs:
        template = pod_specs(doc)
        if template is None:
            continue
        workloads += 1
        selector = doc["spec"].get("selector", {}).get("matchLabels", {})
        labels = template.get("metadata", {}).get("labels", {})
        if not selector or any(labels.get(k) != v for k, v in selector.items()):
            problems.append(f"{name}: the selector does not match the pod labels")
        annotations = template.get("metadata", {}).get("annotations", {})
        if (annotations.get("prometheus.io/scrape") != "true"
                or annotations.get("prometheus.io/port") != str(METRICS_PORT)):
            problems.append(f"{name}: no prometheus.io scrape annotations for port {METRICS_PORT}")
        spec = template["spec"]
        if (spec.get("terminationGracePeriodSeconds") or 30) <= DRAIN_S:
            problems.append(f"{name}: terminationGracePeriodSeconds does not cover the drain")
        volumes = {v["name"]: v for v in spec.get("volumes", [])}
        containers = spec.get("containers", []) + spec.get("initContainers", [])
        for c in containers:
            if not c.get("name") or not c.get("image"):
                problems.append(f"{name}: a container without name or image")
            for m in c.get("volumeMounts", []):
                if m["name"] not in volumes:
                    problems.append(f"{name}: {c.get('name')} mounts undeclared volume {m['name']}")
        daemon = next((c for c in containers if c.get("name") == "zerobusd"), None)
        if daemon is None:
            problems.append(f"{name}: no zerobusd container")
            continue
        ctx = {**spec.get("securityContext", {}), **daemon.get("securityContext", {})}
        if ctx.get("runAsUser") != DAEMON_UID or not ctx.get("runAsNonRoot", False):
            problems.append(f"{name}: zerobusd does not run as non-root uid {DAEMON_UID}")
        for probe in ("livenessProbe", "readinessProbe"):
            p = daemon.get(probe)
            command = p.get("exec", {}).get("command", []) if p else []
            ok = p and (("health" in command and any("zerobusctl" in w for w in command))
                        or ("httpGet" in p and p["httpGet"].get("path") in ("/healthz", "/readyz")
                            and p["httpGet"].get("port") in (METRICS_PORT, "metrics")))
            if not ok:
                problems.append(f"{name}: zerobusd's {probe} is neither zerobusctl health nor /healthz|/readyz")
        mounts = {m["mountPath"]: m["name"] for m in daemon.get("volumeMounts", [])}
        socket_volume = volumes.get(mounts.get(SOCKET_DIR))
        if socket_volume is None or expect_volume not in socket_volume:
            problems.append(f"{name}: {SOCKET_DIR} is not a {expect_volume} volume")
        config_mount = next((m for m in daemon.get("volumeMounts", [])
                             if m["mountPath"] == "/etc/zerobusd/zerobusd.yaml"), None)
        if config_mount is None:
            problems.append(f"{name}: zerobusd's config is not mounted at /etc/zerobusd/zerobusd.yaml")
            continue
        cm = volumes[config_mount["name"]].get("configMap", {}).get("name")
        text = configs.get(cm, {}).get(config_mount.get("subPath", "zerobusd.yaml"))
        if text is None:
            problems.append(f"{name}: the config map {cm} holds no zerobusd.yaml")
            continue
        config = yaml.safe_load(text)
        secret_file = config["auth"].get("client_secret_file", "")
        secret_dir = next((p for p, v in mounts.items() if "secret" in volumes.get(v, {})), None)
        if secret_dir is None or os.path.dirname(secret_file) != secret_dir:
            problems.append(f"{name}: auth.client_secret_file {secret_file} is not in the mounted Secret")
        if os.path.dirname(config["socket"]["path"]) != SOCKET_DIR:
            problems.append(f"{name}: socket.path is not in {SOCKET_DIR}")
        daemon_configs.append((f"{name} ConfigMap {cm}", text))
        if not str(config["metrics"]["listen"]).startswith("0.0.0.0:"):
            problems.append(f"{name}: metrics do not listen on the pod's address: probes and scrapes cannot reach them")
    if workloads == 0:
        problems.append(f"{name}: no workload")
    return problems, daemon_configs


# --- configs and units -----------------------------------------------------------------------

def check_config_loads(zerobusd, label, text, root):
    """Loads a config with the real binary, in a temp dir holding the schemas, with secrets
    that exist: an absolute secret file is rewritten to a temp file, a relative one comes
    from $CREDENTIALS_DIRECTORY, the socket group becomes this user's group."""
    with tempfile.TemporaryDirectory() as tmp:
        shutil.copytree(os.path.join(root, "config", "schemas"), os.path.join(tmp, "schemas"))
        os.makedirs(os.path.join(tmp, "credentials"))
        secret = os.path.join(tmp, "credentials", "client-secret")
        with open(secret, "w") as f:
            f.write("test-secret\n")
        os.chmod(secret, 0o600)
        text = re.sub(r"(client_secret_file:\s*)/\S+", lambda m: m.group(1) + secret, text)
        text = re.sub(r"(\bgroup:\s*)\S+", lambda m: m.group(1) + str(os.getgid()), text)
        path = os.path.join(tmp, "zerobusd.yaml")
        with open(path, "w") as f:
            f.write(text)
        os.chmod(path, 0o600)
        env = dict(os.environ, CREDENTIALS_DIRECTORY=os.path.join(tmp, "credentials"), ZEROBUSD_CLIENT_SECRET="x")
        r = subprocess.run([zerobusd, "--check-config", "--config", path], capture_output=True, text=True, env=env)
        if r.returncode != 0:
            return [f"{label}: zerobusd --check-config refused it: {r.stderr.strip()}"]
    return []


def unit_settings(path):
    settings = {}
    with open(path) as f:
        for line in f:
            if "=" in line and not line.lstrip().startswith(("#", "[")):
                key, value = line.rstrip("\n").split("=", 1)
                settings.setdefault(key.strip(), []).append(value.strip())
    return settings


def check_units(root):
    problems = []
    service = unit_settings(os.path.join(root, "systemd", "zerobusd.service"))
    socket = unit_settings(os.path.join(root, "systemd", "zerobusd.socket"))
    with open(os.path.join(root, "config", "zerobusd-systemd.yaml")) as f:
        config = yaml.safe_load(f)
    credential = service.get("LoadCredential", [""])[0].split(":")[0]
    if config["auth"].get("client_secret_file") != credential:
        problems.append(f"units: LoadCredential={credential} but the systemd config reads "
                        f"{config['auth'].get('client_secret_file')}")
    if socket.get("ListenStream") != [config["socket"]["path"]]:
        problems.append("units: zerobusd.socket's ListenStream is not the systemd config's socket.path")
    if socket.get("SocketGroup") != [config["socket"].get("group")]:
        problems.append("units: zerobusd.socket's SocketGroup is not the systemd config's socket.group")
    if config["socket"].get("group") not in service.get("SupplementaryGroups", [""])[0].split():
        problems.append("units: the daemon is not in socket.group, so it cannot give the socket that group")
    if "/run/" + service.get("RuntimeDirectory", [""])[0] != os.path.dirname(config["socket"]["path"]):
        problems.append("units: RuntimeDirectory is not the socket's directory")
    if (seconds(service.get("TimeoutStopSec", ["0"])[0]) or 0) <= config["shutdown"]["drain_timeout_ms"] / 1000:
        problems.append("units: TimeoutStopSec does not cover shutdown.drain_timeout_ms")
    for key, want in (("Type", "notify"), ("NotifyAccess", "main"), ("User", "zerobusd")):
        if service.get(key) != [want]:
            problems.append(f"units: {key}= is not {want}")
    with open(os.path.join(root, "systemd", "zerobusd.sysusers")) as f:
        sysusers = f.read()
    for group in ("zerobusd", config["socket"].get("group")):
        if not re.search(rf"^[ug]\s+{re.escape(group)}\s", sysusers, re.M):
            problems.append(f"units: zerobusd.sysusers does not create {group}")
    return problems


# --- main -------------------------------------------------------------------------------------

def self_test(dockerfile, root, packages):
    """The Dockerfile rules must catch these breakages."""
    broken = {
        "a missing COPY source": dockerfile.replace("COPY docker/zerobusd.yaml", "COPY docker/missing.yaml"),
        "running as root": dockerfile.replace("USER 10001:10001\nVOLUME", "USER root\nVOLUME"),
        "no setup.sh": dockerfile.replace("RUN scripts/setup.sh --build-only", "RUN apt-get install -y cmake"),
        "a missing runtime library": dockerfile.replace("      libuv1 \\\n", ""),
    }
    problems = []
    for what, text in broken.items():
        if text == dockerfile:
            problems.append(f"self-test: could not make a Dockerfile with {what} (the Dockerfile changed?)")
        elif what == "a missing runtime library" and packages is None:
            continue
        elif not check_dockerfile(text, root, packages):
            problems.append(f"self-test: a Dockerfile with {what} passed the checks")
    return problems


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--root", required=True)
    parser.add_argument("--zerobusd", required=True)
    parser.add_argument("--binary", action="append", default=[],
                        help="another binary the runtime images carry (zerobusctl, zerobus-fake)")
    parser.add_argument("--no-package-check", action="store_true",
                        help="skip comparing the runtime packages with what the binaries link "
                             "(sanitizer builds link libasan/libtsan and more directly)")
    args = parser.parse_args()
    root = args.root
    problems = []

    for folder in ("docker", "config", "systemd"):
        for dirpath, _, files in os.walk(os.path.join(root, folder)):
            for f in files:
                if f.endswith((".yaml", ".yml")):
                    try:
                        load_all(os.path.join(dirpath, f))
                    except yaml.YAMLError as e:
                        problems.append(f"{os.path.relpath(os.path.join(dirpath, f), root)}: not YAML: {e}")

    with open(os.path.join(root, "docker", "Dockerfile")) as f:
        dockerfile = f.read()
    packages = None if args.no_package_check else needed_packages([args.zerobusd] + args.binary)
    problems += check_dockerfile(dockerfile, root, packages)
    problems += self_test(dockerfile, root, packages)
    patterns = dockerignore_patterns(root)
    for must in ("build", ".git"):
        if must not in patterns:
            problems.append(f".dockerignore: does not exclude {must}")
    stage_names = re.findall(r"^FROM\s+\S+\s+AS\s+(\S+)", dockerfile, re.M | re.I)
    problems += check_compose(os.path.join(root, "docker", "compose.yaml"), root, stage_names)

    configs = [("config/zerobusd-systemd.yaml", None), ("docker/zerobusd.yaml", None),
               ("docker/zerobusd-compose.yaml", None)]
    for manifest, volume in (("sidecar.yaml", "emptyDir"), ("daemonset.yaml", "hostPath")):
        found, daemon_configs = check_k8s(os.path.join(root, "docker", "k8s", manifest), volume)
        problems += found
        configs += daemon_configs
    for label, text in configs:
        if text is None:
            with open(os.path.join(root, label)) as f:
                text = f.read()
        problems += check_config_loads(args.zerobusd, label, text, root)
    problems += check_units(root)

    for p in problems:
        print(p)
    print(f"{len(problems)} problem(s) in the deployment files")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
