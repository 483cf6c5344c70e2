//! Adversarial: a hostile plugin against host functions as C functions
//! (`builtin_function_or_method` made by `PyCFunction_NewEx`, `METH_FASTCALL |
//! METH_KEYWORDS`, `__self__` a `pime.host_function`; `pime/src/host/callable.rs`,
//! `arguments.rs`, `function.rs`). Broker: `tests/python/adversarial_host_vectorcall.py`.
//!
//! Tried: positional / keyword / duplicate / unknown / 100,000 arguments, str subclasses
//! and lone surrogates as keyword names, calls through `functools.partial`, `map`,
//! `operator.methodcaller`, `getattr`, `types.MethodType`, `asyncio.to_thread`,
//! `run_in_executor`; `copy`, `pickle`, `weakref`, `inspect`, `pydoc` of the objects
//! and of their `__self__`; constructing / subclassing `type(f.__self__)`; panics,
//! `Err`, unconvertible results, undecodable arguments through both forms; `aio` from
//! sync code, the sync form of an `async fn` on the loop, `aio` on loops of the
//! plugin's own (`asyncio.run` in 20 threads), 100 Python threads at once, generators
//! and async generators (streamed), coroutines, `gather` of 1,000, `wait_for`
//! timeouts, never-awaited awaitables; `gc.collect()` in a loop while calls run and
//! finalizers that call the host; popping the module from `sys.modules`; kept
//! functions across stop / start, between launches, after hostile rebinding of the
//! module's attributes; calls left in flight at stop and when the launching runtime
//! shuts down; a hot reload; host functions calling back into Python on a pool of
//! one; converters of arguments that re-enter the host, tear the module down, raise
//! or recurse without end; a profiler that calls the host; the last reference to a
//! function dropped mid-call; host calls from Python threads with small stacks.
//!
//! The two tests whose scenario once killed the process (a stack overflow) run it in a
//! child process of this binary, so a regression fails them instead of the binary.
//!
//! Every await is bounded (`host_support::bounded` / `call_within`): a hang fails.

use std::collections::BTreeMap;
use std::time::Duration;

use pime::Value;
use pime_tests::host_support::{bounded, call_within, launch};
use pime_tests::{s, task, with_python};
use pyo3::prelude::*;

/// What the plugin may ask of the host.
#[pime::host_module(module = "vc_app")]
pub trait VcApp {
    /// The user with this id.
    async fn get_user(&self, id: u64) -> pime::Result<BTreeMap<String, Value>>;
    /// The host's version.
    fn version(&self) -> pime::Result<String>;
    /// a + b.
    fn add(&self, a: i64, b: i64) -> pime::Result<i64>;
    /// a + b, async.
    async fn aadd(&self, a: i64, b: i64) -> pime::Result<i64>;
    fn opt(&self, a: u32, b: Option<String>) -> pime::Result<String>;
    fn noargs(&self) -> pime::Result<String>;
    async fn anoargs(&self) -> pime::Result<String>;
    async fn slow(&self, ms: u64, tag: String) -> pime::Result<String>;
    fn panics(&self) -> pime::Result<()>;
    async fn apanics(&self, after_ms: u64) -> pime::Result<()>;
    fn fails(&self) -> pime::Result<()>;
    async fn afails(&self) -> pime::Result<()>;
    fn unconvertible(&self) -> pime::Result<u128>;
    fn echo(&self, v: Value) -> pime::Result<Value>;
    fn count(&self, v: Vec<i64>) -> pime::Result<usize>;
    fn string(&self, s: String) -> pime::Result<String>;
    /// Calls the broker's `command` with `n` (a nested call).
    async fn call_back(&self, command: String, n: i64) -> pime::Result<Value>;
}

struct Impl(&'static str);

impl VcApp for Impl {
    async fn get_user(&self, id: u64) -> pime::Result<BTreeMap<String, Value>> {
        let name = if self.0 == "v1" {
            format!("user {id}")
        } else {
            format!("{} user {id}", self.0)
        };
        Ok([("name".to_string(), Value::String(name))].into())
    }
    fn version(&self) -> pime::Result<String> {
        Ok(self.0.to_string())
    }
    fn add(&self, a: i64, b: i64) -> pime::Result<i64> {
        Ok(a.wrapping_add(b))
    }
    async fn aadd(&self, a: i64, b: i64) -> pime::Result<i64> {
        tokio::task::yield_now().await;
        Ok(a.wrapping_add(b))
    }
    fn opt(&self, a: u32, b: Option<String>) -> pime::Result<String> {
        Ok(format!("{a}:{b:?}"))
    }
    fn noargs(&self) -> pime::Result<String> {
        Ok("noargs".into())
    }
    async fn anoargs(&self) -> pime::Result<String> {
        Ok("anoargs".into())
    }
    async fn slow(&self, ms: u64, tag: String) -> pime::Result<String> {
        tokio::time::sleep(Duration::from_millis(ms)).await;
        Ok(tag)
    }
    fn panics(&self) -> pime::Result<()> {
        panic!("plain boom")
    }
    async fn apanics(&self, after_ms: u64) -> pime::Result<()> {
        if after_ms > 0 {
            tokio::time::sleep(Duration::from_millis(after_ms)).await;
        }
        panic!("async boom")
    }
    fn fails(&self) -> pime::Result<()> {
        Err(pime::Error::new(
            pime::ErrorKind::UnpackError,
            "plain refused",
        ))
    }
    async fn afails(&self) -> pime::Result<()> {
        Err(pime::Error::new(
            pime::ErrorKind::ExecError,
            "async refused",
        ))
    }
    fn unconvertible(&self) -> pime::Result<u128> {
        Ok(u128::MAX)
    }
    fn echo(&self, v: Value) -> pime::Result<Value> {
        Ok(v)
    }
    fn count(&self, v: Vec<i64>) -> pime::Result<usize> {
        Ok(v.len())
    }
    fn string(&self, s: String) -> pime::Result<String> {
        Ok(s)
    }
    async fn call_back(&self, command: String, n: i64) -> pime::Result<Value> {
        let inner = pime::call(task(&command, &[("n", Value::I64(n))])).await?;
        Ok(inner.unwrap_or(Value::Unit))
    }
}

const BROKER: &str = "adversarial_host_vectorcall";

/// The engine is process-global: one test at a time.
static SERIAL: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());

