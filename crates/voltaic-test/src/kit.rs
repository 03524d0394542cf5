//! What a test's setup gets: the [`Kit`].

use std::path::{Path, PathBuf};

use voltaic::{App, BrowserWindow, BrowserWindowOptions, ChannelGrants, WebPreferences};

use crate::mock::Mock;
use crate::probe::Probe;
use crate::traffic::Traffic;

/// Preferences for tests about the IPC API rather than its security: every
/// channel granted, and inline scripts allowed so that a test page fits in one
/// string. Tests of security start from `WebPreferences::default()` instead.
pub fn api_prefs() -> WebPreferences {
    WebPreferences {
        grants: ChannelGrants::all(),
        content_security_policy: "default-src 'self'; script-src 'self' 'unsafe-inline'".into(),
        ..Default::default()
    }
}

/// Records Voltaic's own warnings and errors (refusals, denials) in the probe as
/// `log:<LEVEL>:<message> <fields>`, so that tests can check what the main
/// process said about an attack.
pub(crate) struct LogRecorder {
    probe: Probe,
}

impl LogRecorder {
    pub(crate) fn new(probe: Probe) -> Self {
        Self { probe }
    }
}

impl<S: tracing::Subscriber> tracing_subscriber::Layer<S> for LogRecorder {
    fn on_event(&self, event: &tracing::Event<'_>, _: tracing_subscriber::layer::Context<'_, S>) {
        let meta = event.metadata();
        if *meta.level() > tracing::Level::WARN || !meta.target().starts_with("voltaic") {
            return;
        }
        struct Fields(String);
        impl tracing::field::Visit for Fields {
            fn record_debug(&mut self, field: &tracing::field::Field, value: &dyn std::fmt::Debug) {
                if field.name() == "message" {
                    self.0.insert_str(0, &format!("{value:?}"));
                } else {
                    self.0.push_str(&format!(" {}={value:?}", field.name()));
                }
            }
        }
        let mut fields = Fields(String::new());
        event.record(&mut fields);
        self.probe
            .record(format!("log:{}:{}", meta.level(), fields.0));
    }
}

/// What a test's setup gets: the app, a probe, and a scratch directory. The app's
/// IPC timeline is on from the start (previews of 200 characters), for
/// [`Kit::traffic`].
pub struct Kit {
    app: App,
    probe: Probe,
    dir: PathBuf,
    name: &'static str,
}

impl Kit {
    pub(crate) fn new(app: App, probe: Probe, dir: PathBuf, name: &'static str) -> Self {
        app.timeline()
            .start(voltaic::TimelineOptions::default().preview(200));
        Self {
            app,
            probe,
            dir,
            name,
        }
    }

    pub(crate) fn into_app(self) -> App {
        self.app
    }

    /// The running test's name, for setups shared by several tests.
    pub fn name(&self) -> &'static str {
        self.name
    }

    /// The app under test.
    pub fn app(&self) -> &App {
        &self.app
    }

    /// The running engine's version if its `process.versions` key is `key`
    /// (`webkitgtk`, `chrome`), else `"undefined"`: what a preload reading
    /// `process.versions[key]` prints.
    pub fn engine_version(&self, key: &str) -> String {
        let engine = self.app.handle().engine_info().clone();
        if engine.versions_key == key {
            engine.version
        } else {
            "undefined".to_owned()
        }
    }

    /// The probe recording console lines and whatever handlers record.
    pub fn probe(&self) -> Probe {
        self.probe.clone()
    }

    /// Writes a file into the test's scratch directory.
    pub fn file(&self, name: &str, contents: &str) -> Result<PathBuf, String> {
        let path = self.dir.join(name);
        std::fs::write(&path, contents).map_err(|e| format!("{}: {e}", path.display()))?;
        Ok(path)
    }

    /// Opens a window with `preload` (source) and loads `html` from a file.
    pub fn window(
        &self,
        tag: &str,
        preload: Option<&str>,
        html: &str,
    ) -> Result<BrowserWindow, String> {
        let prefs = WebPreferences {
            preload: preload
                .map(|source| self.file(&format!("{tag}-preload.js"), source))
                .transpose()?,
            ..api_prefs()
        };
        self.window_with(tag, prefs, html)
    }

    /// Like [`Kit::window`] with explicit preferences.
    pub fn window_with(
        &self,
        tag: &str,
        prefs: WebPreferences,
        html: &str,
    ) -> Result<BrowserWindow, String> {
        let window = BrowserWindow::new(
            &self.app,
            BrowserWindowOptions {
                title: format!("test {tag}"),
                width: 640,
                height: 480,
                web_preferences: prefs,
                ..Default::default()
            },
        )
        .map_err(|e| format!("window {tag}: {e}"))?;
        let page = self.file(&format!("{tag}.html"), html)?;
        window
            .load_file(&page)
            .map_err(|e| format!("load {tag}: {e}"))?;
        Ok(window)
    }

    /// The scratch directory.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// Replaces what the app answers on `channel` with a [`Mock`]: its handler,
    /// and its listeners, in the app's registry (`ipc_main`, declared APIs
    /// included). The app's other channels stay real. Invokes resolve with what
    /// [`Mock::returns`] says (`null` until then).
    pub fn mock(&self, channel: &str) -> Result<Mock, String> {
        let ipc = self.app.ipc_main();
        let mock = Mock::new(channel);
        ipc.remove_handler(channel);
        ipc.remove_all_listeners(Some(channel));
        ipc.handle(channel, mock.recorder())
            .map_err(|error| format!("mock of '{channel}': {error}"))?;
        ipc.on(channel, mock.recorder());
        Ok(mock)
    }

    /// The app's IPC traffic, for assertions: what was invoked, sent, pushed and
    /// refused.
    pub fn traffic(&self) -> Traffic {
        Traffic::new(self.app.timeline().clone())
    }
}
