//! Picks the folder the web UI is embedded from: the committed build in `ui/dist`, or, when a
//! checkout lacks it, a one-page placeholder that says how to build it. Never runs npm.

use std::path::{Path, PathBuf};
use std::{env, fs};

fn main() {
    let manifest_dir = PathBuf::from(env::var_os("CARGO_MANIFEST_DIR").expect("set by cargo"));
    let dist = manifest_dir.join("../../ui/dist");
    println!("cargo:rerun-if-changed={}", dist.display());
    let folder = if dist.join("index.html").is_file() {
        dist
    } else {
        write_placeholder(&PathBuf::from(
            env::var_os("OUT_DIR").expect("set by cargo"),
        ))
    };
    let folder = folder.canonicalize().expect("the UI folder exists");
    println!("cargo:rustc-env=DKRON_UI_DIR={}", folder.display());
}

fn write_placeholder(out_dir: &Path) -> PathBuf {
    let folder = out_dir.join("ui-placeholder");
    fs::create_dir_all(&folder).expect("OUT_DIR is writable");
    let page = "<!doctype html><meta charset=\"utf-8\"><title>dkron-rs</title>\
        <p>This binary was built without the web UI. Build it with \
        <code>npm --prefix ui ci &amp;&amp; npm --prefix ui run build</code>, then rebuild \
        dkron-rs. The REST API is at <a href=\"/v1\">/v1</a>.</p>";
    fs::write(folder.join("index.html"), page).expect("OUT_DIR is writable");
    folder
}
