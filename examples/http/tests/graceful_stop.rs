//! SIGINT and SIGTERM stop the example gracefully: the request in flight is
//! answered in full, new connections are refused, and the process exits 0 soon
//! after its last request.

mod support;

use std::time::{Duration, Instant};

use support::Server;

/// How long the in-flight request runs in Python.
const IN_FLIGHT_SECONDS: f64 = 1.0;
/// The exit must follow the last response within this.
const EXIT_DEADLINE: Duration = Duration::from_secs(2);

fn stops_gracefully_on(signal: &str) {
    let mut server = Server::start();
    let address = server.address;

    let in_flight = std::thread::spawn(move || {
        let response = support::request(
            address,
            "GET",
            &format!("/sleep?seconds={IN_FLIGHT_SECONDS}"),
        );
        (response, Instant::now())
    });
    // Let the request reach Python before the signal.
    std::thread::sleep(Duration::from_millis(300));
    assert!(
        !in_flight.is_finished(),
        "the request ended before the signal"
    );
    server.signal(signal);

    // While the request is still running, the server stops accepting.
    let deadline = Instant::now() + Duration::from_millis(500);
    while !support::connection_refused(address) {
        assert!(
            Instant::now() < deadline,
            "still accepting connections after SIG{signal}"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
    assert!(
        !in_flight.is_finished(),
        "the in-flight request ended early"
    );

    // The in-flight request is answered in full, not cut.
    let (response, answered) = in_flight.join().expect("the request thread panicked");
    assert_eq!(response.status, 200, "{response:?}");
    assert!(
        response
            .body
            .starts_with(&format!("slept {IN_FLIGHT_SECONDS:?} s")),
        "{response:?}"
    );

    let status = server.wait_exit(EXIT_DEADLINE).unwrap_or_else(|| {
        panic!("still running {EXIT_DEADLINE:?} after the last response to SIG{signal}")
    });
    assert!(answered.elapsed() <= EXIT_DEADLINE + Duration::from_millis(100));
    assert!(status.success(), "exit status after SIG{signal}: {status}");
    assert!(
        support::connection_refused(address),
        "accepting connections after exit"
    );

    let log = server.log();
    assert!(
        log.contains(&format!("SIG{signal}: stopping gracefully")),
        "{log}"
    );
    assert!(log.contains("stopping the Python engine"), "{log}");
}

#[test]
fn sigint_lets_the_request_in_flight_finish_then_exits_0() {
    stops_gracefully_on("INT");
}

#[test]
fn sigterm_lets_the_request_in_flight_finish_then_exits_0() {
    stops_gracefully_on("TERM");
}

#[test]
fn an_idle_server_exits_0_at_once() {
    let mut server = Server::start();
    assert_eq!(server.get("/hello").status, 200);
    let signalled = Instant::now();
    server.signal("INT");
    let status = server
        .wait_exit(EXIT_DEADLINE)
        .expect("an idle server did not exit");
    assert!(status.success(), "{status}");
    eprintln!("idle server exited {:?} after SIGINT", signalled.elapsed());
}

#[test]
fn a_second_signal_exits_at_once() {
    let mut server = Server::start();
    let address = server.address;
    // A request that would keep a graceful stop waiting for 5 s.
    let _stuck =
        std::thread::spawn(move || support::try_request(address, "GET", "/sleep?seconds=5"));
    std::thread::sleep(Duration::from_millis(300));
    server.signal("INT");
    std::thread::sleep(Duration::from_millis(200));
    server.signal("INT");
    let status = server
        .wait_exit(Duration::from_secs(1))
        .expect("a second SIGINT did not exit at once");
    assert_eq!(status.code(), Some(130), "{status}");
}
