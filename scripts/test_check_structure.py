"""Unit tests of scripts/check-structure.py (the package scripts/structure/) on small
in-memory Rust snippets.

Run: python3 -m unittest scripts/test_check_structure.py (scripts/test-all does).
"""
import sys
import tempfile
import textwrap
import unittest
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import structure as check  # noqa: E402  (needs scripts/ on the path, set just above)


def scan(source: str):
    """Scans a dedented snippet."""
    return check.scan_source(textwrap.dedent(source))


def fn_with_lines(name: str, lines: int) -> str:
    """Returns a function spanning exactly `lines` lines, `fn` line and `}` included."""
    body = "".join(f"    let _v{index} = {index};\n" for index in range(lines - 2))
    return f"fn {name}() {{\n{body}}}\n"


def tree_of(files: dict[str, str]):
    """Builds the module tree of an in-memory crate rooted at src/lib.rs."""
    scans = {path: scan(source) for path, source in files.items()}
    tree = check.build_module_tree("src/lib.rs", scans.__getitem__, scans.__contains__)
    return tree, scans.__getitem__


class UseTrees(unittest.TestCase):
    def test_nested_groups_and_self_expand_to_full_paths(self):
        refs = scan("use crate::{a::X, b::{c::Y, self as bee}, d::*};").refs
        self.assertEqual(
            [(ref.segments, ref.binding, ref.glob) for ref in refs],
            [(("crate", "a", "X"), "X", False), (("crate", "b", "c", "Y"), "Y", False),
             (("crate", "b"), "bee", False), (("crate", "d"), None, True)])

    def test_pub_use_is_marked_as_a_reexport(self):
        refs = scan("pub(crate) use self::mail::MailTls;\nuse super::x::Y;").refs
        self.assertEqual([ref.reexport for ref in refs], [True, False])


class Lexing(unittest.TestCase):
    def test_paths_inside_strings_and_comments_are_not_code(self):
        source = """
            // crate::commented::out
            /* crate::block /* nested crate::deeper */ */
            fn f() -> &'static str { let _c = '"'; "crate::in_string::x" }
            fn g() { crate::real::call(); }
        """
        self.assertEqual([ref.segments for ref in scan(source).refs],
                         [("crate", "real", "call")])

    def test_braces_in_raw_strings_and_chars_do_not_end_a_function(self):
        source = 'fn f<\'a>(x: &\'a str) {\n    let _r = r#"}}} "{" "#;\n    let _c = \'}\';\n' \
                 '    let _b = b"}";\n}\nfn g() {}\n'
        spans = {span.name: (span.start, span.end) for span in scan(source).fns}
        self.assertEqual(spans, {"f": (1, 5), "g": (6, 6)})


class TestCode(unittest.TestCase):
    def test_cfg_test_module_is_excluded_from_paths_fns_and_file_length(self):
        source = "fn kept() {}\n\n#[cfg(test)]\nmod tests {\n    use crate::other::X;\n" \
                 "    fn helper() { crate::other::f(); }\n}\n"
        result = scan(source)
        self.assertEqual([span.name for span in result.fns], ["kept"])
        self.assertEqual(result.refs, [])
        self.assertEqual((result.total_lines, result.counted_lines), (7, 2))
        self.assertEqual(result.inline_mods, {("tests",): True})

    def test_test_attributes_and_testsuite_cfg_mark_test_code(self):
        source = """
            #[tokio::test]
            async fn a_test() { crate::x::y(); }
            #[cfg(any(test, feature = "testsuite"))]
            pub mod testsuite;
            #[cfg(not(test))]
            fn production() {}
            #[cfg(test)]
            #[path = "plan_test.rs"]
            mod tests;
        """
        result = scan(source)
        self.assertEqual([span.name for span in result.fns], ["production"])
        self.assertEqual([(d.name, d.test, d.path) for d in result.mod_decls],
                         [("testsuite", True, None), ("tests", True, "plan_test.rs")])


class FunctionLength(unittest.TestCase):
    def test_an_81_line_fn_is_reported_and_an_80_line_one_is_not(self):
        result = scan(fn_with_lines("long", 81) + fn_with_lines("fits", 80))
        self.assertEqual({span.name: span.lines for span in result.fns},
                         {"long": 81, "fits": 80})
        problems = check.long_fn_problems("src/a.rs", result)
        self.assertEqual([problem.key for problem in problems], ["long-fn src/a.rs long"])

    def test_methods_and_nested_fns_are_qualified(self):
        source = """
            impl<T: Clone> Trait for Holder<T> {
                fn outer(&self) -> impl Iterator<Item = u8> {
                    fn inner() {}
                    std::iter::empty()
                }
            }
        """
        self.assertEqual(sorted(span.name for span in scan(source).fns),
                         ["Holder::outer", "Holder::outer::inner"])


