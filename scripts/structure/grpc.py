"""The gRPC rule: generated code of the cluster crate (`rpc::proto`, the service modules
of proto/*.proto, and cluster's rpc helpers that take or return generated messages) must
not be named outside `crates/cluster`."""
from __future__ import annotations

import re
import sys
from dataclasses import dataclass
from pathlib import Path

from .filescan import FileScan
from .imports import file_aliases, resolve
from .lexer import Token, tokenize
from .modules import ModuleTree
from .problem import Problem


CLUSTER_PACKAGE = "dkron-cluster"
# Where the generated module sits inside the cluster crate, and the folder of its helpers.
GENERATED_MODULE = ("rpc", "proto")
RPC_SOURCE_DIR = "crates/cluster/src/rpc"
PROTO_DIR = "proto"


@dataclass
class GrpcRule:
    """What counts as generated gRPC code of the cluster crate (see the module doc)."""

    crate_names: set[str]  # how other crates call dkron-cluster (`dkron_cluster`)
    helpers: set[str]  # rpc helpers that take or return generated messages
    service_modules: set[str]  # `node_client`, `node_server`, ... of proto/*.proto

    def names_generated(self, segments: tuple[str, ...], glob: bool = False) -> bool:
        """Returns whether a path (in full, after aliases) names generated code."""
        if any(segment in self.service_modules for segment in segments):
            return True
        if not segments or segments[0] not in self.crate_names:
            return False
        inside = segments[1:]
        rpc, proto = GENERATED_MODULE
        if inside[:2] == (rpc, proto) or (glob and inside == (rpc,)):
            return True
        return len(inside) >= 2 and inside[0] == rpc and inside[1] in self.helpers


def snake_case(name: str) -> str:
    """Returns `RaftLog` as `raft_log`, as prost names a service's modules."""
    return re.sub(r"(?<!^)(?=[A-Z])", "_", name).lower()


def grpc_rule_from_sources(proto_texts: list[str], rpc_sources: list[str]) -> GrpcRule:
    """Builds the rule from the .proto files and the sources of cluster's rpc folder:
    the helpers are the `pub fn`s whose signature names a proto message."""
    services, messages = set(), set()
    for text in proto_texts:
        services.update(re.findall(r"^\s*service\s+(\w+)", text, re.MULTILINE))
        messages.update(re.findall(r"^\s*message\s+(\w+)", text, re.MULTILINE))
    modules = {f"{snake_case(s)}_{side}" for s in services for side in ("client", "server")}
    helpers = set()
    for source in rpc_sources:
        tokens = tokenize(source)
        for index in range(len(tokens) - 2):
            if tokens[index].text == "pub" and tokens[index + 1].text == "fn":
                signature = _signature_tokens(tokens, index + 2)
                if any(token.text in messages for token in signature):
                    helpers.add(tokens[index + 2].text)
    return GrpcRule({"dkron_cluster"}, helpers, modules)


def _signature_tokens(tokens: list[Token], index: int) -> list[Token]:
    end = index
    while end < len(tokens) and tokens[end].text not in ("{", ";"):
        end += 1
    return tokens[index:end]


def grpc_problems(file: str, tree: ModuleTree, scan: FileScan, rule: GrpcRule):
    """Reports a non-test file of another crate naming generated gRPC code. A name used
    through an import that is itself reported is not reported again."""
    module = tree.file_modules[file]
    aliases = file_aliases(scan, module)
    details = []
    for ref in scan.refs:
        expanded = resolve(tree, module + ref.module, ref.segments, aliases).external
        if not expanded or not rule.names_generated(expanded, ref.glob):
            continue
        if not ref.from_use and ref.segments[0] in aliases:
            alias_target = resolve(tree, module, (ref.segments[0],), aliases).external
            if alias_target and rule.names_generated(alias_target):
                continue
        details.append(f"{file}:{ref.line}: names generated gRPC code {'::'.join(expanded)}")
    if details:
        details.append("(generated types stay in crates/cluster: use a typed client or"
                       " service that dkron-cluster offers instead)")
    return [Problem(f"grpc {file}", details)] if details else []


def cluster_crate_names(package: dict) -> set[str]:
    """Returns the names under which a package's code sees dkron-cluster."""
    return {(dependency.get("rename") or dependency["name"]).replace("-", "_")
            for dependency in package["dependencies"]
            if dependency["name"] == CLUSTER_PACKAGE}


def load_grpc_rule() -> GrpcRule:
    """Reads the rule's sources; stops if cluster's rpc module no longer looks as the rule
    assumes, so the rule gets updated with it."""
    rpc_mod = Path(RPC_SOURCE_DIR) / "mod.rs"
    text = rpc_mod.read_text(encoding="utf-8")
    if not re.search(r"pub(?:\(crate\))? mod proto\s*\{\s*tonic::include_proto!", text):
        sys.exit(f"{rpc_mod}: the generated code is no longer `pub(crate) mod proto {{"
                 " tonic::include_proto!(..) }`: update GENERATED_MODULE and the rule in"
                 " scripts/structure/grpc.py")
    protos = [p.read_text(encoding="utf-8") for p in sorted(Path(PROTO_DIR).glob("*.proto"))]
    sources = [p.read_text(encoding="utf-8") for p in sorted(Path(RPC_SOURCE_DIR).glob("*.rs"))]
    return grpc_rule_from_sources(protos, sources)
