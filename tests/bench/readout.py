#!/usr/bin/env python3
"""One-line readouts for tests/bench/run.sh's table.

    readout.py requests BEFORE AFTER   what the apiserver served between two scrapes of its own
                                       /metrics (apiserver_request_total and
                                       apiserver_request_duration_seconds_sum), by verb, resource
                                       and subresource. Leases are left out (the apiserver renews
                                       its own every 10 s whatever the client does), and so is the
                                       AFTER scrape itself.
    readout.py served BEFORE AFTER     what the fake kubelets served between two
                                       kubelet-stats.json snapshots
    readout.py answered FILE           check-nodes -o json: nodes whose gate was read
    readout.py workloads FILE          doctor -o json: the workloads coverage line
"""
import json
import re
import sys
from collections import Counter

SERIES = re.compile(r'^(apiserver_request_total|apiserver_request_duration_seconds_sum)\{([^}]*)\} (\S+)$')
LABEL = re.compile(r'(\w+)="((?:[^"\\]|\\.)*)"')


def read(path):
    counts, seconds = Counter(), Counter()
    with open(path, encoding="utf-8", errors="replace") as f:
        for line in f:
            m = SERIES.match(line.strip())
            if not m:
                continue
            labels = dict(LABEL.findall(m.group(2)))
            if labels.get("resource") == "leases":
                continue
            what = " ".join(x for x in (labels.get("verb", "?"), labels.get("resource", "") +
                            ("/" + labels["subresource"] if labels.get("subresource") else "")) if x)
            if not labels.get("resource"):
                what = labels.get("verb", "?") + " (non-resource)"
            target = counts if m.group(1) == "apiserver_request_total" else seconds
            target[what] += float(m.group(3))
    return counts, seconds


def requests(before, after):
    (c0, s0), (c1, s1) = read(before), read(after)
    delta = Counter({k: c1[k] - c0.get(k, 0) for k in c1})
    delta["GET (non-resource)"] -= 1  # the AFTER scrape itself
    delta = +delta
    served = sum(s1.values()) - sum(s0.values())
    parts = ", ".join(f"{k} {int(v)}" for k, v in delta.most_common(6))
    print(f"{int(sum(delta.values()))} requests ({parts}); {served:.2f} s served")


def served(before, after):
    with open(before) as f:
        a = json.load(f)
    with open(after) as f:
        b = json.load(f)
    d = {k: b[k] - a.get(k, 0) for k in b}
    answers = d["metricsGzip"] + d["metricsIdentity"]
    each = d["metricsBytes"] // answers if answers else 0
    kind = "gzip" if d["metricsIdentity"] == 0 else ("identity" if d["metricsGzip"] == 0 else "mixed")
    print(f"{d['connections']} conn, {answers} answers, {each} B ({kind})")


def load(path):
    try:
        with open(path) as f:
            return json.load(f)
    except ValueError:
        return None


def find(v, pred):
    """The first dict in v (depth first) for which pred holds: the outputs may gain an envelope."""
    if isinstance(v, dict):
        if pred(v):
            return v
        v = list(v.values())
    if isinstance(v, list):
        for x in v:
            r = find(x, pred)
            if r is not None:
                return r
    return None


def answered(path):
    doc = load(path)
    holder = find(doc, lambda d: isinstance(d.get("nodes"), list) and d["nodes"] and "gate" in d["nodes"][0])
    if holder is None:
        print("no nodes in the output")
        return
    nodes = holder["nodes"]
    read = sum(1 for n in nodes if (n.get("gate") or {}).get("source") != "unknown")
    print(f"{read}/{len(nodes)} nodes read")


def workloads(path):
    doc = load(path)
    section = find(doc, lambda d: d.get("section") == "workloads" and "examined" in d)
    if section is None:
        print("no workloads coverage in the output")
        return
    verdict = find(doc, lambda d: isinstance(d.get("verdict"), str))
    print(f"verdict {verdict['verdict'] if verdict else '?'}, {section.get('examined')} of {section.get('total')} pods examined")


if __name__ == "__main__":
    {"requests": requests, "served": served, "answered": answered, "workloads": workloads}[sys.argv[1]](*sys.argv[2:])
