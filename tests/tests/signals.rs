//! Ctrl-C belongs to the Rust program: after the engine started and Python imported
//! `signal`, SIGINT still has the disposition the process gave it (here the default,
//! which terminates), not CPython's handler that would swallow it.

use pime_tests::{call_ok, start};

fn sigint_is_default() -> bool {
    // SAFETY: reads the current disposition into a zeroed struct.
    let mut current: libc::sigaction = unsafe { std::mem::zeroed() };
    unsafe { libc::sigaction(libc::SIGINT, std::ptr::null(), &mut current) };
    current.sa_sigaction == libc::SIG_DFL
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn python_does_not_take_sigint() {
    assert!(sigint_is_default());
    let engine = start("testmod", 1, 2).await;
    // The broker imports `signal`, as many libraries do.
    call_ok("sigint_handler", &[]).await;
    assert!(sigint_is_default(), "CPython took over SIGINT");
    engine.stop().await.unwrap();
    assert!(sigint_is_default());
}
