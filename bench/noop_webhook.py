"""The floor for the webhook benchmark: `krm-fn webhook`'s server, answering without looking.

The same processes, uvicorn workers, TLS, request parsing and metrics; only `answer` is replaced
by one that allows every pod unchanged.
"""

import sys
from typing import Any

from krm_fn.webhook import server
from krm_fn.webhook.admission import Answer
from krm_fn.webhook.command import main


def allow(review: Any, configs: Any) -> Answer:
    """Allow, unchanged: no config, no core, no patch."""
    request = review["request"]
    response = {"uid": request["uid"], "allowed": True}
    return Answer(
        {"apiVersion": review["apiVersion"], "kind": "AdmissionReview", "response": response},
        "unchanged",
        "noop",
    )


server.answer = allow  # type: ignore[assignment]
sys.exit(main(sys.argv[1:], sys.stdout, sys.stderr))
