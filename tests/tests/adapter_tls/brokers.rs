//! Private brokers for `adapter_tls`: certificates generated with rcgen in a temp dir, a
//! `redis-server` with its TLS port, a Sentinel group (master, replica, sentinel) and a
//! RabbitMQ node with a TLS listener, each on free loopback ports and stopped on drop.

use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::Duration;

use rcgen::{
    BasicConstraints, CertificateParams, DnType, ExtendedKeyUsagePurpose, IsCa, Issuer, KeyPair,
    KeyUsagePurpose,
};
use tokio::process::{Child, Command};

use socketio_tests::{DELIVERY, Proc, skip};

/// Whether something accepts TCP connections at `hp` (`host:port`) within 2 s.
async fn listening(hp: &str) -> bool {
    matches!(
        tokio::time::timeout(Duration::from_secs(2), tokio::net::TcpStream::connect(hp)).await,
        Ok(Ok(_))
    )
}

/// A directory removed on drop.
pub struct TempDir(pub PathBuf);

impl TempDir {
    pub fn new(tag: &str) -> TempDir {
        let id = &socketio::adapter::pubsub::new_host_id()[..12];
        let dir = std::env::temp_dir().join(format!("sio-tls-{tag}-{id}"));
        std::fs::create_dir_all(&dir).unwrap();
        TempDir(dir)
    }

