"""The records of the Services a run may change: undone first, added to per pod, written last.

A Service can be selected by several workloads, so its record is not a pod's: the run undoes
what its configs recorded in every Service before any pod, each pod's editors add their entries
as they go, and the records are judged and written once all pods are done.
"""

from collections.abc import Callable
from typing import Any

from krm_fn.editing.record import Entry, RecordError, read_record, write_record
from krm_fn.engine.undo import Undone, judge_undone, record_error, undo_service
from krm_fn.manifests.results import Result

ANNOTATIONS = "metadata.annotations"


class ServiceRecords:
    """The Services of a run's input and their records.

    `keys` are the run's configs; `save` is called with a Service before it changes (the run
    can roll back), and `saved` says whether it was; findings go to `results`.
    """

    def __init__(
        self,
        keys: list[str],
        save: Callable[[dict[str, Any]], None],
        saved: Callable[[dict[str, Any]], bool],
        results: list[Result],
    ) -> None:
        self.keys = keys
        self.save = save
        self.saved = saved
        self.results = results
        self.records: dict[int, tuple[dict[str, Any], dict[str, Entry]]] = {}
        self.undone: list[tuple[dict[str, Any], str, Undone]] = []

    def undo(self, service: dict[str, Any]) -> bool:
        """Take back what the run's configs recorded in a Service; whether there was any."""
        try:
            record = read_record(service, service=True)
        except RecordError as err:
            self.results.append(record_error(service, ANNOTATIONS, err))
            return False
        self.records[id(service)] = (service, record)
        if not set(record) & set(self.keys):
            return False
        self.save(service)
        for key in reversed(self.keys):
            if key in record:
                self.undone.append((service, key, undo_service(service, key, record.pop(key))))
        return True

    def add(self, service: dict[str, Any], key: str, entry: Entry) -> None:
        """Add what one config changed in a Service for one pod to its entry."""
        _, record = self.records.setdefault(id(service), (service, {}))
        old = record.setdefault(key, Entry())
        old.ports.update({k: v for k, v in entry.ports.items() if k not in old.ports})
        old.portsWas.update({k: v for k, v in entry.portsWas.items() if k not in old.portsWas})

    def finish(self) -> None:
        """Judge what undoing left to be injected again; write the records of changed Services."""
        for service, key, undone in self.undone:
            entry = self.records[id(service)][1].get(key)
            self.results += judge_undone(service, ANNOTATIONS, key, undone, entry)
        for service, record in self.records.values():
            if self.saved(service):
                write_record(service, record)
