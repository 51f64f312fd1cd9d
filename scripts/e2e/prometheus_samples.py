"""Reads the Prometheus text format on stdin and prints its samples as JSON, parsed by the official
Python client's parser: [{"family", "type", "name", "labels", "value"}, ...]."""
import json
import sys

from prometheus_client.parser import text_string_to_metric_families

samples = [
    {"family": family.name, "type": family.type, "name": s.name, "labels": s.labels, "value": s.value}
    for family in text_string_to_metric_families(sys.stdin.read())
    for s in family.samples
]
json.dump(samples, sys.stdout)
