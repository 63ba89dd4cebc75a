"""What patterns write with: editors of a pod template and its Services, and the record.

Every change a pattern makes goes through PodEditor (pod_editor.py) or ServiceEdits
(service_editor.py), which refuse conflicts and note each item in the injection record
(record.py), so that a later run can verify it before taking it back.
"""
