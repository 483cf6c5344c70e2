//! The example answers real HTTP requests: 200 with the broker's string, 404 for
//! `KeyError`, 500 for any other exception, and runs requests in parallel.

mod support;

use std::time::{Duration, Instant};

use support::Server;

#[test]
fn a_returned_string_is_200_with_that_body() {
    let server = Server::start();
    let response = server.get("/hello?name=Rust");
    assert_eq!(response.status, 200, "{response:?}");
    assert_eq!(response.body, "Hello, Rust!");

    // The query string is percent-decoded before it reaches Python.
    let response = server.get("/hello?name=R%C3%BCst+%26+Python");
    assert_eq!(
        (response.status, response.body.as_str()),
        (200, "Hello, Rüst & Python!")
    );

    // Headers reach the broker too.
    let response = server.get("/user-agent");
    assert_eq!(
        (response.status, response.body.as_str()),
        (200, "pime-test")
    );
}

#[test]
fn a_request_trace_holds_its_python_log_line() {
    let server = Server::start();
    let response = server.get("/hello?name=Traced");
    assert_eq!(response.status, 200, "{response:?}");
    // The Python line of this request is printed inside its span, with the request
    // id the broker read from pime.context().
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let log = server.log();
        let line = log.lines().find(|line| line.contains("greeting Traced"));
        if let Some(line) = line {
            assert!(line.contains("request{id="), "{line}");
            assert!(line.contains("pime.call{command=\"/hello\"}"), "{line}");
            assert!(line.contains("logger=\"webapp\""), "{line}");
            let id = line
                .split("request{id=")
                .nth(1)
                .and_then(|rest| rest.split(' ').next());
            let id = id.expect("an id").trim_matches('"');
            assert!(line.contains(&format!("for request {id}")), "{line}");
            break;
        }
        assert!(Instant::now() < deadline, "no trace line in {log}");
        std::thread::sleep(Duration::from_millis(50));
    }
}

#[test]
fn key_error_is_404() {
    let server = Server::start();
    for path in ["/nope", "/hello/extra", "/__class__"] {
        let response = server.get(path);
        assert_eq!(response.status, 404, "{path}: {response:?}");
    }
}

#[test]
fn other_exceptions_are_500_without_details() {
    let server = Server::start();
    let response = server.get("/boom");
    assert_eq!(response.status, 500, "{response:?}");
    assert!(!response.body.contains("Traceback"), "{response:?}");
    assert!(
        !response.body.contains("boom"),
        "the exception message leaked: {response:?}"
    );
    // A bad parameter is a ValueError in Python, so also 500.
    assert_eq!(server.get("/sleep?seconds=abc").status, 500);

    // The details go to the server's log instead.
    let log = server.log();
    assert!(log.contains("ValueError: boom"), "{log}");
    assert!(log.contains("Traceback (most recent call last)"), "{log}");

    // The engine keeps serving after an exception.
    assert_eq!(server.get("/hello").body, "Hello, world!");
}

#[test]
fn only_get_is_routed() {
    let server = Server::start();
    let response = support::request(server.address, "POST", "/hello");
    assert_eq!(response.status, 405, "{response:?}");
}

#[test]
fn requests_run_in_parallel() {
    const REQUESTS: u32 = 5;
    const SECONDS: f64 = 0.5;
    let server = Server::start();
    let address = server.address;

    let started = Instant::now();
    let requests: Vec<_> = (0..REQUESTS)
        .map(|_| {
            std::thread::spawn(move || {
                support::request(address, "GET", &format!("/sleep?seconds={SECONDS}"))
            })
        })
        .collect();
    for request in requests {
        let response = request.join().expect("a request thread panicked");
        assert_eq!(response.status, 200, "{response:?}");
        assert!(response.body.starts_with("slept 0.5 s"), "{response:?}");
    }
    let elapsed = started.elapsed();

    // One after another they would take REQUESTS x SECONDS; overlapped, about SECONDS.
    let serial = Duration::from_secs_f64(SECONDS * f64::from(REQUESTS));
    assert!(
        elapsed < serial.mul_f64(0.7),
        "{REQUESTS} parallel sleeps took {elapsed:?}"
    );
}

#[test]
fn metrics_are_served_in_prometheus_format() {
    let server = Server::start();
    for _ in 0..3 {
        assert_eq!(server.get("/hello?name=m").status, 200);
    }
    assert_eq!(server.get("/boom").status, 500);
    let response = server.get("/metrics");
    assert_eq!(response.status, 200, "{response:?}");
    let body = &response.body;
    assert!(
        body.contains("# TYPE pime_tasks_submitted_total counter"),
        "{body}"
    );
    assert!(body.contains("pime_tasks_submitted_total 4"), "{body}");
    assert!(body.contains("pime_tasks_failed_total 1"), "{body}");
    assert!(
        body.contains("pime_command_calls_total{command=\"/hello\"} 3"),
        "{body}"
    );
    assert!(
        body.contains("pime_command_errors_total{command=\"/boom\"} 1"),
        "{body}"
    );
}
