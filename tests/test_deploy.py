"""The deploy manifests run the image of this service's version (they said 0.2.0 after the 0.3.0 release)."""

from __future__ import annotations

import re
import tomllib

import yaml

from tests.helpers import REPO


def test_the_kubernetes_manifests_name_the_service_version() -> None:
    version = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]["version"]
    kustomization = yaml.safe_load((REPO / "deploy" / "kubernetes" / "kustomization.yaml").read_text())
    assert [image["newTag"] for image in kustomization["images"]] == [version]
    deployment = (REPO / "deploy" / "kubernetes" / "deployment.yaml").read_text()
    assert re.findall(r"image: credcheck:(\S+)", deployment) == [version]
