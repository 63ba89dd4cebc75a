"""Answers given again (krm_fn/webhook/answers.py), in process: never other than a fresh answer.

A ReplicaSet's pods reach the webhook in the same bytes but for the review's uid (the API server
names them after admission); the webhook gives such a review the answer already worked out. These
tests hold it to the one rule that makes that safe: a review gets again only what working it out
now would give, byte for byte, with its own uid.
"""

import base64
import json
import re
import time
from pathlib import Path
from typing import Any

import pytest
from test_examples import ALL_EXAMPLES, IDS, configs, expected_errors, kustomization
from test_webhook import config_dir, sidecar_dir
from webhooks import pods_of, review, shop_pod, with_token

from krm_fn.manifests import yamlio
from krm_fn.webhook.admission import (
    Answer,
    ConfigDirError,
    ConfigSet,
    answer_body,
    load_config_dir,
)
from krm_fn.webhook.answers import MAX_BODY_BYTES, AnswerCache

UIDS = iter(range(10**9))


def body_of(pod: dict[str, Any], namespace: str = "shop", **request: Any) -> bytes:
    """A review as the API server sends it: compact, the uid first, a new uid every time."""
    made = review(pod, namespace, **request)
    made["request"]["uid"] = f"5f0e9c1a-0000-4000-8000-{next(UIDS):012d}"
    return json.dumps(made, separators=(",", ":")).encode()


def again(body: bytes) -> bytes:
    """The same review's bytes with another uid."""
    uid = f"5f0e9c1a-0000-4000-8000-{next(UIDS):012d}".encode()
    return re.sub(rb'(?<="uid":")[^"]+', uid, body, count=1)


def patch_of(result: Answer) -> bytes:
    return base64.b64decode(result.review["response"].get("patch", ""))


def given(body: bytes, loaded: ConfigSet, cache: AnswerCache, **options: Any) -> Answer:
    """The answer through the cache, checked against the answer worked out without it."""
    result = answer_body(body, loaded, cache=cache, **options)
    fresh = answer_body(body, loaded, **options)
    assert json.dumps(result.review) == json.dumps(fresh.review)
    assert (result.outcome, result.reason, result.patch_bytes) == (
        fresh.outcome,
        fresh.reason,
        fresh.patch_bytes,
    )
    assert result.review["response"]["uid"] == json.loads(body)["request"]["uid"]
    return result


@pytest.mark.parametrize("example", ALL_EXAMPLES, ids=IDS)
def test_an_answer_given_again_is_the_fresh_one_for_every_example_pod(
    example: Path, tmp_path: Path
) -> None:
    if expected_errors(example):
        return
    documents = [yamlio.load(c.read_text()) for c in configs(example)]
    try:
        loaded = load_config_dir(str(config_dir(tmp_path, documents)))
    except ConfigDirError:
        return  # not at admission (test_webhook.py says why)
    cache = AnswerCache(32 * 1024 * 1024)
    for name in kustomization(example)["resources"]:
        for resource in yamlio.load_all((example / name).read_text()):
            for pod, _ in pods_of(resource):
                namespace = resource["metadata"].get("namespace", "shop")
                first = given(body_of(pod, namespace), loaded, cache)
                assert not first.cached
                second = given(again(body_of(pod, namespace)), loaded, cache)
                assert second.cached == (first.outcome in ("injected", "unchanged"))
                for suffix in ("x7k2b", "q9zzm", "b4w8d"):  # as the ReplicaSet's pods come
                    result = given(body_of(with_token(pod, suffix), namespace), loaded, cache)
                    if first.outcome in ("injected", "unchanged") and suffix != "x7k2b":
                        copied = "kube-api-access" in json.dumps(result.review)
                        assert result.cached or copied or result.reason == "error admitted"


