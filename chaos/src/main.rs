//! `dkron-chaos`: starts 3 servers and 2 agents of the real `dkron` binary, each in its own
//! network namespace, runs jobs that append a line per run to a file outside the cluster,
//! injects random faults from a printed seed, then checks the file against the ledgers.
//! See docs/chaos.md.

mod acks;
mod api;
mod check;
mod cli;
mod cluster;
mod faults;
mod figures;
mod jobs;
mod net;
mod node;
mod outer;
mod plan;
mod report;
mod rng;
mod run;
mod writes;

use std::process::ExitCode;

use clap::Parser;

use cli::Args;

fn main() -> ExitCode {
    let args = Args::parse();
    let _installed = rustls::crypto::ring::default_provider().install_default();
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(error) => {
            eprintln!("dkron-chaos: cannot start the runtime: {error}");
            return ExitCode::from(2);
        }
    };
    let result = if args.inside {
        runtime.block_on(inside(args))
    } else {
        runtime.block_on(outer::outer(args))
    };
    match result {
        Ok(code) => code,
        Err(error) => {
            eprintln!("dkron-chaos: {error:#}");
            ExitCode::from(2)
        }
    }
}

/// The controller: runs the scenario; Ctrl-C drops it, which kills every node it started.
async fn inside(args: Args) -> anyhow::Result<ExitCode> {
    let settings = run::Settings {
        seed: args.seed.unwrap_or_default(),
        run: args.duration,
        every: args.fault_every,
        jobs: args.jobs,
        kinds: args.faults,
        binary: args.dkron,
        work_dir: args.work_dir,
    };
    tokio::select! {
        clean = run::run_inside(&settings) => Ok(if clean? { ExitCode::SUCCESS } else { ExitCode::from(1) }),
        () = outer::interrupted() => anyhow::bail!("interrupted; the nodes are stopped"),
    }
}