    pub fn path(&self, name: &str) -> PathBuf {
        self.0.join(name)
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// The PEM files of a test PKI: a CA, a server certificate for `localhost` / 127.0.0.1, a
/// client certificate, all signed by the CA, and an unrelated CA.
pub struct Certs {
    pub ca: PathBuf,
    pub server_cert: PathBuf,
    pub server_key: PathBuf,
    pub client_cert: PathBuf,
    pub client_key: PathBuf,
    pub wrong_ca: PathBuf,
}

fn ca(name: &str) -> (String, Issuer<'static, KeyPair>) {
    let mut params = CertificateParams::new(Vec::<String>::new()).unwrap();
    params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    params.distinguished_name.push(DnType::CommonName, name);
    params.key_usages = vec![
        KeyUsagePurpose::KeyCertSign,
        KeyUsagePurpose::CrlSign,
        KeyUsagePurpose::DigitalSignature,
    ];
    let key = KeyPair::generate().unwrap();
    let cert = params.self_signed(&key).unwrap();
    (cert.pem(), Issuer::new(params, key))
}

fn leaf(
    issuer: &Issuer<'static, KeyPair>,
    names: &[&str],
    usage: ExtendedKeyUsagePurpose,
) -> (String, String) {
    let mut params =
        CertificateParams::new(names.iter().map(|s| s.to_string()).collect::<Vec<_>>()).unwrap();
    params.distinguished_name.push(
        DnType::CommonName,
        names.first().copied().unwrap_or("client"),
    );
    params.use_authority_key_identifier_extension = true;
    params.key_usages = vec![
        KeyUsagePurpose::DigitalSignature,
        KeyUsagePurpose::KeyEncipherment,
    ];
    params.extended_key_usages = vec![usage];
    let key = KeyPair::generate().unwrap();
    let cert = params.signed_by(&key, issuer).unwrap();
    (cert.pem(), key.serialize_pem())
}

impl Certs {
    pub fn generate(dir: &TempDir) -> Certs {
        let (ca_pem, issuer) = ca("socketio test CA");
        let (wrong_pem, _) = ca("some other CA");
        let (server, server_key) = leaf(
            &issuer,
            &["localhost", "127.0.0.1"],
            ExtendedKeyUsagePurpose::ServerAuth,
        );
        let (client, client_key) = leaf(&issuer, &["client"], ExtendedKeyUsagePurpose::ClientAuth);
        let write = |name: &str, text: &str| {
            let p = dir.path(name);
            std::fs::write(&p, text).unwrap();
            p
        };
        Certs {
            ca: write("ca.pem", &ca_pem),
            server_cert: write("server.pem", &server),
            server_key: write("server.key", &server_key),
            client_cert: write("client.pem", &client),
            client_key: write("client.key", &client_key),
            wrong_ca: write("wrong-ca.pem", &wrong_pem),
        }
    }
}

/// A free loopback port (bound, then released).
pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// Whether `bin` runs here (skips loudly, or fails under CI, when not).
pub fn have(test: &str, bin: &str, arg: &str) -> bool {
    let ok = std::process::Command::new(bin)
        .arg(arg)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok();
    if !ok {
        skip(test, &format!("`{bin}` not found"));
    }
    ok
}

/// Wait until something accepts on 127.0.0.1:`port` (the process must stay alive).
pub async fn wait_listening(what: &str, child: &mut Child, port: u16, limit: Duration) {
    let deadline = tokio::time::Instant::now() + limit;
    let hp = format!("127.0.0.1:{port}");
    loop {
        if listening(&hp).await {
            return;
        }
        if let Ok(Some(status)) = child.try_wait() {
            panic!("{what} exited before listening on {hp}: {status}");
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "{what} not listening on {hp} within {limit:?}"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

// ---------------------------------------------------------------------------------------------
// Redis
// ---------------------------------------------------------------------------------------------

/// A private `redis-server`, killed on drop.
pub struct Redis {
    /// Held for `kill_on_drop`.
    _child: Child,
    pub port: u16,
}

fn redis_base(dir: &TempDir, name: &str) -> Command {
    let mut cmd = Command::new("redis-server");
    let d = dir.path(name);
    std::fs::create_dir_all(&d).unwrap();
    cmd.args(["--save", "", "--appendonly", "no", "--bind", "127.0.0.1"])
        .arg("--dir")
        .arg(&d)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::inherit())
        .kill_on_drop(true);
    cmd
}

impl Redis {
    /// A Redis with only a TLS port; `auth_clients`: `optional` or `yes`.
    pub async fn tls(dir: &TempDir, certs: &Certs, auth_clients: &str) -> Redis {
        let port = free_port();
        let mut cmd = redis_base(dir, &format!("redis-{port}"));
        cmd.args(["--port", "0", "--tls-port", &port.to_string()])
            .arg("--tls-cert-file")
            .arg(&certs.server_cert)
            .arg("--tls-key-file")
            .arg(&certs.server_key)
            .arg("--tls-ca-cert-file")
            .arg(&certs.ca)
            .args(["--tls-auth-clients", auth_clients]);
        let mut child = cmd.spawn().expect("spawn redis-server");
        wait_listening("redis-server --tls-port", &mut child, port, DELIVERY).await;
        Redis {
            _child: child,
            port,
        }
    }

    /// A plain Redis, replica of `master` if given.
    pub async fn plain(dir: &TempDir, master: Option<u16>) -> Redis {
        let port = free_port();
        let mut cmd = redis_base(dir, &format!("redis-{port}"));
        cmd.args(["--port", &port.to_string()]);
        if let Some(m) = master {
            cmd.args(["--replicaof", "127.0.0.1", &m.to_string()]);
        }
        let mut child = cmd.spawn().expect("spawn redis-server");
        wait_listening("redis-server", &mut child, port, DELIVERY).await;
        Redis {
            _child: child,
            port,
        }
    }

    /// A sentinel monitoring `master` as `service` (quorum 1, 1 s down-after).
    pub async fn sentinel(dir: &TempDir, service: &str, master: u16) -> Redis {
        let port = free_port();
        let conf = dir.path(&format!("sentinel-{port}.conf"));
        std::fs::write(
            &conf,
            format!(
                "port {port}\nbind 127.0.0.1\n\
                 sentinel monitor {service} 127.0.0.1 {master} 1\n\
                 sentinel down-after-milliseconds {service} 1000\n\
                 sentinel failover-timeout {service} 10000\n\
                 sentinel parallel-syncs {service} 1\n"
            ),
        )
        .unwrap();
        let mut child = Command::new("redis-server")
            .arg(&conf)
            .arg("--sentinel")
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::inherit())
            .kill_on_drop(true)
            .spawn()
            .expect("spawn redis-server --sentinel");
        wait_listening("redis sentinel", &mut child, port, DELIVERY).await;
        Redis {
            _child: child,
            port,
        }
    }
}

/// `redis-cli -p port args…` (plain TCP), its stdout.
pub async fn redis_cli(port: u16, args: &[&str]) -> String {
    let out = Command::new("redis-cli")
        .args(["-h", "127.0.0.1", "-p", &port.to_string()])
        .args(args)
        .stdin(Stdio::null())
        .kill_on_drop(true)
        .output()
        .await
        .expect("run redis-cli");
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// Poll `what` every 100 ms until it returns `true`, failing after `limit`.
pub async fn poll_until<F, Fut>(what: &str, limit: Duration, mut f: F)
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = bool>,
{
    let deadline = tokio::time::Instant::now() + limit;
    loop {
        if f().await {
            return;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "{what}: not within {limit:?}"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

// ---------------------------------------------------------------------------------------------
// RabbitMQ
// ---------------------------------------------------------------------------------------------

const RABBIT_SERVER: &str = "/usr/lib/rabbitmq/bin/rabbitmq-server";
const RABBITMQCTL: &str = "/usr/lib/rabbitmq/bin/rabbitmqctl";

/// The RabbitMQ scripts, called directly (Debian's wrapper in /usr/sbin switches to the
/// `rabbitmq` user and drops the environment that makes the node private).
pub fn rabbit_bins() -> Option<(&'static str, &'static str)> {
    (Path::new(RABBIT_SERVER).exists() && Path::new(RABBITMQCTL).exists())
        .then_some((RABBIT_SERVER, RABBITMQCTL))
}

/// A private RabbitMQ node with a TLS listener, shut down on drop.
pub struct Rabbit {
    pub child: Child,
    pub tls_port: u16,
    node: String,
    home: PathBuf,
}

impl Rabbit {
    pub async fn start(dir: &TempDir, certs: &Certs) -> Rabbit {
        let (server, _) = rabbit_bins().expect("rabbitmq scripts");
        let (plain, tls, dist) = (free_port(), free_port(), free_port());
        let node = format!(
            "sio-tls-{}@localhost",
            &socketio::adapter::pubsub::new_host_id()[..8]
        );
        let base = dir.path("rabbit");
        std::fs::create_dir_all(&base).unwrap();
        let conf = base.join("rabbitmq.conf");
        std::fs::write(
            &conf,
            format!(
                "listeners.tcp.default = {plain}\n\
                 listeners.ssl.default = {tls}\n\
                 ssl_options.cacertfile = {}\n\
                 ssl_options.certfile = {}\n\
                 ssl_options.keyfile = {}\n\
                 ssl_options.verify = verify_peer\n\
                 ssl_options.fail_if_no_peer_cert = false\n",
                certs.ca.display(),
                certs.server_cert.display(),
                certs.server_key.display()
            ),
        )
        .unwrap();
        let plugins = base.join("enabled_plugins");
        std::fs::write(&plugins, "[].\n").unwrap();
        let mut child = Command::new(server)
            .env("HOME", &base)
            .env("RABBITMQ_NODENAME", &node)
            .env("RABBITMQ_NODE_PORT", plain.to_string())
            .env("RABBITMQ_DIST_PORT", dist.to_string())
            .env("RABBITMQ_MNESIA_BASE", base.join("mnesia"))
            .env("RABBITMQ_LOG_BASE", base.join("log"))
            .env("RABBITMQ_CONFIG_FILE", &conf)
            .env("RABBITMQ_ENABLED_PLUGINS_FILE", &plugins)
            .env("RABBITMQ_PID_FILE", base.join("pid"))
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .kill_on_drop(true)
            .spawn()
            .expect("spawn rabbitmq-server");
        // Erlang boots slowly on a busy machine
        wait_listening("rabbitmq-server", &mut child, tls, Duration::from_secs(90)).await;
        Rabbit {
            child,
            tls_port: tls,
            node,
            home: base,
        }
    }
}

impl Drop for Rabbit {
    fn drop(&mut self) {
        let _ = std::process::Command::new(RABBITMQCTL)
            .env("HOME", &self.home)
            .args(["-n", &self.node, "shutdown"])
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status();
        let _ = self.child.start_kill();
    }
}

// ---------------------------------------------------------------------------------------------
// Test-bed processes with a CA file
// ---------------------------------------------------------------------------------------------

/// A test-bed process in cluster mode on `manager_url`, trusting `ca` (`MANAGER_CA_FILE`).
pub async fn testbed_with_ca(manager_url: &str, channel: &str, ca: Option<&Path>) -> Proc {
    match ca {
        Some(ca) => {
            socketio_tests::testbed_process_with(
                manager_url,
                channel,
                &[("MANAGER_CA_FILE", ca.as_os_str())],
            )
            .await
        }
        None => socketio_tests::testbed_process(manager_url, channel).await,
    }
}
