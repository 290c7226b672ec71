//! A real PostgreSQL server for the tests: one per test binary, started on
//! first use from Debian's binaries (`/usr/lib/postgresql/<v>/bin`) in a
//! temporary data directory on a free port of 127.0.0.1, and stopped by a
//! watchdog when the test process ends. Each test gets its own database.
//! `PREFLIGHT_TEST_POSTGRES=postgres://…` uses that server instead.

use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::sync::OnceLock;

/// The server's base URL (no database), e.g. `postgres://postgres@127.0.0.1:5433`.
fn server() -> &'static str {
    static SERVER: OnceLock<String> = OnceLock::new();
    SERVER.get_or_init(|| {
        if let Ok(url) = std::env::var("PREFLIGHT_TEST_POSTGRES") {
            return url.trim_end_matches('/').to_owned();
        }
        start()
    })
}

fn bin_dir() -> PathBuf {
    let mut versions: Vec<(u32, PathBuf)> = std::fs::read_dir("/usr/lib/postgresql")
        .expect(
            "PostgreSQL is not installed: `apt-get install -y postgresql` (make test does), \
             or set PREFLIGHT_TEST_POSTGRES to a server's URL",
        )
        .filter_map(|e| e.ok())
        .filter_map(|e| {
            let v = e.file_name().to_str()?.parse().ok()?;
            Some((v, e.path().join("bin")))
        })
        .filter(|(_, p)| p.join("initdb").exists())
        .collect();
    versions.sort();
    versions
        .pop()
        .expect("no PostgreSQL server binaries under /usr/lib/postgresql")
        .1
}

fn is_root() -> bool {
    Command::new("id")
        .arg("-u")
        .output()
        .map(|o| String::from_utf8_lossy(&o.stdout).trim() == "0")
        .unwrap_or(false)
}

/// `bin args…`, as the `postgres` user when we are root (PostgreSQL
/// refuses to run as root).
fn as_postgres(bin: PathBuf, args: &[&str]) -> Command {
    if is_root() {
        let mut c = Command::new("runuser");
        c.args(["-u", "postgres", "--"]).arg(bin).args(args);
        c
    } else {
        let mut c = Command::new(bin);
        c.args(args);
        c
    }
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("no free port")
}

fn start() -> String {
    let bin = bin_dir();
    let dir = std::env::temp_dir().join(format!(
        "preflight-pg-{}-{}",
        std::process::id(),
        free_port()
    ));
    std::fs::create_dir_all(&dir).expect("temporary directory");
    if is_root() {
        let ok = Command::new("chown")
            .args(["-R", "postgres:postgres"])
            .arg(&dir)
            .status()
            .is_ok_and(|s| s.success());
        assert!(ok, "cannot give {} to the postgres user", dir.display());
    }
    let data = dir.join("data");
    let data_s = data.to_str().unwrap().to_owned();
    let out = as_postgres(
        bin.join("initdb"),
        &[
            "-D",
            &data_s,
            "-A",
            "trust",
            "-U",
            "postgres",
            "--no-sync",
            "-E",
            "UTF8",
        ],
    )
    .stdout(Stdio::null())
    .output()
    .expect("initdb runs");
    assert!(
        out.status.success(),
        "initdb failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let port = free_port();
    let options = format!(
        "-p {port} -k {} -c listen_addresses=127.0.0.1 -c fsync=off -c synchronous_commit=off -c max_connections=200",
        dir.display()
    );
    let log = dir.join("log");
    let out = as_postgres(
        bin.join("pg_ctl"),
        &[
            "-D",
            &data_s,
            "-o",
            &options,
            "-l",
            log.to_str().unwrap(),
            "-w",
            "-t",
            "60",
            "start",
        ],
    )
    .stdout(Stdio::null())
    .output()
    .expect("pg_ctl runs");
    assert!(
        out.status.success(),
        "PostgreSQL did not start: {}{}",
        String::from_utf8_lossy(&out.stderr),
        std::fs::read_to_string(&log).unwrap_or_default()
    );
    // Stops the server and removes its directory when this process ends,
    // however it ends.
    let stop = format!(
        "while kill -0 {pid} 2>/dev/null; do sleep 0.5; done; {runas}{pg_ctl} -D {data} -m immediate stop >/dev/null 2>&1; rm -rf {dir}",
        pid = std::process::id(),
        runas = if is_root() { "runuser -u postgres -- " } else { "" },
        pg_ctl = bin.join("pg_ctl").display(),
        data = data_s,
        dir = dir.display(),
    );
    // The watchdog outlives this process on purpose: it is never waited on.
    #[allow(clippy::zombie_processes)]
    let _watchdog = Command::new("setsid")
        .args(["sh", "-c", &stop])
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("the watchdog starts");
    format!("postgres://postgres@127.0.0.1:{port}")
}

/// A new, empty database on the test server, as a URL.
pub async fn fresh_database() -> String {
    use sqlx::Executor;
    let base = server();
    sqlx::any::install_default_drivers();
    let name = format!(
        "t_{}_{}",
        std::process::id(),
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_nanos()
    );
    use sqlx::Connection;
    let mut admin = sqlx::AnyConnection::connect(&format!("{base}/postgres"))
        .await
        .expect("connect to the test PostgreSQL");
    admin
        .execute(format!("CREATE DATABASE {name}").as_str())
        .await
        .expect("create a test database");
    let _ = admin.close().await;
    format!("{base}/{name}")
}