def test_only_the_same_bytes_under_the_same_configs_are_answered_again(tmp_path: Path) -> None:
    loaded, cache = sidecar_dir(tmp_path), AnswerCache(32 * 1024 * 1024)
    pod = shop_pod()
    body = body_of(pod)
    assert not given(body, loaded, cache).cached
    assert given(again(body), loaded, cache).cached
    other = given(body_of(pod, "payments"), loaded, cache)  # another namespace
    assert not other.cached
    beta = given(body_of(pod, version="v1beta1"), loaded, cache)
    assert not beta.cached and beta.review["apiVersion"] == "admission.k8s.io/v1beta1"
    dry = given(body_of(pod, dryRun=True), loaded, cache)  # other request fields: other bytes
    assert not dry.cached
    reloaded = load_config_dir(str(tmp_path / "configs"), generation=2)
    assert not given(again(body), reloaded, cache).cached  # a reload: worked out again
    assert given(again(body), reloaded, cache).cached
    assert not given(again(body), loaded, cache).cached  # the old configs: nothing kept for them
    assert given(again(body), reloaded, cache).cached  # and what was kept stays


def test_a_pod_one_byte_away_gets_its_own_answer(tmp_path: Path) -> None:
    """Hostile pods that differ from a pod answered before in one byte: never its answer."""
    loaded, cache = sidecar_dir(tmp_path), AnswerCache(32 * 1024 * 1024)
    opted_out = shop_pod()
    opted_out["metadata"].setdefault("annotations", {})["krm-fn.dev/inject"] = "false"
    body = body_of(opted_out)
    assert given(body, loaded, cache).reason == "opted out"
    assert given(again(body), loaded, cache).reason == "opted out"
    near = body.replace(b'"krm-fn.dev/inject":"false"', b'"krm-fn.dev/inject":"falsf"')
    assert near != body and len(near) == len(body)
    assert given(again(near), loaded, cache).outcome == "injected"
    image = body_of(shop_pod())
    assert given(image, loaded, cache).outcome == "injected"
    container = json.loads(image)["request"]["object"]["spec"]["containers"][0]["image"]
    changed = image.replace(container.encode(), container[:-1].encode() + b"X")
    assert changed != image
    result = given(again(changed), loaded, cache)
    assert not result.cached


def test_a_decoy_uid_never_stands_for_the_one_answered(tmp_path: Path) -> None:
    """A body whose request says its uid twice: the parsed (last) one is answered, and the body
    is never a key (the decoy's value would stand for the uid that is answered)."""
    loaded, cache = sidecar_dir(tmp_path), AnswerCache(32 * 1024 * 1024)
    body = body_of(shop_pod())
    real = json.loads(body)["request"]["uid"]
    decoyed = body.replace(b'"kind":{"group"', f'"uid":"{real}","kind":{{"group"'.encode(), 1)
    decoyed = decoyed.replace(real.encode(), b"decoy-1", 1)
    assert json.loads(decoyed)["request"]["uid"] == real
    for decoy in (b"decoy-1", b"decoy-2", b"decoy-3"):
        result = given(decoyed.replace(b"decoy-1", decoy), loaded, cache)
        assert not result.cached and result.review["response"]["uid"] == real
    assert not cache.entries


def test_denials_errors_and_answers_out_of_time_are_worked_out_every_time(tmp_path: Path) -> None:
    cache = AnswerCache(32 * 1024 * 1024)
    taken = shop_pod()
    taken["spec"]["initContainers"] = [{"name": "access-log", "image": "busybox:1"}]
    loaded = sidecar_dir(tmp_path)
    body = body_of(taken)
    for _ in range(2):
        assert not given(again(body), loaded, cache).cached  # denied
    admit = sidecar_dir(tmp_path / "admit", onError="admit")
    for _ in range(2):
        result = given(again(body), admit, cache)
        assert (result.reason, result.cached) == ("error admitted", False)
    late = body_of(shop_pod())
    past = answer_body(late, loaded, time.monotonic() - 1, cache)
    assert (past.outcome, past.reason) == ("error", "time budget")
    result = given(again(late), loaded, cache)  # worked out: not the error of the one late
    assert (result.outcome, result.cached) == ("injected", False)


def test_the_answers_kept_stay_within_their_bytes(tmp_path: Path) -> None:
    loaded = sidecar_dir(tmp_path)
    bodies = []
    for index in range(20):
        pod = shop_pod()
        pod["metadata"]["labels"]["variant"] = str(index)
        bodies.append(body_of(pod))
    cache = AnswerCache(len(bodies[0]) * 8)
    for body in bodies:
        given(body, loaded, cache)
    assert 0 < len(cache.entries) < 8 and cache.size <= cache.max_bytes
    assert given(again(bodies[-1]), loaded, cache).cached  # the most recent stay
    assert not given(again(bodies[0]), loaded, cache).cached  # the oldest went first
    huge = shop_pod()
    huge["metadata"]["annotations"] = {"note": "x" * MAX_BODY_BYTES}
    big = body_of(huge)
    given(big, loaded, cache)
    assert not given(again(big), loaded, cache).cached


