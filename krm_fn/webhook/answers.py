"""Answers already given, given again to the pods of one template: a ReplicaSet's pods.

The API server names a pod after the mutating webhooks have seen it (`generateName`), so the pods
a ReplicaSet creates reach the webhook alike, but for two things: the review's uid, and the name
of the service account token's volume, `kube-api-access-` and five random characters, that the
ServiceAccount admission plugin adds before the webhooks (measured on the test cluster:
tests/test_webhook_cluster.py). A scale-up or a rollout of 50 replicas is then one answer worked
out and 49 given again.

An answer is kept under the review's bytes with the uid and that volume name left out, and given
again, with the new review's uid, only for the same bytes under the same configs (the object the
worker holds; a reload replaces it). That is exact because:
- the uid's characters cannot end a JSON string, and the uid left out is the one the parsed
  review answers (not a decoy before a duplicate key, whose value then stays in the key);
- the token's name is left out only when it is the one such name in the body, and every mention
  of `kube-api-access-` in the body is that whole string, written as it reads (no JSON escape
  that could spell it another way); when no config mentions `kube-api-access-`; and an answer is
  kept only when it does not mention the name (a patch that copies a mount, its digest, a
  warning naming it). krm-fn then only compares the name with other strings, and two pods
  that differ in it alone get the same answer;
- only admitted answers that no error went into are kept (injected or unchanged): a denial, an
  error admitted by `onError: admit` and an answer cut by the time budget are worked out every
  time.
Bounded per worker by bytes, least recently used first out; bodies over MAX_BODY_BYTES are
answered every time.
"""

import dataclasses
import re
import threading
from collections import OrderedDict
from typing import TYPE_CHECKING, Any

from krm_fn.webhook.admission import REVIEW_UID

if TYPE_CHECKING:
    from krm_fn.configfiles import ConfigSet
    from krm_fn.webhook.admission import Answer

MAX_BODY_BYTES = 256 * 1024
# What an entry costs besides its key and what its answer holds (the patch, the warnings).
ENTRY_OVERHEAD = 1024
KEPT = ("injected", "unchanged")
TOKEN_PREFIX = b"kube-api-access-"
# A whole JSON string: a quote no backslash escapes, five characters, the closing quote.
TOKEN_NAME = re.compile(rb'(?<!\\)"kube-api-access-([a-z0-9]{5})"')
# A \u escape that writes a letter, a digit or `-` (the API server never writes one).
SPELLED = re.compile(rb"\\u00(?:2d|3[0-9]|[46][1-9a-f]|[57][0-9a])", re.IGNORECASE)
PLACEHOLDER = b"\0" * 5  # never in a JSON text as it is: the key cannot meet it elsewhere


@dataclasses.dataclass(frozen=True)
class Key:
    """Where an answer is kept: the body without the uid (nor the token's name), and those two."""

    body: bytes
    uid: str
    token: bytes | None


class AnswerCache:
    """A worker's answers by review bytes; thread-safe (large bodies are answered in threads)."""

    def __init__(self, max_bytes: int) -> None:
        self.max_bytes = max_bytes
        self.size = 0
        self.configs: ConfigSet | None = None
        self.entries: OrderedDict[bytes, tuple[Answer, int]] = OrderedDict()
        self.lock = threading.Lock()

    def key(self, body: bytes, review: Any, configs: "ConfigSet") -> Key | None:
        """Where the answer to `body` is kept, if it may be (see the module's docstring)."""
        if len(body) > MAX_BODY_BYTES:
            return None
        match = REVIEW_UID.search(body, 0, 4096)
        request = review.get("request") if isinstance(review, dict) else None
        if match is None or not isinstance(request, dict):
            return None
        uid = match.group(1).decode()
        if request.get("uid") != uid:
            return None
        start, end = match.span(1)
        keyed = body[:start] + body[end:]
        token = _the_token(keyed, configs) if TOKEN_PREFIX in keyed else None
        if token is not None:
            keyed = keyed.replace(TOKEN_PREFIX + token, TOKEN_PREFIX + PLACEHOLDER)
        return Key(keyed, uid, token)

    def get(self, key: Key, configs: "ConfigSet") -> "Answer | None":
        """The answer kept under `key` for `configs`, given to the review of its uid; or None."""
        with self.lock:
            if configs is not self.configs:
                return None
            entry = self.entries.get(key.body)
            if entry is None:
                return None
            self.entries.move_to_end(key.body)
        kept = entry[0]
        response = dict(kept.review["response"])
        response["uid"] = key.uid  # the first key still: the same bytes as a fresh answer
        return dataclasses.replace(kept, review={**kept.review, "response": response}, cached=True)

    def put(self, key: Key, configs: "ConfigSet", answer: "Answer") -> None:
        """Keep `answer` under `key` if it may be given again (see the module's docstring)."""
        if answer.outcome not in KEPT or answer.reason == "error admitted":
            return
        response = answer.review["response"]
        warnings = "\n".join(response.get("warnings", []))
        if key.token is not None:
            token = TOKEN_PREFIX + key.token
            if token in answer.patch or token in warnings.encode():
                return
        patch = len(response.get("patch", "")) + len(answer.patch)  # in base64, and as it is
        cost = len(key.body) + patch + len(warnings) + ENTRY_OVERHEAD
        with self.lock:
            if configs is not self.configs:
                if self.configs is not None and configs.generation < self.configs.generation:
                    return  # worked out under configs already replaced
                self.entries.clear()
                self.size, self.configs = 0, configs
            if key.body in self.entries:
                return
            self.entries[key.body] = (answer, cost)
            self.size += cost
            while self.size > self.max_bytes:
                _, (_, dropped) = self.entries.popitem(last=False)
                self.size -= dropped


def _the_token(body: bytes, configs: "ConfigSet") -> bytes | None:
    """The token's name, when every `kube-api-access-` of the body is it, whole and as it reads."""
    if configs.documents_json is None or TOKEN_PREFIX.decode() in configs.documents_json:
        return None
    if SPELLED.search(body) is not None:
        return None
    token = None
    at = body.find(TOKEN_PREFIX)
    while at != -1:  # bytes.find: a regex scan of the whole body cost a fifth of an answer
        whole = TOKEN_NAME.match(body, at - 1) if at > 0 else None
        if whole is None or token not in (None, whole.group(1)):
            return None
        token = whole.group(1)
        at = body.find(TOKEN_PREFIX, whole.end())
    return token


__all__ = ["MAX_BODY_BYTES", "AnswerCache", "Key"]
