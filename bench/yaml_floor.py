"""The floor krm-fn is measured against: a PyYAML C round trip (load + dump) of stdin.

--no-gc turns the cyclic garbage collector off first, as krm-fn does (a context row).
"""

import gc
import sys

import yaml

if "--no-gc" in sys.argv:
    gc.disable()

document = yaml.load(sys.stdin.buffer.read(), Loader=yaml.CSafeLoader)
sys.stdout.write(yaml.dump(document, Dumper=yaml.CSafeDumper))
