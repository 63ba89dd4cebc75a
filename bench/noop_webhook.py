"""The floor for the webhook benchmark: `krm-fn webhook`'s server, answering without looking.

The same processes, workers, TLS, request parsing and metrics; only `answer_body` is replaced
by one that allows every pod unchanged.
"""

import sys
from typing import Any

from krm_fn.webhook import server
from krm_fn.webhook.admission import Answer
from krm_fn.webhook.command import main
from krm_fn.webhook.jsoncodec import loads


def allow(body: bytes, configs: Any, deadline: Any = None, cache: Any = None) -> Answer:
    """Parse the review as krm-fn does and allow it, unchanged: no config, no core, no patch."""
    review = loads(body)
    request = review["request"]
    response = {"uid": request["uid"], "allowed": True}
    return Answer(
        {"apiVersion": review["apiVersion"], "kind": "AdmissionReview", "response": response},
        "unchanged",
        "noop",
    )


server.answer_body = allow  # type: ignore[assignment]
sys.exit(main(sys.argv[1:], sys.stdout, sys.stderr))
