//! The remote engines the remote tests make of this machine's engine: a TLS endpoint (certificates
//! made with openssl, socat terminating TLS) and an sshd, each stopped when its test ends; and
//! running dockhand with their environment set on its process only.

use std::net::TcpStream;
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

use super::super::support::{root, stderr, stdout};

/// Runs `dockhand ARGS` from the repository root with `env` set (and `remove` unset) on the
/// child process only.
pub(super) fn dockhand_with(args: &[&str], env: &[(String, String)], remove: &[&str]) -> Output {
    let mut command = Command::new(env!("CARGO_BIN_EXE_dockhand"));
    command
        .args(args)
        .current_dir(root())
        .env("CI", "true")
        .env_remove("DOCKHAND_TAG");
    for name in remove {
        command.env_remove(name);
    }
    for (k, v) in env {
        command.env(k, v);
    }
    let out = command.output().expect("run dockhand");
    eprintln!(
        "--- {} dockhand {}\n--- exit {:?}\n--- stdout\n{}\n--- stderr\n{}",
        env.iter()
            .map(|(k, v)| format!("{k}={v}"))
            .collect::<Vec<_>>()
            .join(" "),
        args.join(" "),
        out.status.code(),
        stdout(&out),
        stderr(&out)
    );
    out
}

/// A port nothing listens on right now.
pub(super) fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// Waits until something accepts connections on 127.0.0.1:`port`.
pub(super) fn wait_for_port(port: u16, what: &str, log: &Path) {
    let deadline = Instant::now() + Duration::from_secs(15);
    while TcpStream::connect(("127.0.0.1", port)).is_err() {
        assert!(
            Instant::now() < deadline,
            "{what} never listened on {port}: {}",
            std::fs::read_to_string(log).unwrap_or_default()
        );
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// Runs a set-up command, failing the test with what it printed.
pub(super) fn run(program: &str, args: &[&str], dir: &Path) {
    let out = Command::new(program)
        .args(args)
        .current_dir(dir)
        .output()
        .unwrap_or_else(|e| panic!("{program} is needed for these tests ({e}): run scripts/setup"));
    assert!(
        out.status.success(),
        "{program} {}: {}",
        args.join(" "),
        String::from_utf8_lossy(&out.stderr)
    );
}

/// A server started in a process group of its own, killed with the processes it forked for
/// its connections when the test ends, however it ends.
struct Killed(Child);

impl Killed {
    fn spawn(command: &mut Command, what: &str) -> Killed {
        let child = command.process_group(0).spawn().unwrap_or_else(|e| {
            panic!("{what} is needed for these tests ({e}): run scripts/setup")
        });
        Killed(child)
    }
}

impl Drop for Killed {
    fn drop(&mut self) {
        let _ = Command::new("kill")
            .args(["-KILL", "--", &format!("-{}", self.0.id())])
            .status();
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// A CA and a certificate signed by it, made with openssl in `dir`.
pub(super) fn make_ca(dir: &Path, name: &str) {
    run(
        "openssl",
        &[
            "req",
            "-x509",
            "-newkey",
            "rsa:2048",
            "-nodes",
            "-days",
            "2",
            "-subj",
            &format!("/CN={name}"),
            "-keyout",
            "ca.key",
            "-out",
            "ca.pem",
        ],
        dir,
    );
}

/// A certificate for `usage` (`serverAuth`, `clientAuth`) signed by the CA in `dir`, written
/// as `cert` and `key` there.
pub(super) fn sign(dir: &Path, cn: &str, usage: &str, cert: &str, key: &str) {
    let csr = format!("{cert}.csr");
    let ext = format!("{cert}.ext");
    run(
        "openssl",
        &[
            "req",
            "-newkey",
            "rsa:2048",
            "-nodes",
            "-subj",
            &format!("/CN={cn}"),
            "-keyout",
            key,
            "-out",
            &csr,
        ],
        dir,
    );
    let mut extensions = format!("extendedKeyUsage={usage}\n");
    if usage == "serverAuth" {
        extensions.push_str("subjectAltName=IP:127.0.0.1\n");
    }
    std::fs::write(dir.join(&ext), extensions).unwrap();
    run(
        "openssl",
        &[
            "x509",
            "-req",
            "-days",
            "2",
            "-in",
            &csr,
            "-CA",
            "ca.pem",
            "-CAkey",
            "ca.key",
            "-CAcreateserial",
            "-extfile",
            &ext,
            "-out",
            cert,
        ],
        dir,
    );
}

/// This machine's engine behind TLS on 127.0.0.1, as a remote engine would be: socat
/// terminates TLS (requiring a client certificate signed by the test's CA) and passes the
/// stream to the engine's socket.
pub(super) struct TlsEndpoint {
    pub(super) dir: tempfile::TempDir,
    port: u16,
    _socat: Killed,
}

impl TlsEndpoint {
    pub(super) fn start() -> TlsEndpoint {
        let dir = tempfile::tempdir().unwrap();
        let d = dir.path();
        make_ca(d, "dockhand test CA");
        sign(d, "127.0.0.1", "serverAuth", "server.pem", "server.key");
        // The client's files, as DOCKER_CERT_PATH holds them.
        let client = d.join("client");
        std::fs::create_dir(&client).unwrap();
        sign(
            d,
            "client",
            "clientAuth",
            "client/cert.pem",
            "client/key.pem",
        );
        std::fs::copy(d.join("ca.pem"), client.join("ca.pem")).unwrap();
        // socat's OpenSSL shares one context among its forked children: a client resuming a
        // session there would meet "session id context uninitialized". No tickets, no
        // resumption.
        std::fs::write(
            d.join("openssl.cnf"),
            "openssl_conf = conf\n[conf]\nssl_conf = ssl\n[ssl]\nsystem_default = tls\n[tls]\nOptions = -SessionTicket\nNumTickets = 0\n",
        )
        .unwrap();
        let port = free_port();
        let log = d.join("socat.log");
        let listen = format!(
            "OPENSSL-LISTEN:{port},bind=127.0.0.1,reuseaddr,fork,cert={},key={},cafile={},verify=1",
            d.join("server.pem").display(),
            d.join("server.key").display(),
            d.join("ca.pem").display()
        );
        let socat = Killed::spawn(
            Command::new("socat")
                .arg(listen)
                .arg("UNIX-CONNECT:/var/run/docker.sock")
                .env("OPENSSL_CONF", d.join("openssl.cnf"))
                .stdin(Stdio::null())
                .stdout(Stdio::null())
                .stderr(std::fs::File::create(&log).unwrap()),
            "socat",
        );
        wait_for_port(port, "socat", &log);
        TlsEndpoint {
            dir,
            port,
            _socat: socat,
        }
    }

    pub(super) fn address(&self) -> String {
        format!("tcp://127.0.0.1:{}", self.port)
    }

    /// The client's TLS folder: ca.pem, cert.pem, key.pem.
    pub(super) fn client_dir(&self) -> PathBuf {
        self.dir.path().join("client")
    }

    /// The environment that points dockhand here, with the TLS files of `cert_dir`.
    pub(super) fn env_with(&self, cert_dir: &Path) -> Vec<(String, String)> {
        vec![
            ("DOCKER_HOST".into(), self.address()),
            ("DOCKER_TLS_VERIFY".into(), "1".into()),
            ("DOCKER_CERT_PATH".into(), cert_dir.display().to_string()),
        ]
    }

    pub(super) fn env(&self) -> Vec<(String, String)> {
        self.env_with(&self.client_dir())
    }
}

/// The name the ssh configs of [`Sshd`] give it: an alias for root at 127.0.0.1 and its port.
pub(super) const ALIAS: &str = "engine-box";

/// An sshd on 127.0.0.1 with its own host key and one authorised key, both made here; the
/// docker CLI on this machine answers `docker system dial-stdio` behind it.
pub(super) struct Sshd {
    pub(super) dir: tempfile::TempDir,
    port: u16,
    _sshd: Killed,
}

impl Sshd {
    pub(super) fn start() -> Sshd {
        let dir = tempfile::tempdir().unwrap();
        let d = dir.path();
        for key in ["host_key", "id", "stranger"] {
            run(
                "ssh-keygen",
                &["-q", "-t", "ed25519", "-N", "", "-f", key],
                d,
            );
        }
        std::fs::copy(d.join("id.pub"), d.join("authorized_keys")).unwrap();
        let port = free_port();
        std::fs::write(
            d.join("sshd_config"),
            format!(
                "Port {port}\nListenAddress 127.0.0.1\nHostKey {dir}/host_key\nAuthorizedKeysFile {dir}/authorized_keys\nPermitRootLogin prohibit-password\nPasswordAuthentication no\nKbdInteractiveAuthentication no\nUsePAM no\nStrictModes no\nPidFile none\n",
                dir = d.display()
            ),
        )
        .unwrap();
        for (config, key) in [("ssh_config", "id"), ("stranger_config", "stranger")] {
            std::fs::write(
                d.join(config),
                format!(
                    "Host {ALIAS}\n  HostName 127.0.0.1\n  Port {port}\n  User root\nHost *\n  IdentityFile {}\n  IdentitiesOnly yes\n  StrictHostKeyChecking no\n  UserKnownHostsFile /dev/null\n",
                    d.join(key).display()
                ),
            )
            .unwrap();
        }
        // sshd's privilege separation folder.
        std::fs::create_dir_all("/run/sshd").unwrap();
        let log = d.join("sshd.log");
        let sshd = Killed::spawn(
            Command::new("/usr/sbin/sshd")
                .args(["-D", "-e", "-f"])
                .arg(d.join("sshd_config"))
                .stdin(Stdio::null())
                .stdout(Stdio::null())
                .stderr(std::fs::File::create(&log).unwrap()),
            "sshd (openssh-server)",
        );
        wait_for_port(port, "sshd", &log);
        Sshd {
            dir,
            port,
            _sshd: sshd,
        }
    }

    pub(super) fn address(&self) -> String {
        format!("ssh://root@127.0.0.1:{}", self.port)
    }

    /// The environment that points dockhand here, logging in with the ssh config `config`.
    pub(super) fn env(&self, config: &str) -> Vec<(String, String)> {
        self.env_at(&self.address(), config)
    }

    /// [`env`](Self::env) with the address `address` (the alias, say).
    pub(super) fn env_at(&self, address: &str, config: &str) -> Vec<(String, String)> {
        vec![
            ("DOCKER_HOST".into(), address.to_string()),
            (
                "DOCKHAND_SSH_COMMAND".into(),
                format!("ssh -F {}", self.dir.path().join(config).display()),
            ),
        ]
    }
}