/// Starts an engine with `Impl(version)` on a pool of `min..=max`.
async fn start(version: &'static str, (min, max): (u32, u32)) -> pime::Engine {
    launch(BROKER, |b| {
        b.thread_pool(min, max)
            .stop_timeout(Duration::from_secs(5))
            .host(VcAppHost::new(Impl(version)))
    })
    .await
}

async fn stop(engine: pime::Engine) {
    bounded("stop", 30, engine.stop())
        .await
        .expect("the engine stops");
}

/// Runs `body` (in a task, so a failed assertion still stops the engine) with an
/// engine of `Impl(version)` on `pool`, one test at a time.
async fn with_engine<F>(version: &'static str, pool: (u32, u32), body: F)
where
    F: std::future::Future<Output = ()> + Send + 'static,
{
    let _serial = SERIAL.lock().await;
    let engine = start(version, pool).await;
    let outcome = tokio::spawn(body).await;
    stop(engine).await;
    if let Err(error) = outcome {
        std::panic::resume_unwind(error.into_panic());
    }
}

/// `command` with `params`: its result (at most `seconds`).
async fn run(seconds: u64, command: &str, params: &[(&str, Value)]) -> Value {
    match call_within(seconds, command, params).await {
        Ok(Some(value)) => value,
        other => panic!("{command}: {other:?}"),
    }
}

/// A broker table of `name -> outcome text`.
fn table(value: Value) -> BTreeMap<String, Value> {
    match value {
        Value::Map(map) => map
            .into_iter()
            .map(|(key, value)| match key {
                Value::String(key) => (key, value),
                other => panic!("key {other:?}"),
            })
            .collect(),
        other => panic!("not a table: {other:?}"),
    }
}

fn text(value: &Value) -> &str {
    match value {
        Value::String(text) => text,
        other => panic!("not a string: {other:?}"),
    }
}

/// Checks each `(name, expectation)` of `table`, an expectation being an exact
/// outcome or a prefix followed by `*` (and optionally words that must appear, after
/// ` & `): every mismatch reported at once.
fn check(table: &BTreeMap<String, Value>, cases: &[(&str, &str)]) {
    for (name, value) in table {
        eprintln!("{name}: {value:?}");
    }
    let mut problems = Vec::new();
    for (name, expected) in cases {
        let Some(got) = table.get(*name) else {
            problems.push(format!("{name}: missing"));
            continue;
        };
        let got = text(got);
        if !matches(got, expected) {
            problems.push(format!(
                "{name}:\n    got      {got:?}\n    expected {expected:?}"
            ));
        }
    }
    assert!(
        problems.is_empty(),
        "{} problem(s):\n{}",
        problems.len(),
        problems.join("\n")
    );
}

fn matches(got: &str, expected: &str) -> bool {
    let mut parts = expected.split(" & ");
    let head = parts.next().unwrap_or_default();
    let head_ok = match head.strip_suffix('*') {
        Some(prefix) => got.starts_with(prefix),
        None => got == head,
    };
    head_ok && parts.all(|word| got.contains(word))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn arguments_by_position_keyword_and_hostile_keys() {
    with_engine("v1", (2, 4), async {
        let got = table(run(60, "arguments", &[]).await);
        check(
            &got,
            &[
                ("pos", "ok: 3"),
                ("kw", "ok: 3"),
                ("kw_swapped", "ok: 42"),
                ("pos_then_kw", "ok: 11"),
                ("star_args", "ok: 7"),
                ("star_kwargs", "ok: 7"),
                ("both_star", "ok: 10"),
                ("too_many", "TypeError: * & vc_app.add() & 2 & 3"),
                ("too_many_huge", "TypeError: * & vc_app.add() & 100000"),
                ("missing_b", "TypeError: * & missing & 'b'"),
                ("missing_all", "TypeError: * & missing & 'a'"),
                ("dup_pos_kw", "TypeError: * & multiple values & 'a'"),
                ("dup_via_star", "TypeError: * & multiple values & 'b'"),
                ("unknown_kw", "TypeError: * & unexpected keyword & 'c'"),
                ("empty_kw", "TypeError: * & unexpected keyword & ''"),
                ("nul_kw", "TypeError: * & unexpected keyword"),
                // The name's text counts, not the subclass's lying `__eq__`/`__str__`.
                ("lying_str_key", "ok: 3"),
                (
                    "lying_str_unknown_key",
                    "TypeError: * & unexpected keyword & 'zz'",
                ),
                ("surrogate_key", "TypeError: * & not valid UTF-8"),
                ("surrogate_key_only", "TypeError: *"),
                ("fullwidth_key", "TypeError: * & unexpected keyword"),
                (
                    "huge_kwargs_unknown",
                    "TypeError: * & unexpected keyword & 'k0'",
                ),
                (
                    "huge_kwargs_after_valid",
                    "TypeError: * & unexpected keyword & 'k0'",
                ),
                ("noargs", "ok: 'noargs'"),
                ("noargs_empty_stars", "ok: 'noargs'"),
                ("noargs_pos", "TypeError: * & 0 & 1"),
                ("noargs_kw", "TypeError: * & unexpected keyword & 'x'"),
                ("opt_left_out", "ok: '1:None'"),
                ("opt_none", "ok: '1:None'"),
                ("opt_given", "ok: '1:Some(\"x\")'"),
                ("none_for_u32", "TypeError: * & 'a' & u32"),
                ("str_for_i64", "TypeError: * & 'a' & i64"),
                ("bool_for_i64", "TypeError: * & 'a' & i64"),
                ("float_for_i64", "TypeError: * & 'a' & i64"),
                ("huge_int", "TypeError: * & 'a'"),
                ("surrogate_value", "TypeError: * & 's' & surrogate"),
                ("async_pos", "ok: {'name': 'user 7'}"),
                ("async_kw", "ok: {'name': 'user 7'}"),
                ("async_missing", "TypeError: * & missing & 'id'"),
                ("async_wrong_type", "TypeError: * & 'id' & u64"),
                ("async_neg", "TypeError: * & 'id' & u64"),
                (
                    "async_unknown_kw",
                    "TypeError: * & unexpected keyword & 'extra'",
                ),
                ("anoargs", "ok: 'anoargs'"),
                ("anoargs_pos", "TypeError: * & 0 & 1"),
                ("big_list", "ok: 1000000"),
                (
                    "echo_nested",
                    "ok: {'a': [1, 2, {'b': [3, 4.5, None, True, b'x']}]}",
                ),
                ("deep_100000", "TypeError: * & 'v'"),
                ("recursive", "TypeError: * & 'v'"),
                ("echo_object", "TypeError: * & 'v'"),
                ("echo_none", "ok: None"),
            ],
        );
        // Still serving after all that.
        assert_eq!(
            run(10, "alive", &[]).await,
            Value::Seq(vec![Value::I64(2), s("user 1")])
        );
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn indirect_calls_copies_pickles_weakrefs_and_self() {
    with_engine("v1", (2, 4), async {
        let got = table(run(60, "indirect", &[]).await);
        check(
            &got,
            &[
                ("partial_kw", "ok: 11"),
                ("partial_pos", "ok: 15"),
                ("partial_dup", "TypeError: * & multiple values & 'a'"),
                ("partial_async", "ok: 'user 3'"),
                ("map", "ok: [11, 22, 33]"),
                ("map_async", "ok: ['user 1', 'user 2']"),
                ("methodcaller", "ok: 5"),
                ("methodcaller_async", "ok: 'user 4'"),
                ("getattr", "ok: 4"),
                ("getattr_aio_sync", "RuntimeError: * & no event loop"),
                ("sorted_key", "ok: [1, 2, 3]"),
                ("method_type", "ok: 101"),
                ("dunder_call", "ok: 2"),
                ("self_attr", "ok: 'host_function'"),
                ("same_self", "ok: True"),
                ("eq_sync_aio", "ok: False"),
                ("eq_self", "ok: True"),
                ("hashable", "ok: 4"),
                ("construct_self_type", "TypeError: *"),
                ("new_self_type", "TypeError: *"),
                ("object_new_self_type", "TypeError: *"),
                ("subclass_self_type", "TypeError: *"),
                ("builtin_with_other_self", "TypeError: *"),
                ("pickle", "TypeError: * & pickle"),
                // Protocol 0 goes through `copyreg`, which looks the class up by name.
                ("pickle_p0", "* & Error: & pickle & host_function"),
                ("pickle_aio", "TypeError: * & pickle"),
                ("pickle_self", "TypeError: * & pickle"),
                // `copy` treats built-in functions as atomic: the same object, working.
                ("copy", "ok: 2"),
                ("deepcopy", "ok: 4"),
                ("copy_self", "TypeError: * & pickle"),
                ("deepcopy_self", "TypeError: * & pickle"),
                ("weakref", "ok: 6"),
                ("weakref_self", "TypeError: * & weak reference"),
                ("weak_method", "TypeError: *"),
                ("name", "ok: ('add', 'add')"),
                ("module", "ok: ('vc_app', 'vc_app')"),
                ("doc", "ok: ('a + b.', 'a + b.')"),
                ("doc_empty", "ok: None"),
                ("isbuiltin", "ok: True"),
                ("help", "ok: True"),
                ("help_module", "ok: True"),
                ("set_name", "AttributeError: *"),
                ("set_attr", "AttributeError: *"),
                ("vars", "TypeError: *"),
                ("dir_self", "ok: []"),
            ],
        );
    })
    .await;
}

// `inspect.signature` of a host function: each `PyMethodDef` carries a text signature
// (`add($self, /, a, b)`), so what introspects a callable (`help()`, frameworks that
// bind arguments by signature) sees the parameters, an `Option` defaulting to `None`.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn inspect_signature_of_host_functions() {
    with_engine("v1", (2, 4), async {
        let got = table(run(60, "indirect", &[]).await);
        check(
            &got,
            &[
                ("signature", "ok: '(a, b)'"),
                ("signature_aio", "ok: '(a, b)'"),
                ("signature_async", "ok: '(id)'"),
                ("signature_optional", "ok: '(a, b=None)'"),
                ("signature_none", "ok: '()'"),
            ],
        );
    })
    .await;
}

// What `repr` and `__qualname__` show is CPython's own for a built-in method: the
// function's name and its `__self__`'s class (`<built-in method add of
// pime.host_function object at 0x...>`, `host_function.add`), the same for both forms;
// `__module__` names the module. (Documented in the README.)
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn repr_and_names_of_both_forms() {
    with_engine("v1", (2, 4), async {
        let got = table(run(60, "indirect", &[]).await);
        check(
            &got,
            &[
                (
                    "repr",
                    "ok: ('<built-in method add of pime.host_function object at 0x* & ', \
                     '<built-in method add of pime.host_function object at 0x",
                ),
                ("qualname", "ok: ('host_function.add', 'host_function.add')"),
                ("module", "ok: ('vc_app', 'vc_app')"),
                ("name", "ok: ('add', 'add')"),
            ],
        );
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn panics_errors_and_unconvertible_results_through_both_forms() {
    with_engine("v1", (2, 4), async {
        let mut cases = Vec::new();
        for round in 0..3 {
            cases.push((
                format!("panics_{round}"),
                "HostError[ExecError]: host function vc_app.panics() panicked: plain boom",
            ));
            cases.push((
                format!("apanics_{round}"),
                "HostError[ExecError]: host function vc_app.apanics() panicked: async boom",
            ));
            cases.push((
                format!("apanics_late_{round}"),
                "HostError[ExecError]: host function vc_app.apanics() panicked: async boom",
            ));
            cases.push((
                format!("fails_{round}"),
                "HostError[UnpackError]: plain refused",
            ));
            cases.push((
                format!("afails_{round}"),
                "HostError[ExecError]: async refused",
            ));
            cases.push((format!("unconvertible_{round}"), "HostError[*"));
            cases.push((format!("after_{round}"), "ok: 2"));
        }
        let cases_ref: Vec<(&str, &str)> = cases.iter().map(|(n, e)| (n.as_str(), *e)).collect();
        let sync = table(run(60, "host_errors", &[]).await);
        check(&sync, &cases_ref);

        let mut aio_cases = cases_ref.clone();
        let bad_args: Vec<String> = (0..3).map(|round| format!("bad_args_{round}")).collect();
        for name in &bad_args {
            aio_cases.push((name.as_str(), "TypeError: * & 'id' & u64"));
        }
        let aio = table(run(60, "aio_host_errors", &[]).await);
        check(&aio, &aio_cases);
        assert_eq!(
            run(10, "alive", &[]).await,
            Value::Seq(vec![Value::I64(2), s("user 1")])
        );
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn event_loop_sync_code_generators_and_coroutines() {
    with_engine("v1", (2, 4), async {
        let on_loop = table(run(60, "on_loop", &[]).await);
        check(
            &on_loop,
            &[
                ("sync_async_fn_on_loop", "RuntimeError: * & block & aio"),
                ("sync_plain_fn_on_loop", "ok: 3"),
                ("aio_async", "ok: {'name': 'user 5'}"),
                ("aio_plain", "ok: 5"),
                ("aio_noargs", "ok: 'anoargs'"),
                ("aio_bad_kw", "TypeError: * & unexpected keyword & 'c'"),
                ("aio_surrogate_kw", "TypeError: * & not valid UTF-8"),
                ("aio_partial", "ok: 2"),
                ("aio_getattr", "ok: 8"),
                ("to_thread", "ok: {'name': 'user 9'}"),
                ("run_in_executor", "ok: 3"),
                ("wait_for_timeout", "TimeoutError: *"),
                ("after_timeout", "ok: 'after'"),
            ],
        );
        assert_eq!(
            on_loop["await_twice"],
            Value::Seq(vec![Value::I64(42), Value::I64(42), Value::Bool(true)])
        );
        assert_eq!(on_loop["gather_1000"], Value::Bool(true));
        assert_eq!(on_loop["gather_plain_1000"], Value::Bool(true));
        // The 0.05 s timeout cancels the 5 s call rather than waiting for it (a bound
        // far from both, so a loaded machine does not fail it).
        assert!(
            matches!(on_loop["wait_for_took_s"], Value::I64(took) if took < 3),
            "{:?}",
            on_loop["wait_for_took_s"]
        );
        assert_eq!(
            on_loop["async_gen"],
            Value::Seq((100..105).map(Value::I64).collect())
        );
        assert_eq!(on_loop["create_task"], s("user 77"));
        assert_eq!(on_loop["shield"], Value::I64(2));

        let sync_side = table(run(60, "sync_side", &[]).await);
        check(
            &sync_side,
            &[
                ("aio_from_sync", "RuntimeError: * & no event loop"),
                ("aio_plain_from_sync", "RuntimeError: * & no event loop"),
                ("aio_bad_args_from_sync", "RuntimeError: *"),
                ("own_asyncio_run", "ok: 'user 42'"),
                (
                    "coroutine_send_without_loop",
                    "RuntimeError: * & no event loop",
                ),
                ("own_loop_gather", "ok: True"),
                (
                    "aio_with_set_but_idle_loop",
                    "RuntimeError: * & no event loop",
                ),
            ],
        );
        let mut generator = Vec::new();
        for i in 0..5 {
            generator.push(Value::I64(i + 1000));
            generator.push(s(&format!("user {i}")));
        }
        assert_eq!(sync_side["generator"], Value::Seq(generator));

        // Streamed: a generator command and an async generator command.
        for command in ["stream_sync", "stream_async"] {
            let mut stream = bounded(
                command,
                20,
                pime::call_stream(task(command, &[("n", Value::I64(20))])),
            )
            .await
            .expect("the stream starts");
            let mut items = Vec::new();
            while let Some(item) = bounded(command, 20, stream.next()).await {
                items.push(item.expect("an item"));
            }
            let mut expected = Vec::new();
            for i in 0..20 {
                expected.push(Value::I64(i + 1));
                expected.push(s(&format!("user {i}")));
            }
            assert_eq!(items, expected, "{command}");
        }
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn many_python_threads_at_once() {
    with_engine("v1", (2, 4), async {
        // 100 threads, each waiting 300 ms in a host call: together, not one by one
        // (30 s).
        let got = table(
            run(
                90,
                "threads",
                &[("n", Value::I64(100)), ("ms", Value::I64(300))],
            )
            .await,
        );
        eprintln!("threads: {got:?}");
        assert_eq!(got["bad_count"], Value::I64(0), "{:?}", got["bad"]);
        assert_eq!(got["alive"], Value::I64(0));
        let took = match got["took_ms"] {
            Value::I64(ms) => ms,
            ref other => panic!("{other:?}"),
        };
        assert!(took < 10_000, "100 threads x 300 ms took {took} ms");

        let aio = table(run(90, "threads_aio", &[("n", Value::I64(20))]).await);
        eprintln!("threads_aio: {aio:?}");
        assert_eq!(aio["alive"], Value::I64(0));
        assert_eq!(aio["bad"], Value::Seq(vec![]));
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn garbage_collection_finalizers_and_the_module_itself() {
    with_engine("v1", (2, 4), async {
        let got = table(run(120, "gc_stress", &[("n", Value::I64(2000))]).await);
        eprintln!("gc_stress: {got:?}");
        assert_eq!(got["bad"], Value::Seq(vec![]));
        assert_eq!(got["collections_positive"], Value::Bool(true));
        assert_eq!(
            got["finalized_all_42"],
            Value::Bool(true),
            "{:?}",
            got["finalized_sample"]
        );
        assert_eq!(got["finalized_count"], Value::I64(2000));

        assert_eq!(
            run(120, "gc_stress_aio", &[("n", Value::I64(300))]).await,
            Value::Bool(true)
        );

        let games = table(run(30, "module_games", &[]).await);
        check(
            &games,
            &[
                ("kept_after_pop", "ok: 3"),
                ("global_after_pop", "ok: 'user 2'"),
                ("import_after_pop", "ModuleNotFoundError: *"),
                ("kept_aio_after_restore", "ok: 'add'"),
                ("kept_original_version", "ok: 'v1'"),
            ],
        );
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn host_calls_back_into_python_on_a_pool_of_one() {
    with_engine("v1", (1, 1), async {
        let expected: Vec<Value> = (0..10).map(|i| Value::I64(i + 1)).collect();
        assert_eq!(
            run(60, "outer_sync", &[("n", Value::I64(10))]).await,
            Value::Seq(expected.clone())
        );
        assert_eq!(
            run(60, "outer_aio", &[("n", Value::I64(10))]).await,
            Value::Seq(expected)
        );
        assert_eq!(
            run(60, "outer_sync_to_async", &[("n", Value::I64(10))]).await,
            Value::Seq((0..10).map(|i| Value::I64(i + 1)).collect())
        );
        // The panics of a sync call that lent the only worker's place leave the pool
        // serving (the place is taken back on unwind).
        let errors = table(run(60, "host_errors", &[]).await);
        assert!(text(&errors["apanics_late_2"]).contains("panicked"));
        assert_eq!(
            run(60, "outer_sync", &[("n", Value::I64(3))]).await,
            Value::Seq((0..3).map(|i| Value::I64(i + 1)).collect())
        );
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn broker_threads_calling_back_into_python() {
    with_engine("v1", (2, 4), async {
        // The command's worker joins its threads (no place lent); the pool's other
        // worker serves the nested calls.
        let expected: Vec<Value> = (0..8).map(|i| Value::I64(i + 1)).collect();
        assert_eq!(
            run(60, "outer_threads", &[("n", Value::I64(8))]).await,
            Value::Seq(expected)
        );
    })
    .await;
}

/// What the broker's `kept` returns, as text.
async fn kept() -> BTreeMap<String, String> {
    table(run(20, "kept", &[]).await)
        .into_iter()
        .map(|(name, value)| (name, text(&value).to_string()))
        .collect()
}

/// The broker's `between_launches()`, called here while no engine runs.
async fn between_launches() -> BTreeMap<String, String> {
    with_python(|py| {
        py.import(BROKER)
            .and_then(|module| module.getattr("between_launches"))
            .and_then(|f| f.call0())
            .and_then(|out| out.extract::<BTreeMap<String, String>>())
            .expect("between_launches()")
    })
    .await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn kept_functions_across_launches_and_calls_in_flight_at_stop() {
    let _serial = SERIAL.lock().await;
    let engine = start("v1", (2, 4)).await;
    assert_eq!(run(10, "capture", &[]).await, Value::Bool(true));
    let first = kept().await;
    eprintln!("first launch: {first:?}");
    // An aio call (and a task awaiting it) still running when the engine stops.
    assert_eq!(
        run(10, "leave_in_flight", &[("ms", Value::I64(1500))]).await,
        Value::Bool(true)
    );
    stop(engine).await;

    let between = between_launches().await;
    eprintln!("between launches: {between:?}");
    // Let the in-flight host future end while no engine runs.
    tokio::time::sleep(Duration::from_millis(2000)).await;

    let engine = start("v2", (2, 4)).await;
    let second = kept().await;
    eprintln!("second launch: {second:?}");
    let kept_aio = run(20, "kept_aio", &[]).await;
    let in_flight = run(20, "in_flight_report", &[]).await;
    eprintln!("in flight at the stop, seen after the relaunch: {in_flight:?}");
    // A hot reload re-imports the broker: `import vc_app` finds the same module.
    bounded("reload", 30, pime::reload())
        .await
        .expect("the broker reloads");
    assert_eq!(run(10, "capture", &[]).await, Value::Bool(true));
    let reloaded = kept().await;
    eprintln!("after a reload: {reloaded:?}");
    stop(engine).await;

    let mut problems = Vec::new();
    let mut expect = |what: &str, got: Option<&String>, ok: &dyn Fn(&str) -> bool| {
        let got = got.map(String::as_str).unwrap_or("<missing>");
        if !ok(got) {
            problems.push(format!("{what}: {got:?}"));
        }
    };
    expect("first version", first.get("version"), &|g| g == "ok: 'v1'");
    expect("first get_user", first.get("get_user"), &|g| {
        g == "ok: 'user 5'"
    });
    expect("first partial", first.get("partial"), &|g| g == "ok: 1001");
    for name in ["version", "get_user", "module_version"] {
        expect(
            &format!("between launches {name}"),
            between.get(name),
            &|g| g.starts_with("HostError[PySyncEngineStateError]: ") && g.contains("gone"),
        );
    }
    expect("second version", second.get("version"), &|g| {
        g == "ok: 'v2'"
    });
    expect(
        "second module_version",
        second.get("module_version"),
        &|g| g == "ok: 'v2'",
    );
    expect("second get_user", second.get("get_user"), &|g| {
        g == "ok: 'v2 user 5'"
    });
    expect("second partial", second.get("partial"), &|g| {
        g == "ok: 1001"
    });
    expect("reloaded version", reloaded.get("version"), &|g| {
        g == "ok: 'v2'"
    });
    expect("reloaded get_user", reloaded.get("get_user"), &|g| {
        g == "ok: 'v2 user 5'"
    });
    if kept_aio != s("ok: 'v2'") {
        problems.push(format!("kept aio version: {kept_aio:?}"));
    }
    // The call left in flight at the stop (its runtime still running) ends meanwhile:
    // the awaitable and the task awaiting it (the event loop outlives the launch)
    // have its value.
    let settled = Value::Seq(vec![s("ok: 'in flight'"), s("ok: 'in flight'")]);
    if in_flight != settled {
        problems.push(format!("in flight at the stop: {in_flight:?}"));
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

// A relaunch hands each earlier function object on to the function registered anew
// under the same module and name, whatever the module's attribute holds by then: a
// plugin that rebinds `vc_app.get_user = vc_app.version` (a shim, a mock) once made
// kept `version` objects call `get_user` in every later launch.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn relaunch_after_the_plugin_rebinds_a_module_attribute() {
    let _serial = SERIAL.lock().await;
    let engine = start("a1", (2, 4)).await;
    assert_eq!(run(10, "capture", &[]).await, Value::Bool(true));
    let before = table(run(10, "call_captured", &[]).await);
    eprintln!("before: {before:?}");
    assert_eq!(run(10, "alias_attribute", &[]).await, Value::Bool(true));
    stop(engine).await;

    let engine = start("a2", (2, 4)).await;
    let second = table(run(10, "call_captured", &[]).await);
    eprintln!("after the relaunch: {second:?}");
    assert_eq!(run(10, "capture", &[]).await, Value::Bool(true));
    stop(engine).await;

    let engine = start("a3", (2, 4)).await;
    let third = table(run(10, "call_captured", &[]).await);
    eprintln!("after a second relaunch: {third:?}");
    stop(engine).await;

    check(
        &before,
        &[("version", "ok: 'a1'"), ("get_user", "ok: 'a1 user 5'")],
    );
    check(
        &second,
        &[("version", "ok: 'a2'"), ("get_user", "ok: 'a2 user 5'")],
    );
    check(
        &third,
        &[("version", "ok: 'a3'"), ("get_user", "ok: 'a3 user 5'")],
    );
}

// Kept objects follow the next launch also when the plugin deleted the module's
// attribute (`del vc_app.get_user`) or dropped the module from `sys.modules`: they
// once raised "the engine set-up ... is gone" in every later launch.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn relaunch_after_the_plugin_deletes_a_module_attribute() {
    let _serial = SERIAL.lock().await;
    let engine = start("d1", (2, 4)).await;
    assert_eq!(run(10, "capture", &[]).await, Value::Bool(true));
    assert_eq!(run(10, "delete_attribute", &[]).await, Value::Bool(true));
    stop(engine).await;

    let engine = start("d2", (2, 4)).await;
    let second = table(run(10, "call_captured", &[]).await);
    eprintln!("after the relaunch: {second:?}");
    stop(engine).await;
    check(
        &second,
        &[("version", "ok: 'd2'"), ("get_user", "ok: 'd2 user 5'")],
    );
}

// A required argument whose Rust type would accept a null (`pime::Value`,
// `serde_json::Value`, `()`) may not be left out: only an `Option` defaults to
// `None`. (`vc_app.echo()` once ran with a `None` nobody passed.)
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_missing_value_argument_is_not_silently_none() {
    with_engine("v1", (2, 4), async {
        let got = table(run(60, "arguments", &[]).await);
        check(&got, &[("echo_missing", "TypeError: * & missing & 'v'")]);
    })
    .await;
}

// The `TypeError`s of a call name the function one way (`vc_app.add()`), whether
// raised collecting the arguments or decoding them, with the right grammar for one
// argument and for a function without parameters.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn argument_errors_name_the_function_the_same_way() {
    with_engine("v1", (2, 4), async {
        let got = table(run(60, "arguments", &[]).await);
        check(
            &got,
            &[
                ("missing_b", "TypeError: vc_app.add() *"),
                ("str_for_i64", "TypeError: vc_app.add() *"),
                ("async_missing", "TypeError: vc_app.get_user() *"),
                ("noargs_kw", "TypeError: vc_app.noargs() * & takes no"),
                (
                    "noargs_pos",
                    "TypeError: vc_app.noargs() takes 0 arguments but 1 was given",
                ),
            ],
        );
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn finalizers_that_call_the_host_on_any_thread_and_hostile_contexts() {
    with_engine("v1", (2, 4), async {
        let got = table(run(120, "finalizers_everywhere", &[("n", Value::I64(200))]).await);
        let mut total = 0;
        for (where_, count) in &got {
            eprintln!("finalizer {where_}: {count:?}");
            if let Value::I64(count) = count {
                total += count;
            }
            // On the engine's loop the sync form of an `async fn` is refused; anywhere
            // else it works; the plain `fn` works everywhere.
            let fine = where_.ends_with("| ok: 2")
                && (where_.contains(": ok: {'name': 'user 1'}")
                    || (where_.starts_with("loop: RuntimeError: ") && where_.contains("aio")));
            assert!(fine, "a finalizer's host calls: {where_}");
        }
        assert_eq!(total, 200, "finalizers that ran: {got:?}");
        let contexts = table(run(30, "context_games", &[]).await);
        check(
            &contexts,
            &[
                ("object_value", "TypeError: * & pime.context()"),
                (
                    "int_key",
                    "TypeError: * & pime.context() key int: keys must be str",
                ),
                (
                    "not_a_mapping",
                    "TypeError: * & pime.context() is not a mapping",
                ),
                // What the mapping's own code raises is not made a TypeError.
                ("interrupting_mapping", "KeyboardInterrupt: from keys()"),
                ("fine", "ok: 3"),
            ],
        );
        assert_eq!(
            run(10, "alive", &[]).await,
            Value::Seq(vec![Value::I64(2), s("user 1")])
        );
    })
    .await;
}

// An `aio` call whose future is still running on the tokio runtime that started the
// engine when that runtime shuts down is settled with an error (its `Completion`,
// dropped unsettled, settles it): it once stayed pending for ever.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn aio_calls_in_flight_when_the_launching_runtime_shuts_down() {
    let _serial = SERIAL.lock().await;
    // Launch 1 from a runtime of its own, which then shuts down.
    let first = std::thread::spawn(|| {
        let runtime = tokio::runtime::Runtime::new().expect("a runtime");
        runtime.block_on(async {
            let engine = start("rt1", (2, 4)).await;
            assert_eq!(
                run(10, "leave_in_flight", &[("ms", Value::I64(1500))]).await,
                Value::Bool(true)
            );
            stop(engine).await;
        });
        drop(runtime);
    });
    bounded(
        "the first launch's thread",
        60,
        tokio::task::spawn_blocking(move || first.join()),
    )
    .await
    .expect("joined")
    .expect("the first launch did not panic");

    let engine = start("rt2", (2, 4)).await;
    tokio::time::sleep(Duration::from_millis(2500)).await;
    let report = run(20, "in_flight_report", &[]).await;
    stop(engine).await;
    eprintln!("in flight when its runtime shut down: {report:?}");
    match &report {
        Value::Seq(items) => {
            assert_eq!(items.len(), 2, "{report:?}");
            for item in items {
                assert_ne!(
                    text(item),
                    "pending",
                    "an awaitable of a call whose runtime shut down is still pending \
                     2.5 s after the call's end: {report:?}"
                );
            }
        }
        other => panic!("{other:?}"),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn python_code_inside_a_call_and_the_last_reference_dropped_mid_call() {
    with_engine("v1", (2, 4), async {
        let got = table(run(60, "inside_calls", &[]).await);
        check(
            &got,
            &[
                // A converter that calls the host while the outer call collects its
                // arguments.
                ("converter_reentrant", "ok: [3, 3]"),
                ("converter_in_async_fn_arg", "ok: {'name': 'user 3'}"),
                ("converter_raises", "TypeError: * & 'v' & converter refuses"),
                ("converter_self_returning", "TypeError: * & 'v' & again"),
                // Pops the module, deletes the function being called, collects, calls
                // the host: the call in progress is unaffected.
                ("converter_unhinged", "ok: {'x': ['user 3', 'inner']}"),
                // Reported as the argument's TypeError (the value table's rule for a
                // converter's exception), the interrupt does not go unnoticed.
                ("converter_keyboard_interrupt", "TypeError: * & KeyboardInterrupt"),
                // Built-in functions are no descriptors: no `self` is bound.
                ("class_attr", "ok: 3"),
                ("staticmethod", "ok: 5"),
                ("classmethod", "TypeError: * & 'a'"),
                // A profiler that calls the host on each host call's `c_call`.
                ("profiler", "[[2, 'user 2'], ['noargs', 'noargs']]"),
                // Called through a `weakref.proxy` while every other reference is
                // dropped and collected: it ends, then the object is gone.
                (
                    "last_reference",
                    "[[\"ok: 'survived'\"], True, 'ReferenceError: weakly-referenced object no longer exists']",
                ),
            ],
        );
    })
    .await;
}

/// Set (to the test's name) in a child process that runs a scenario that may kill
/// the process, so that only its test fails.
const CHILD: &str = "PIME_VC_CHILD";

/// Whether this process is the child that runs `test`'s scenario.
fn in_child(test: &str) -> bool {
    std::env::var(CHILD).is_ok_and(|name| name == test)
}

/// Runs this test binary's `test` in a child process: how it ended, and its output
/// lines that start with `RECURSION`/`STACK`/`STEP` or tell of a crash. The child
/// runs the scenario when [`in_child`]; a hang of more than 120 s fails.
async fn run_in_child(test: &str) -> (std::process::ExitStatus, Vec<String>) {
    // The child's output goes to a file (a pipe nobody reads could fill and stall it).
    let log_path = std::env::temp_dir().join(format!("pime-vc-{test}-{}.log", std::process::id()));
    let log = std::fs::File::create(&log_path).expect("the child's log");
    let mut child = std::process::Command::new(std::env::current_exe().expect("this test"))
        .args(["--exact", test, "--nocapture"])
        .env(CHILD, test)
        .stdout(log.try_clone().expect("the log"))
        .stderr(log)
        .spawn()
        .expect("the child starts");
    let deadline = std::time::Instant::now() + Duration::from_secs(120);
    let status = loop {
        if let Some(status) = child.try_wait().expect("the child's status") {
            break status;
        }
        if std::time::Instant::now() >= deadline {
            let _ = child.kill();
            let _ = child.wait();
            panic!("the child of {test} gave no answer within 120 s (hang)");
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    let output = std::fs::read_to_string(&log_path).unwrap_or_default();
    let _ = std::fs::remove_file(&log_path);
    let lines: Vec<String> = output
        .lines()
        .filter(|line| {
            ["RECURSION", "STACK", "STEP"]
                .iter()
                .any(|p| line.starts_with(p))
                || line.contains("overflow")
                || line.contains("fatal")
                || line.contains("panicked")
                || line.contains("problem")
        })
        .map(str::to_string)
        .collect();
    eprintln!("child of {test}: {status:?}\n{}", lines.join("\n"));
    (status, lines)
}

// Unbounded recursion through host calls (an argument's converter that calls the
// host again) ends in a `RecursionError`, not a stack overflow that aborts the
// process: CPython's specialized call of a C function does not count a level, so
// Python's limit may come too late; each host call checks the stack left first
// (`callable.rs` `enter`).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unbounded_recursion_through_a_converter() {
    if in_child("unbounded_recursion_through_a_converter") {
        return recursion_child().await;
    }
    let (status, lines) = run_in_child("unbounded_recursion_through_a_converter").await;
    assert!(
        status.success(),
        "recursion through host calls killed the process ({status:?}):\n{}",
        lines.join("\n")
    );
}

/// The child's scenario: a measured recursion under a limit of 300, then unbounded
/// recursion (default limit) on a pool worker, in a Python thread and on the loop.
async fn recursion_child() {
    let _serial = SERIAL.lock().await;
    let engine = start("v1", (2, 4)).await;
    println!("RECURSION cost: {:?}", run(60, "recursion_cost", &[]).await);
    let sync = table(run(60, "recursive_converter", &[]).await);
    println!("RECURSION sync: {sync:?}");
    let aio = table(run(60, "recursive_converter_aio", &[]).await);
    println!("RECURSION aio: {aio:?}");
    stop(engine).await;
    let error = "TypeError: * & RecursionError";
    check(
        &sync,
        &[("worker", error), ("thread", error), ("after", "ok: 2")],
    );
    check(&aio, &[("aio", error), ("after", "ok: 2")]);
}

// A host call with a nested argument from a Python thread with a small stack
// (`threading.stack_size(256 * 1024)`, what plugins that start many threads set): the
// argument is converted on the calling thread, recursively, so a value deeper than
// that stack holds (150 levels in a debug build) is refused with a `TypeError` saying
// so, where it used to overflow the stack and kill the process; a shallower one
// converts.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn host_calls_from_a_python_thread_with_a_small_stack() {
    if in_child("host_calls_from_a_python_thread_with_a_small_stack") {
        return with_engine("v1", (2, 4), async {
            let got = table(run(60, "small_stacks", &[("kib", Value::I64(256))]).await);
            println!("STACK 256 KiB: {got:?}");
            check(
                &got,
                &[
                    ("plain", "ok: 3"),
                    ("async_ready", "ok: 'user 1'"),
                    ("async_waits", "ok: 'slept'"),
                    ("pure_python_json", "ok: 301"),
                    ("deep_arg_20", "ok: 41"),
                    (
                        "deep_arg_150",
                        "TypeError: * & nesting too deep for the stack of this thread",
                    ),
                    ("deep_count_150", "TypeError: * & 'v'"),
                    ("error", "TypeError: * & 'c'"),
                ],
            );
        })
        .await;
    }
    let (status, lines) = run_in_child("host_calls_from_a_python_thread_with_a_small_stack").await;
    assert!(
        status.success(),
        "a host call from a 256 KiB thread killed the process ({status:?}):\n{}",
        lines.join("\n")
    );
}
