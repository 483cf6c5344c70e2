//! A tracing subscriber layer that records every event with the spans it is inside,
//! for the span tests: a real subscriber, not strings read back.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};

use tracing::field::{Field, Visit};
use tracing_subscriber::layer::{Context, SubscriberExt};
use tracing_subscriber::registry::LookupSpan;
use tracing_subscriber::Layer;

/// One span: its name and fields.
#[derive(Clone, Debug, PartialEq)]
pub struct SpanInfo {
    pub name: String,
    pub fields: BTreeMap<String, String>,
}

/// One event: its fields and the spans it is inside, innermost first.
#[derive(Clone, Debug)]
pub struct EventInfo {
    pub target: String,
    pub level: tracing::Level,
    pub fields: BTreeMap<String, String>,
    pub scope: Vec<SpanInfo>,
}

impl EventInfo {
    /// The event's message, if it has one.
    pub fn message(&self) -> Option<&str> {
        self.fields.get("message").map(String::as_str)
    }

    /// The `command` of each enclosing `pime.call` span, innermost first.
    pub fn call_commands(&self) -> Vec<String> {
        self.scope
            .iter()
            .filter(|span| span.name == "pime.call")
            .map(|span| span.fields.get("command").cloned().unwrap_or_default())
            .collect()
    }
}

#[derive(Default)]
struct Fields(BTreeMap<String, String>);

impl Visit for Fields {
    fn record_debug(&mut self, field: &Field, value: &dyn std::fmt::Debug) {
        self.0.insert(field.name().into(), format!("{value:?}"));
    }
    fn record_str(&mut self, field: &Field, value: &str) {
        self.0.insert(field.name().into(), value.into());
    }
}

/// Records every event with its span scope.
#[derive(Clone, Default)]
pub struct Recorder(Arc<Mutex<Vec<EventInfo>>>);

impl Recorder {
    /// A recorder installed as the process's only subscriber (spans cross threads, so
    /// a thread-local one would miss them).
    pub fn install() -> Recorder {
        let recorder = Recorder::default();
        tracing::subscriber::set_global_default(
            tracing_subscriber::registry().with(recorder.clone()),
        )
        .expect("the only subscriber of this process");
        recorder
    }

    /// The events recorded so far.
    pub fn events(&self) -> Vec<EventInfo> {
        self.0.lock().unwrap().clone()
    }
}

impl<S> Layer<S> for Recorder
where
    S: tracing::Subscriber + for<'a> LookupSpan<'a>,
{
    fn on_new_span(
        &self,
        attrs: &tracing::span::Attributes<'_>,
        id: &tracing::span::Id,
        ctx: Context<'_, S>,
    ) {
        let mut fields = Fields::default();
        attrs.record(&mut fields);
        if let Some(span) = ctx.span(id) {
            span.extensions_mut().insert(fields);
        }
    }

    fn on_record(
        &self,
        id: &tracing::span::Id,
        values: &tracing::span::Record<'_>,
        ctx: Context<'_, S>,
    ) {
        if let Some(span) = ctx.span(id) {
            if let Some(fields) = span.extensions_mut().get_mut::<Fields>() {
                values.record(fields);
            }
        }
    }

    fn on_event(&self, event: &tracing::Event<'_>, ctx: Context<'_, S>) {
        let mut fields = Fields::default();
        event.record(&mut fields);
        let scope = ctx
            .event_scope(event)
            .map(|scope| {
                scope
                    .map(|span| SpanInfo {
                        name: span.name().to_string(),
                        fields: span
                            .extensions()
                            .get::<Fields>()
                            .map(|f| f.0.clone())
                            .unwrap_or_default(),
                    })
                    .collect()
            })
            .unwrap_or_default();
        self.0.lock().unwrap().push(EventInfo {
            target: event.metadata().target().to_string(),
            level: *event.metadata().level(),
            fields: fields.0,
            scope,
        });
    }
}