class ImportLoops(unittest.TestCase):
    FILES = {
        "src/lib.rs": "mod a;\nmod b;\nmod c;\npub use a::Alpha;\n",
        "src/a.rs": "use crate::b::Beta;\npub struct Alpha;\n",
        "src/b.rs": "pub struct Beta;\nfn f() { super::a::Alpha; }\n",
        "src/c.rs": "use crate::a::Alpha;\n#[cfg(test)]\nmod tests { use crate::c; }\n",
    }

    def test_a_strongly_connected_component_is_reported_with_its_edges(self):
        tree, scan_file = tree_of(self.FILES)
        problems = check.loop_problems([tree], scan_file)
        self.assertEqual([problem.key for problem in problems], ["loop src/a.rs src/b.rs"])
        self.assertEqual(problems[0].details, ["src/a.rs:1 -> src/b.rs (Beta)",
                                               "src/b.rs:2 -> src/a.rs (Alpha)"])

    def test_paths_resolve_to_the_deepest_module_file(self):
        files = {"src/lib.rs": "mod notify;\nfn f() { notify::mail::send(); crate::notify::X; }",
                 "src/notify/mod.rs": "mod mail;\n", "src/notify/mail.rs": ""}
        tree, scan_file = tree_of(files)
        edges = check.import_edges([tree], scan_file)
        self.assertEqual({key: edge.names for key, edge in edges.items()},
                         {("src/lib.rs", "src/notify/mail.rs"): {"send"},
                          ("src/lib.rs", "src/notify/mod.rs"): {"X"}})

    def test_strongly_connected_finds_every_cycle(self):
        graph = {"a": ["b"], "b": ["c"], "c": ["a"], "d": ["a", "e"], "e": ["d"], "f": []}
        components = sorted(check.strongly_connected(graph))
        self.assertEqual(components, [["a", "b", "c"], ["d", "e"], ["f"]])


class Grpc(unittest.TestCase):
    PROTO = "message Json { bytes body = 1; }\nservice Node {\n rpc Run(Json) returns (Json);\n}\n"
    RPC = "pub fn to_json<T>(v: &T) -> Result<Json, Status> { todo!() }\n" \
          "pub fn get(&self, addr: &str) -> Result<Channel, String> { todo!() }\n"

    def test_generated_module_helpers_and_service_modules_are_generated(self):
        rule = check.grpc_rule_from_sources([self.PROTO], [self.RPC])
        self.assertEqual((rule.helpers, rule.service_modules),
                         ({"to_json"}, {"node_client", "node_server"}))
        generated = rule.names_generated
        self.assertTrue(generated(("dkron_cluster", "rpc", "proto", "Json")))
        self.assertTrue(generated(("dkron_cluster", "rpc", "to_json")))
        self.assertTrue(generated(("dkron_cluster", "rpc"), glob=True))
        self.assertTrue(generated(("wire", "node_client", "NodeClient")))
        self.assertFalse(generated(("dkron_cluster", "rpc", "Channels")))
        self.assertFalse(generated(("dkron_cluster", "RaftService")))

    def test_a_file_importing_generated_types_is_reported_once_per_line(self):
        rule = check.grpc_rule_from_sources([self.PROTO], [self.RPC])
        source = "use dkron_cluster::rpc;\nuse dkron_cluster::rpc::proto::Json;\n" \
                 "fn f() { rpc::proto::Json::default(); Json::default(); }\n"
        tree, _ = tree_of({"src/lib.rs": source})
        problems = check.grpc_problems("src/lib.rs", tree, scan(source), rule)
        self.assertEqual([problem.key for problem in problems], ["grpc src/lib.rs"])
        self.assertEqual([detail.split(":")[1] for detail in problems[0].details[:-1]],
                         ["2", "3"])


class CrateLoops(unittest.TestCase):
    def test_normal_loops_are_reported_and_dev_dependency_loops_are_not(self):
        with tempfile.TemporaryDirectory() as directory:
            manifest = Path(directory) / "Cargo.toml"
            manifest.write_text("[dependencies]\nb.workspace = true\n", encoding="utf-8")

            def package(name, *dependencies):
                return {"name": name, "manifest_path": str(manifest),
                        "dependencies": [{"name": dep, "kind": kind}
                                         for dep, kind in dependencies]}
            metadata = {"packages": [package("a", ("b", None)), package("b", ("a", "build")),
                                     package("c", ("d", None)), package("d", ("c", "dev"))]}
            problems = check.crate_loop_problems(metadata)
        self.assertEqual([problem.key for problem in problems], ["crate-loop a b"])
        self.assertIn("Cargo.toml:2: a depends on b", problems[0].details[0])


class DebtList(unittest.TestCase):
    def test_new_and_fixed_debts_are_told_apart(self):
        problems = [check.Problem("long-file x.rs", []), check.Problem("grpc y.rs", [])]
        new, fixed, twice = check.compare(problems, ["grpc y.rs", "loop a.rs b.rs"])
        self.assertEqual(([p.key for p in new], fixed, twice),
                         (["long-file x.rs"], ["loop a.rs b.rs"], []))

    def test_comments_and_spacing_are_ignored(self):
        with tempfile.TemporaryDirectory() as directory:
            path = Path(directory) / "debts.txt"
            path.write_text("# header\n\nloop  a.rs b.rs  # why\n", encoding="utf-8")
            self.assertEqual(check.read_debts(path), ["loop a.rs b.rs"])


if __name__ == "__main__":
    unittest.main()
