"""The floor krm-fn is measured against: a PyYAML C round trip (load + dump) of stdin."""

import sys

import yaml

document = yaml.load(sys.stdin.buffer.read(), Loader=yaml.CSafeLoader)
sys.stdout.write(yaml.dump(document, Dumper=yaml.CSafeDumper))
