//! Test support: the example binary as a child process, and a tiny HTTP/1.1 client.
//!
//! Every wait is bounded, so a broken server fails a test instead of hanging it,
//! and the child is killed when a test ends early (see [`Server`]'s `Drop`).

#![allow(dead_code)] // each test binary uses a different part of this module

use std::io::{BufRead, BufReader, ErrorKind, Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::path::PathBuf;
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::mpsc;
use std::time::{Duration, Instant};

/// How long the server may take to print its address (it starts CPython first).
const STARTUP_TIMEOUT: Duration = Duration::from_secs(30);
/// Bound on connecting, writing and each read of a request.
const IO_TIMEOUT: Duration = Duration::from_secs(10);

/// The running example binary. Dropping it kills the process if it still runs and,
/// when the test is failing, prints the server's log.
pub struct Server {
    child: Child,
    pub address: SocketAddr,
    log: PathBuf,
}

impl Server {
    /// Starts the binary on a free port and waits for its `listening on` line.
    pub fn start() -> Server {
        static STARTED: AtomicUsize = AtomicUsize::new(0);
        let log = std::env::temp_dir().join(format!(
            "http-example-test-{}-{}.log",
            std::process::id(),
            STARTED.fetch_add(1, Ordering::Relaxed)
        ));
        let child = Command::new(env!("CARGO_BIN_EXE_http-example"))
            .arg("0")
            .env("RUST_LOG", "debug")
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(std::fs::File::create(&log).expect("cannot create the server log file"))
            .spawn()
            .expect("cannot start the http-example binary");
        let mut server = Server {
            child,
            address: SocketAddr::from(([127, 0, 0, 1], 0)),
            log,
        };
        server.address = server.read_address();
        server
    }

    /// Reads the first stdout line on a helper thread, so the wait can be bounded.
    fn read_address(&mut self) -> SocketAddr {
        let stdout = self.child.stdout.take().expect("stdout is piped");
        let (sender, receiver) = mpsc::channel();
        std::thread::spawn(move || {
            let mut reader = BufReader::new(stdout);
            let mut line = String::new();
            let _ = sender.send(reader.read_line(&mut line).map(|_| line));
            // Keep draining, so a chatty server never blocks on a full pipe.
            let _ = std::io::copy(&mut reader, &mut std::io::sink());
        });
        let line = receiver
            .recv_timeout(STARTUP_TIMEOUT)
            .expect("the server printed no address in time")
            .expect("cannot read the server's stdout");
        let address = line
            .trim()
            .strip_prefix("listening on http://")
            .unwrap_or_else(|| panic!("unexpected first line {line:?}"));
        let address: SocketAddr = address.parse().expect("not a socket address");
        assert!(
            address.ip().is_loopback(),
            "listens on {address}, not loopback"
        );
        assert_ne!(address.port(), 0);
        address
    }

    /// The process id, for `kill`.
    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// Sends `signal` (`"INT"`, `"TERM"`) with the `kill` command.
    pub fn signal(&self, signal: &str) {
        let status = Command::new("kill")
            .args([format!("-{signal}"), self.pid().to_string()])
            .status()
            .expect("cannot run kill");
        assert!(status.success(), "kill -{signal} failed: {status}");
    }

    /// Waits up to `timeout` for the process to exit.
    pub fn wait_exit(&mut self, timeout: Duration) -> Option<ExitStatus> {
        let deadline = Instant::now() + timeout;
        loop {
            if let Some(status) = self.child.try_wait().expect("cannot wait for the server") {
                return Some(status);
            }
            if Instant::now() >= deadline {
                return None;
            }
            std::thread::sleep(Duration::from_millis(10));
        }
    }

    /// What the server wrote to stderr so far.
    pub fn log(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }

    /// `GET path` on a fresh connection.
    pub fn get(&self, path: &str) -> Response {
        request(self.address, "GET", path)
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        if self.child.try_wait().ok().flatten().is_none() {
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
        if std::thread::panicking() {
            eprintln!(
                "--- server log ---\n{}--- end of server log ---",
                self.log()
            );
        }
        let _ = std::fs::remove_file(&self.log);
    }
}

/// A parsed HTTP response.
#[derive(Debug)]
pub struct Response {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: String,
}

/// Sends one request with `Connection: close` and reads the whole response.
pub fn request(address: SocketAddr, method: &str, path: &str) -> Response {
    let raw = try_request(address, method, path)
        .unwrap_or_else(|error| panic!("{method} {path}: {error}"));
    parse(&raw)
}

/// [`request`] without the parsing and the panics: the raw response or the I/O error.
pub fn try_request(address: SocketAddr, method: &str, path: &str) -> std::io::Result<Vec<u8>> {
    let mut stream = TcpStream::connect_timeout(&address, IO_TIMEOUT)?;
    stream.set_read_timeout(Some(IO_TIMEOUT))?;
    stream.set_write_timeout(Some(IO_TIMEOUT))?;
    write!(
        stream,
        "{method} {path} HTTP/1.1\r\nHost: {address}\r\nUser-Agent: pime-test\r\nConnection: close\r\n\r\n"
    )?;
    let mut raw = Vec::new();
    stream.read_to_end(&mut raw)?;
    Ok(raw)
}

fn parse(raw: &[u8]) -> Response {
    let text = String::from_utf8_lossy(raw);
    let (head, body) = text
        .split_once("\r\n\r\n")
        .unwrap_or_else(|| panic!("no complete response head in {text:?}"));
    let mut lines = head.split("\r\n");
    let status_line = lines.next().unwrap_or_default();
    let status = status_line
        .split(' ')
        .nth(1)
        .and_then(|code| code.parse().ok())
        .unwrap_or_else(|| panic!("bad status line {status_line:?}"));
    let headers: Vec<(String, String)> = lines
        .filter_map(|line| line.split_once(':'))
        .map(|(name, value)| (name.trim().to_ascii_lowercase(), value.trim().to_owned()))
        .collect();
    let mut body = body.to_owned();
    // The server sets Content-Length; hold it to that, so a cut body is caught.
    if let Some((_, length)) = headers.iter().find(|(name, _)| name == "content-length") {
        let length: usize = length.parse().expect("bad content-length");
        assert_eq!(
            body.len(),
            length,
            "body shorter or longer than its Content-Length"
        );
        body.truncate(length);
    }
    Response {
        status,
        headers,
        body,
    }
}

/// Whether a new TCP connection to `address` is refused.
pub fn connection_refused(address: SocketAddr) -> bool {
    match TcpStream::connect_timeout(&address, Duration::from_secs(1)) {
        Ok(_) => false,
        Err(error) => error.kind() == ErrorKind::ConnectionRefused,
    }
}
