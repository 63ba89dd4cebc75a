"""What keeping styles costs: krm-fn's YAML read and write of a ResourceList on stdin.

With --styles, quotes and flow collections are noted on reading and written back, as the KRM
path does; without, the same read and write without them.
"""

import sys

from krm_fn.manifests import yamlio

text = sys.stdin.read()
if "--styles" in sys.argv:
    styles: yamlio.Styles = []
    resource_list = yamlio.load(text, "stdin", styles)
    parts = yamlio.styles_by_part(resource_list, styles[0])
    sys.stdout.write(yamlio.dump_resource_list(resource_list, parts))
else:
    sys.stdout.write(yamlio.dump_resource_list(yamlio.load(text, "stdin")))
