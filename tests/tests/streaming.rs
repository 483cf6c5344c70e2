//! `call_stream`: a generator's items arrive as a stream; an exception ends it with an
//! error; dropping the stream closes the generator; async generators work too.

use pime::{ErrorKind, Value};
use pime_tests::{call_ok, s, start, task};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn generators_stream_into_rust() {
    let engine = start("asyncmod", 2, 4).await;

    // 100,000 items, in order.
    let mut items = pime::call_stream(task(
        "count",
        &[("n", Value::I64(100_000)), ("tag", s("all"))],
    ))
    .await
    .unwrap();
    let mut expected = 0i64;
    while let Some(item) = items.next().await {
        assert_eq!(item, Ok(Value::I64(expected)));
        expected += 1;
    }
    assert_eq!(expected, 100_000);

    // Raising halfway: the items before, then the error, then the end.
    let mut failing = pime::call_stream(task(
        "count",
        &[
            ("n", Value::I64(10)),
            ("fail_at", Value::I64(5)),
            ("tag", s("failing")),
        ],
    ))
    .await
    .unwrap();
    for i in 0..5 {
        assert_eq!(failing.next().await, Some(Ok(Value::I64(i))));
    }
    let error = failing.next().await.unwrap().unwrap_err();
    assert_eq!(error.kind, ErrorKind::PyException);
    assert_eq!(error.exception.as_deref(), Some("ValueError"));
    assert_eq!(error.message, "failed at 5");
    assert_eq!(failing.next().await, None);

    // Dropping the stream early closes the generator (its `finally` runs).
    let mut endless = pime::call_stream(task(
        "count",
        &[("n", Value::I64(1_000_000_000)), ("tag", s("dropped"))],
    ))
    .await
    .unwrap();
    assert_eq!(endless.next().await, Some(Ok(Value::I64(0))));
    drop(endless);
    let wait = [("tag", s("dropped")), ("timeout", Value::F64(10.0))];
    let Value::Seq(closed) = call_ok("wait_closed", &wait).await else {
        panic!("a list")
    };
    assert!(closed.contains(&s("all")) && closed.contains(&s("failing")));

    // Async generators.
    let mut async_items = pime::call_stream(task("acount", &[("n", Value::I64(3))]))
        .await
        .unwrap();
    for i in 0..3 {
        let Some(Ok(Value::Map(item))) = async_items.next().await else {
            panic!("an item")
        };
        assert_eq!(item[&s("i")], Value::I64(i));
    }
    assert_eq!(async_items.next().await, None);

    // A broker that returns a plain value to call_stream is a clear error.
    let mut not_a_stream = pime::call_stream(task("sync_echo", &[("value", Value::I64(1))]))
        .await
        .unwrap();
    let error = not_a_stream.next().await.unwrap().unwrap_err();
    assert!(error.message.contains("not int"), "{error}");
    engine.stop().await.unwrap();
}
