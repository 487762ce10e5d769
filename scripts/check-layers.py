#!/usr/bin/env python3
"""Fails when a workspace crate depends on a workspace crate it must not see.

The allowed edges are the layering of DESIGN.md §3 / STYLE.md rule 1: dependencies point
down only, the API never sees storage, executors never see consensus.
"""
import json
import subprocess
import sys

# Every library crate of the workspace: what the agent (which wires them), the binary and the
# benchmarks may use.
LIBRARIES = {
    "dkron-model", "dkron-lifecycle", "dkron-store", "dkron-cluster", "dkron-exec",
    "dkron-worker", "dkron-scheduler", "dkron-api", "dkron-membership", "dkron-config",
    "dkron-notify", "dkron-ui", "dkron-agent", "dkron-tls", "dkron-acl", "dkron-plugin",
}

ALLOWED = {
    "dkron-model": set(),
    # TLS material: PEM files, rustls configurations, the gossip-key credential, issuing
    "dkron-tls": set(),
    # the pure rules of an occurrence and its runs (no storage, no clock)
    "dkron-lifecycle": {"dkron-model"},
    # the pure access rules (policies, globs, tokens, decisions): no workspace crate
    "dkron-acl": set(),
    "dkron-store": {"dkron-model", "dkron-lifecycle", "dkron-acl"},
    "dkron-cluster": {"dkron-model", "dkron-store", "dkron-lifecycle", "dkron-tls"},
    "dkron-exec": {"dkron-model"},
    # the node side of a run; what it needs from the cluster is its own trait (RunRecords)
    "dkron-worker": {"dkron-model", "dkron-exec", "dkron-lifecycle"},
    # the host of Dkron's go-plugin binaries: its executors are dkron-exec executors
    "dkron-plugin": {"dkron-model", "dkron-exec"},
    "dkron-scheduler": {"dkron-model"},
    "dkron-api": {"dkron-model", "dkron-acl"},
    "dkron-membership": {"dkron-model"},
    # the agent's settings: Dkron's keys, defaults, loading and validation
    "dkron-config": {"dkron-model"},
    # the notifiers (webhook, mail, Cronitor); the outbox that drives them is the agent's
    "dkron-notify": {"dkron-model", "dkron-config"},
    # the web UI's embedded files; it talks to the API over HTTP only
    "dkron-ui": set(),
    "dkron-agent": LIBRARIES - {"dkron-agent"},
    "dkron": LIBRARIES,
    # benchmark programs may measure any layer directly
    "dkron-bench": LIBRARIES,
    # the chaos suite is a black-box test: it talks to the cluster over HTTP only
    "dkron-chaos": set(),
    # real servers for tests (a dev-dependency only): no workspace crate
    "dkron-testservers": set(),
}

metadata = json.loads(subprocess.check_output(
    ["cargo", "metadata", "--format-version", "1", "--no-deps", "--locked"]))
members = {package["name"] for package in metadata["packages"]}
problems = []
for package in metadata["packages"]:
    name = package["name"]
    if name not in ALLOWED:
        if name.startswith("dkron"):
            problems.append(f"{name}: not in the layering table of scripts/check-layers.py")
        continue
    for dependency in package["dependencies"]:
        target = dependency["name"]
        if target in members and target != name and dependency["kind"] != "dev" \
                and target not in ALLOWED[name]:
            problems.append(f"{name} must not depend on {target}")
if problems:
    print("layering violations:\n  " + "\n  ".join(problems))
    sys.exit(1)
print(f"layering ok ({len(ALLOWED)} crates)")
