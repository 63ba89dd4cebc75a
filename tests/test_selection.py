import pytest

from krm_fn.kube.selection import parse_selector, selects
from krm_fn.patterns.models.spec import Target

DEPLOYMENT = {
    "apiVersion": "apps/v1",
    "kind": "Deployment",
    "metadata": {
        "name": "web",
        "namespace": "shop",
        "labels": {"app": "web", "tier": "front"},
        "annotations": {"team": "a"},
    },
}


@pytest.mark.parametrize(
    ("selector", "labels", "expected"),
    [
        ("app=web", {"app": "web"}, True),
        ("app==web", {"app": "db"}, False),
        ("app!=web", {"app": "db"}, True),
        ("app!=web", {}, True),
        ("app", {"app": "x"}, True),
        ("!app", {"app": "x"}, False),
        ("tier in (front, back),app", {"tier": "back", "app": "1"}, True),
        ("tier notin (front,back)", {"tier": "front"}, False),
        ("tier notin (front,back)", {}, True),
        ("", {}, True),
    ],
)
def test_label_selector(selector: str, labels: dict[str, str], expected: bool) -> None:
    assert all(r.matches(labels) for r in parse_selector(selector)) is expected


@pytest.mark.parametrize("bad", ["app=", "app in web", "=web", "!app=web", "a b"])
def test_bad_label_selector(bad: str) -> None:
    if bad == "app=":  # an empty value is valid Kubernetes syntax
        assert parse_selector(bad)[0].values == frozenset([""])
        return
    with pytest.raises(ValueError, match="invalid selector term"):
        parse_selector(bad)


@pytest.mark.parametrize(
    ("target", "expected"),
    [
        ({}, True),
        ({"kind": "Deployment"}, True),
        ({"kind": "Deploy"}, False),  # regexes match the whole value, as in kustomize
        ({"kind": "Deploy.*", "group": "apps", "version": "v1"}, True),
        ({"group": ""}, False),
        ({"name": "web|api", "namespace": "shop"}, True),
        ({"name": "we"}, False),
        ({"labelSelector": "tier=front"}, True),
        ({"labelSelector": "tier=front", "kind": "StatefulSet"}, False),
        ({"annotationSelector": "team in (a,b)"}, True),
        ({"annotationSelector": "!team"}, False),
    ],
)
def test_target(target: dict[str, str], expected: bool) -> None:
    assert selects(Target.model_validate(target), DEPLOYMENT) is expected