def test_pods_that_differ_in_their_token_volume_alone_get_the_answer_again(
    tmp_path: Path,
) -> None:
    loaded, cache = sidecar_dir(tmp_path), AnswerCache(32 * 1024 * 1024)
    first = given(body_of(with_token(shop_pod(), "x7k2b")), loaded, cache)
    assert (first.outcome, first.cached) == ("injected", False)
    assert given(body_of(with_token(shop_pod(), "q9zzm")), loaded, cache).cached
    # never left out: a second such name, or the name inside a longer string
    twice = with_token(with_token(shop_pod(), "x7k2b"), "q9zzm")
    noted = with_token(shop_pod(), "x7k2b")
    noted["metadata"]["annotations"] = {"note": "a kube-api-access-x7k2b"}
    for pod, names in ((twice, (b"x7k2b", b"q9zzm")), (noted, (b"x7k2b",))):
        body = body_of(pod)
        assert not given(body, loaded, cache).cached
        for name in names:
            assert not given(body.replace(name, b"p2p2p"), loaded, cache).cached
        assert given(again(body), loaded, cache).cached  # the same bytes: the same answer
    named = with_token(shop_pod(), "x7k2b")
    named["metadata"]["annotations"] = {"note": "kube-api-access-x7k2b"}  # the name, whole
    given(body_of(named), loaded, cache)
    assert given(body_of(named).replace(b"x7k2b", b"p2p2p"), loaded, cache).cached
    plain = body_of(with_token(shop_pod(), "x7k2b"))
    for spelled in (b'"kube-api-access-x7k2\\u0062"', b'"kube\\u002dapi-access-x7k2b"'):
        escaped = plain.replace(b'"kube-api-access-x7k2b"', spelled, 1)  # the volume's name
        assert json.loads(escaped) == json.loads(plain)
        given(escaped, loaded, cache)
        assert given(again(escaped), loaded, cache).cached  # the same bytes
        # the mounts renamed, not the volume: another pod (its mounts name no volume)
        renamed = escaped.replace(b"kube-api-access-x7k2b", b"kube-api-access-p2p2p")
        assert not given(renamed, loaded, cache).cached


def test_configs_that_mention_token_volumes_get_no_answer_again_for_another(tmp_path: Path) -> None:
    """A config naming `kube-api-access-x7k2b` must meet the pod whose token has that name: the
    name is not left out of the key then."""
    volumes = [{"name": n, "emptyDir": {}} for n in ("shop-logs", "kube-api-access-x7k2b")]
    loaded = sidecar_dir(tmp_path, volumes=volumes)
    cache = AnswerCache(32 * 1024 * 1024)
    other = given(body_of(with_token(shop_pod(), "q9zzm")), loaded, cache)
    assert other.outcome == "injected"
    clash = given(body_of(with_token(shop_pod(), "x7k2b")), loaded, cache)
    assert not clash.cached and clash.outcome == "denied"
    assert given(body_of(with_token(shop_pod(), "q9zzm")), loaded, cache).cached  # same bytes


def test_an_answer_that_mentions_the_token_is_never_given_to_another(tmp_path: Path) -> None:
    """A Migration that copies the app's mounts copies the token's: its patch names the volume
    (and its record digests the mount), so the pod with another token gets its own answer."""
    migration = {
        "apiVersion": "krm-fn.dev/v1alpha1",
        "kind": "Migration",
        "metadata": {"name": "orders"},
        "spec": {"command": ["/app/migrate", "up"], "copyVolumeMounts": True},
    }
    loaded = load_config_dir(str(config_dir(tmp_path, [migration])))
    cache = AnswerCache(32 * 1024 * 1024)
    first = given(body_of(with_token(shop_pod(), "x7k2b")), loaded, cache)
    assert first.outcome == "injected" and b"kube-api-access-x7k2b" in patch_of(first)
    second = given(body_of(with_token(shop_pod(), "q9zzm")), loaded, cache)
    assert not second.cached and b"kube-api-access-q9zzm" in patch_of(second)
