//! The outer process: checks what the suite needs, cleans or refuses leftovers, creates the
//! network and the data volumes, runs the controller inside the bridge namespace, and removes
//! everything at the end, on Ctrl-C and on panic.

use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Duration;

use anyhow::{Context, bail};
use nix::sys::signal::{Signal, kill};
use nix::unistd::Pid;
use tokio::signal::unix::{SignalKind, signal};

use crate::cli::Args;
use crate::cluster::{addresses, seeds};
use crate::net::{self, BRIDGE_NS};
use crate::node::{FAKETIME_LIB, Launch, Node};

/// Removes the network and the mounts when dropped, whatever ended the run.
struct Cleanup;

impl Drop for Cleanup {
    fn drop(&mut self) {
        match net::remove_all() {
            Ok(()) => println!("network namespaces and data volumes removed"),
            Err(error) => eprintln!("dkron-chaos: cleanup failed, run again to retry: {error:#}"),
        }
    }
}

fn preflight(binary: &Path) -> anyhow::Result<()> {
    if !binary.is_file() {
        bail!(
            "no dkron binary at {} (cargo build --release -p dkron, or --dkron)",
            binary.display()
        );
    }
    if !Path::new(FAKETIME_LIB).is_file() {
        bail!("libfaketime is missing ({FAKETIME_LIB}): apt-get install faketime");
    }
    for tool in [["nft", "--version"], ["tc", "-V"], ["ip", "-V"]] {
        net::run(tool[0], &tool[1..]).with_context(|| {
            format!("{} is needed (apt-get install nftables iproute2)", tool[0])
        })?;
    }
    Ok(())
}

fn absolute(path: &Path) -> anyhow::Result<PathBuf> {
    Ok(if path.is_absolute() {
        path.to_path_buf()
    } else {
        std::env::current_dir()?.join(path)
    })
}

pub async fn outer(args: Args) -> anyhow::Result<ExitCode> {
    let binary = absolute(&args.dkron)?;
    preflight(&binary)?;
    let seed = args.seed.unwrap_or_else(|| {
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|since| since.as_nanos() as u64)
            .unwrap_or(1)
    });
    println!(
        "dkron-chaos: seed {seed}, faults for {:?}, one every {:?}, {} jobs, binary {}",
        args.duration,
        args.fault_every,
        args.jobs,
        binary.display()
    );
    if !net::namespaces()?.is_empty() || !net::mounts().is_empty() {
        println!("cleaning the leftovers of an earlier run");
        net::remove_all().context("refusing to start: leftovers of an earlier run remain")?;
    }
    let work_dir = absolute(&args.work_dir)?.join(format!("seed-{seed}"));
    if work_dir.try_exists()? {
        std::fs::remove_dir_all(&work_dir)?;
    }
    std::fs::create_dir_all(&work_dir)?;
    let _cleanup = Cleanup;
    let nodes: Vec<_> = addresses();
    net::create(
        &nodes
            .iter()
            .map(|(address, _)| address.clone())
            .collect::<Vec<_>>(),
    )?;
    let launch = Launch {
        binary: binary.clone(),
        work_dir: work_dir.clone(),
        seeds: seeds(),
    };
    for (address, server) in nodes {
        Node::new(address, server).prepare(&launch)?;
    }
    std::fs::write(crate::run::out_file(&work_dir), "")?;
    println!(
        "network and data volumes ready; files in {}",
        work_dir.display()
    );
    let status = run_controller(&args, seed, &binary, &work_dir).await?;
    Ok(ExitCode::from(status))
}

/// `--faults a,b` for the controller when the run is narrowed, nothing otherwise.
fn faults_argument(kinds: &[crate::plan::FaultKind]) -> Vec<String> {
    if kinds.is_empty() {
        return Vec::new();
    }
    let names: Vec<&str> = kinds.iter().map(|kind| kind.name()).collect();
    vec!["--faults".into(), names.join(",")]
}

/// Ctrl-C (SIGINT) or SIGTERM.
pub async fn interrupted() {
    let Ok(mut terminate) = signal(SignalKind::terminate()) else {
        let _interrupted = tokio::signal::ctrl_c().await;
        return;
    };
    tokio::select! {
        _ = tokio::signal::ctrl_c() => {}
        _ = terminate.recv() => {}
    }
}

/// Runs this program again as the controller inside the bridge namespace, and waits for it
/// (on Ctrl-C, which the controller also receives, it waits for it to stop its nodes).
async fn run_controller(
    args: &Args,
    seed: u64,
    binary: &Path,
    work_dir: &Path,
) -> anyhow::Result<u8> {
    let mut child = tokio::process::Command::new("ip")
        .args(["netns", "exec", BRIDGE_NS])
        .arg(std::env::current_exe()?)
        .args(["--inside", "--seed", &seed.to_string()])
        .args(["--duration", &format!("{}s", args.duration.as_secs())])
        .args(["--fault-every", &format!("{}s", args.fault_every.as_secs())])
        .args(["--jobs", &args.jobs.to_string()])
        .args(faults_argument(&args.faults))
        .arg("--dkron")
        .arg(binary)
        .arg("--work-dir")
        .arg(work_dir)
        .spawn()
        .context("cannot start the controller")?;
    let status = tokio::select! {
        status = child.wait() => status?,
        () = interrupted() => {
            println!("interrupted: the controller stops the nodes, then everything is removed");
            if let Some(pid) = child.id() {
                // the controller may not have seen the signal (sent to this process only)
                let _forwarded = kill(Pid::from_raw(pid as i32), Signal::SIGINT);
            }
            match tokio::time::timeout(Duration::from_secs(60), child.wait()).await {
                Ok(status) => status?,
                Err(_) => {
                    child.kill().await?;
                    child.wait().await?
                }
            }
        }
    };
    Ok(status.code().map_or(2, |code| code.clamp(0, 255) as u8))
}
