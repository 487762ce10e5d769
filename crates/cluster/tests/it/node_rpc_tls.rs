//! Node RPC obeys only its cluster (issue 13): with mutual TLS, from certificate files or
//! derived from the gossip key, a client without the cluster's credential cannot get a
//! forged `Node.Run` or `Node.Leave` through, and the handler never sees it; a member can.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use dkron_cluster::rpc::{
    Channels, NodeCalls, NodeHandler, RpcServer, RunStreamEvent, ServiceError,
};
use dkron_model::Execution;
use dkron_tls::{CaRequest, CertFiles, CertRequest, RpcTls, create_ca, create_cert};
use futures::Stream;

/// Counts what reached the node.
#[derive(Clone, Default)]
struct CountingNode {
    runs: Arc<AtomicUsize>,
    leaves: Arc<AtomicUsize>,
}

impl NodeHandler for CountingNode {
    type RunOrder = serde_json::Value;
    type Summary = bool;
    type RunState = bool;
    type KillOrder = serde_json::Value;

    fn run(
        &self,
        _order: serde_json::Value,
    ) -> Result<impl Stream<Item = RunStreamEvent<bool>> + Send + 'static, ServiceError> {
        self.runs.fetch_add(1, Ordering::SeqCst);
        Ok(futures::stream::iter([
            RunStreamEvent::Accepted {
                already_known: false,
            },
            RunStreamEvent::Finished(true),
        ]))
    }

    async fn run_status(&self, runs: Vec<(String, String)>) -> Vec<bool> {
        vec![false; runs.len()]
    }

    async fn running(&self) -> Vec<Execution> {
        Vec::new()
    }

    async fn running_one(&self, _job: String, _execution_id: String) -> Option<Execution> {
        None
    }

    async fn leave(&self) {
        self.leaves.fetch_add(1, Ordering::SeqCst);
    }

    async fn kill(&self, _order: serde_json::Value) -> Result<bool, ServiceError> {
        Ok(false)
    }
}

/// Serves `node` with `tls` on a loopback port; returns its address.
async fn serve(node: CountingNode, tls: Option<RpcTls>) -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap().to_string();
    let server_tls = tls.map(|tls| tls.server);
    tokio::spawn(RpcServer::new(node).serve(listener, server_tls, std::future::pending()));
    addr
}

fn forged_order() -> serde_json::Value {
    serde_json::json!({"job": {"name": "forged", "command": "touch /tmp/pwned"}})
}

/// Sends a forged run and a leave with `channels`; returns whether each got through.
async fn try_run_and_leave(channels: &Channels, addr: &str) -> (bool, bool) {
    let calls = NodeCalls::new(channels, addr).with_deadline(Duration::from_secs(5));
    let ran = match calls.run::<_, bool>(&forged_order()).await {
        Ok(mut events) => matches!(events.next_event().await, Ok(Some(_))),
        Err(_) => false,
    };
    let left = calls.leave().await.is_ok();
    (ran, left)
}

fn files_under(
    dir: &std::path::Path,
    ca_name: &str,
    node: &str,
) -> (CertFiles, std::path::PathBuf) {
    let ca = create_ca(&CaRequest {
        common_name: ca_name.into(),
        days: 1,
    })
    .unwrap();
    let cert = create_cert(&CertRequest {
        common_name: node.into(),
        names: vec!["127.0.0.1".into()],
        days: 1,
        ca_cert_pem: ca.cert_pem.clone(),
        ca_key_pem: ca.key_pem.clone(),
    })
    .unwrap();
    let write = |name: &str, text: &str| {
        let path = dir.join(format!("{ca_name}-{name}"));
        std::fs::write(&path, text).unwrap();
        path
    };
    let ca_file = write("ca.pem", &ca.cert_pem);
    let files = CertFiles {
        cert_file: write("node.pem", &cert.cert_pem),
        key_file: write("node-key.pem", &cert.key_pem),
        trusted_ca_file: Some(ca_file.clone()),
        client_crl_file: None,
    };
    (files, ca_file)
}

#[tokio::test]
async fn with_certificates_forged_run_and_leave_are_refused_and_a_member_gets_through() {
    let dir = tempfile::tempdir().unwrap();
    let (node_files, ca_file) = files_under(dir.path(), "cluster", "node");
    let node_tls = dkron_tls::rpc_tls_from_files(&node_files, &ca_file).unwrap();
    let node = CountingNode::default();
    let addr = serve(node.clone(), Some(node_tls.clone())).await;

    tracing::info!("a plain-text client and a client of another CA are refused");
    assert_eq!(
        try_run_and_leave(&Channels::default(), &addr).await,
        (false, false)
    );
    let (other_files, other_ca) = files_under(dir.path(), "other", "intruder");
    let intruder = dkron_tls::rpc_tls_from_files(&other_files, &other_ca).unwrap();
    let intruder_channels = Channels::with_tls(Some(intruder.client));
    assert_eq!(
        try_run_and_leave(&intruder_channels, &addr).await,
        (false, false)
    );
    assert_eq!(
        node.runs.load(Ordering::SeqCst),
        0,
        "no forged run reached the node"
    );
    assert_eq!(
        node.leaves.load(Ordering::SeqCst),
        0,
        "no forged leave reached the node"
    );

    tracing::info!("a member of the cluster gets through");
    let member = Channels::with_tls(Some(node_tls.client));
    assert_eq!(try_run_and_leave(&member, &addr).await, (true, true));
    assert_eq!(node.runs.load(Ordering::SeqCst), 1);
}

#[tokio::test]
async fn with_only_a_gossip_key_forged_run_and_leave_are_refused_and_a_member_gets_through() {
    let key = [9u8; 16];
    let node = CountingNode::default();
    let addr = serve(
        node.clone(),
        Some(dkron_tls::derive_rpc_tls(&key, "node").unwrap()),
    )
    .await;

    assert_eq!(
        try_run_and_leave(&Channels::default(), &addr).await,
        (false, false)
    );
    let guesser = dkron_tls::derive_rpc_tls(&[10u8; 16], "guesser").unwrap();
    let guesser_channels = Channels::with_tls(Some(guesser.client));
    assert_eq!(
        try_run_and_leave(&guesser_channels, &addr).await,
        (false, false)
    );
    assert_eq!(
        node.runs.load(Ordering::SeqCst) + node.leaves.load(Ordering::SeqCst),
        0
    );

    let member = dkron_tls::derive_rpc_tls(&key, "member").unwrap();
    let member_channels = Channels::with_tls(Some(member.client));
    assert_eq!(
        try_run_and_leave(&member_channels, &addr).await,
        (true, true)
    );
    assert_eq!(node.leaves.load(Ordering::SeqCst), 1);
}
