//! `App::security_report`: for every open window, the state of each rule of Voltaic's
//! IPC model and of the items of Electron's security checklist that apply to it,
//! with anything weakened flagged.

use std::collections::BTreeMap;
use std::fmt;
use std::sync::{Arc, Mutex, PoisonError};

use voltaic_core::{AllowedOrigins, ChannelGrants, Direction, Limits};

use crate::engine::EngineInfo;
use crate::SandboxState;

/// How a rule stands for one window.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CheckState {
    /// The secure default, or stricter.
    Ok,
    /// Weaker than the default: worth a look before shipping.
    Weakened,
}

/// One line of the report.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Check {
    /// The rule, e.g. `channel allowlist`.
    pub rule: &'static str,
    /// Whether it holds as by default.
    pub state: CheckState,
    /// What the window has.
    pub detail: String,
}

/// The checks of one window.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WindowReport {
    /// The window's id.
    pub window: u32,
    /// Its title when it was created.
    pub title: String,
    /// One entry per rule.
    pub checks: Vec<Check>,
}

impl WindowReport {
    /// The checks that are weakened.
    pub fn weakened(&self) -> impl Iterator<Item = &Check> {
        self.checks
            .iter()
            .filter(|c| c.state == CheckState::Weakened)
    }
}

/// The report of every open window. `Display` prints the engine, then each window's
/// checks as an aligned table.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SecurityReport {
    /// The web engine that renders the windows, with its version, as it reports
    /// itself (`WebKitGTK 2.50.6`): so that a log shows what ran.
    pub engine: String,
    /// One entry per open window, by id.
    pub windows: Vec<WindowReport>,
}

impl SecurityReport {
    /// Whether nothing is weakened anywhere.
    pub fn all_ok(&self) -> bool {
        self.windows.iter().all(|w| w.weakened().next().is_none())
    }

    /// The check named `rule` of window `window`, if both exist.
    pub fn check(&self, window: u32, rule: &str) -> Option<&Check> {
        self.windows
            .iter()
            .find(|w| w.window == window)?
            .checks
            .iter()
            .find(|c| c.rule == rule)
    }
}

impl fmt::Display for SecurityReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(f, "engine: {}", self.engine)?;
        for window in &self.windows {
            let weakened = window.weakened().count();
            writeln!(
                f,
                "window {} {:?}: {}",
                window.window,
                window.title,
                match weakened {
                    0 => "all secure defaults hold".to_owned(),
                    n => format!("{n} weakened"),
                }
            )?;
            for check in &window.checks {
                let mark = match check.state {
                    CheckState::Ok => "ok",
                    CheckState::Weakened => "WEAKENED",
                };
                writeln!(f, "  [{mark:<8}] {:<24} {}", check.rule, check.detail)?;
            }
        }
        Ok(())
    }
}

/// What is known of a window when it is created.
#[derive(Debug, Clone)]
pub(crate) struct WindowFacts {
    pub(crate) title: String,
    pub(crate) context_isolation: bool,
    pub(crate) sandbox_requested: bool,
    pub(crate) process_sandboxed: bool,
    pub(crate) dev_tools: bool,
    pub(crate) grants: ChannelGrants,
    pub(crate) origins: AllowedOrigins,
    pub(crate) csp: String,
    /// Whether its app pages are served cross-origin isolated.
    pub(crate) cross_origin_isolation: bool,
    /// The APIs declared in Rust the window takes, each with its channels.
    pub(crate) apis: Vec<(String, Vec<String>)>,
}

/// The app-wide facts the report also needs.
pub(crate) struct AppFacts<'a> {
    pub(crate) engine: &'a EngineInfo,
    pub(crate) limits: Limits,
    pub(crate) schema_channels: Vec<String>,
    /// Navigation, window.open and permission handlers installed.
    pub(crate) hooks: [bool; 3],
    /// By window: where its preload tried to expose `ipcRenderer` itself.
    pub(crate) exposed_ipc_renderer: BTreeMap<u32, Vec<String>>,
}

/// The facts of every open window, shared between the engine thread and report callers.
pub(crate) type Registry = Arc<Mutex<BTreeMap<u32, WindowFacts>>>;

pub(crate) fn report(windows: &Registry, app: &AppFacts<'_>) -> SecurityReport {
    let windows = windows.lock().unwrap_or_else(PoisonError::into_inner);
    SecurityReport {
        engine: format!("{} {}", app.engine.name, app.engine.version),
        windows: windows
            .iter()
            .map(|(id, facts)| WindowReport {
                window: *id,
                title: facts.title.clone(),
                checks: checks(*id, facts, app),
            })
            .collect(),
    }
}

fn ok(rule: &'static str, detail: impl Into<String>) -> Check {
    Check {
        rule,
        state: CheckState::Ok,
        detail: detail.into(),
    }
}

fn weakened(rule: &'static str, detail: impl Into<String>) -> Check {
    Check {
        rule,
        state: CheckState::Weakened,
        detail: detail.into(),
    }
}

fn checks(id: u32, w: &WindowFacts, app: &AppFacts<'_>) -> Vec<Check> {
    let mut checks = Vec::new();
    checks.push(if w.context_isolation {
        ok(
            "context isolation",
            "preload in its own JS world; the page has no IPC primitive",
        )
    } else {
        weakened(
            "context isolation",
            "off: page scripts share the preload's world and reach ipcRenderer",
        )
    });
    checks.push(grants_check(&w.grants));
    checks.push(validation_check(&w.grants, &app.schema_channels));
    checks.push(apis_check(&w.apis, &app.schema_channels));
    checks.push(if w.context_isolation {
        ok(
            "contextBridge only",
            "the page gets copies and proxies, never preload objects",
        )
    } else {
        weakened(
            "contextBridge only",
            "unavailable without context isolation",
        )
    });
    checks.push(match app.exposed_ipc_renderer.get(&id) {
        Some(keys) if !keys.is_empty() => weakened(
            "ipcRenderer exposure",
            format!(
                "the preload exposed ipcRenderer itself as window.{} (the page got an empty \
                 object; expose one function per message instead)",
                keys.join(", window.")
            ),
        ),
        _ => ok(
            "ipcRenderer exposure",
            "the preload exposes its own functions, not ipcRenderer",
        ),
    });
    checks.push(ok(
        "node integration",
        "off: renderers never get Node.js or OS access",
    ));
    let sandboxed = app.engine.sandbox_detail;
    checks.push(match (&app.engine.sandbox, w.process_sandboxed) {
        (SandboxState::Enabled, true) if w.sandbox_requested => ok("process sandbox", sandboxed),
        (_, true) => ok(
            "process sandbox",
            format!("{sandboxed} (sandbox: false cannot lift the app-wide sandbox)"),
        ),
        (SandboxState::Unavailable(reason), _) => {
            weakened("process sandbox", format!("unavailable: {reason}"))
        }
        (SandboxState::DisabledByEnvironment(variable), _) => {
            weakened("process sandbox", format!("disabled by {variable}"))
        }
        (SandboxState::Enabled, false) => weakened(
            "process sandbox",
            format!("{} did not enable it for this window", app.engine.name),
        ),
    });
    checks.push(if w.origins.is_any() {
        weakened(
            "trusted origins",
            "IPC accepted from any origin, remote pages included",
        )
    } else {
        let remote: Vec<&String> = w
            .origins
            .list()
            .iter()
            .filter(|o| !o.starts_with("app://"))
            .collect();
        let list = w.origins.list().join(", ");
        if remote.is_empty() {
            ok("trusted origins", format!("IPC only from {list}"))
        } else {
            weakened("trusted origins", format!("IPC also from {list}"))
        }
    });
    checks.push(ok(
        "sub-frames",
        "iframes get no preload and no IPC transport",
    ));
    checks.push(if w.csp.is_empty() {
        weakened("content security policy", "none sent with app:// content")
    } else if w.csp.contains("'unsafe-inline'") || w.csp.contains("'unsafe-eval'") {
        weakened("content security policy", w.csp.clone())
    } else {
        ok("content security policy", w.csp.clone())
    });
    checks.push(if w.cross_origin_isolation {
        ok(
            "cross-origin isolation",
            format!(
                "on: {} (SharedArrayBuffer, fine clock; other origins embed only with CORP or CORS)",
                app.engine.isolation_detail
            ),
        )
    } else if app.engine.isolation_app_wide && crate::content::isolated_since_start() {
        weakened(
            "cross-origin isolation",
            format!(
                "off, but another window's isolation gave {}'s web processes started since \
                 then SharedArrayBuffer (its switch is for the whole app)",
                app.engine.name
            ),
        )
    } else {
        ok(
            "cross-origin isolation",
            "off (no SharedArrayBuffer; WebPreferences::cross_origin_isolation)",
        )
    });
    let [navigation, window_open, permissions] = app.hooks;
    checks.push(ok(
        "navigation",
        if navigation {
            "to other origins: the app's handler decides"
        } else {
            "to other origins: denied"
        },
    ));
    checks.push(ok(
        "window.open",
        if window_open {
            "the app's handler decides"
        } else {
            "denied"
        },
    ));
    checks.push(ok(
        "permission requests",
        if permissions {
            "the app's handler decides"
        } else {
            "denied (camera, microphone, geolocation, notifications, ...)"
        },
    ));
    checks.push(ok(
        "web security",
        "same-origin policy on; no insecure content settings exposed",
    ));
    let limits = app.limits;
    checks.push(ok(
        "limits",
        format!(
            "{} bytes, depth {}, {}/s (burst {}) per window",
            limits.max_message_bytes, limits.max_depth, limits.messages_per_second, limits.burst
        ),
    ));
    checks.push(if w.dev_tools && !cfg!(debug_assertions) {
        weakened("dev tools", "enabled in a release build")
    } else if !w.dev_tools && !app.engine.dev_tools_can_be_off {
        weakened(
            "dev tools",
            format!(
                "asked off, but {} keeps its own developer tools shortcut",
                app.engine.name
            ),
        )
    } else {
        ok(
            "dev tools",
            if w.dev_tools {
                "enabled (debug build)"
            } else {
                "disabled"
            },
        )
    });
    checks
}

fn grants_check(grants: &ChannelGrants) -> Check {
    let describe = |direction: Direction| {
        let list = grants.list(direction);
        if list.is_empty() {
            "-".to_owned()
        } else {
            list.iter()
                .map(|p| p.as_str())
                .collect::<Vec<_>>()
                .join(" ")
        }
    };
    let detail = format!(
        "send: {} | invoke: {} | receive: {}",
        describe(Direction::Send),
        describe(Direction::Invoke),
        describe(Direction::Receive)
    );
    if grants.has_wildcard() {
        weakened(
            "channel allowlist",
            format!("'*' grants every channel; {detail}"),
        )
    } else {
        ok("channel allowlist", detail)
    }
}

/// The APIs declared in Rust: their channels, each of which has the schema of its
/// Rust types (a channel without one would be a bug, and is flagged).
fn apis_check(apis: &[(String, Vec<String>)], schemas: &[String]) -> Check {
    if apis.is_empty() {
        return ok("declared APIs", "none");
    }
    let mut unchecked = Vec::new();
    let detail = apis
        .iter()
        .map(|(name, channels)| {
            for channel in channels {
                if !schemas.contains(channel) {
                    unchecked.push(channel.as_str());
                }
            }
            format!("window.{name}: {}", channels.join(" "))
        })
        .collect::<Vec<_>>()
        .join(" | ");
    if unchecked.is_empty() {
        ok(
            "declared APIs",
            format!("{detail} (each with the schema of its Rust types)"),
        )
    } else {
        weakened(
            "declared APIs",
            format!("{detail}; no schema for: {}", unchecked.join(", ")),
        )
    }
}

fn validation_check(grants: &ChannelGrants, schemas: &[String]) -> Check {
    let mut without: Vec<&str> = [Direction::Send, Direction::Invoke, Direction::Receive]
        .iter()
        .flat_map(|d| grants.list(*d))
        .map(|p| p.as_str())
        // A pattern grants channels nobody listed, which no schema can cover.
        .filter(|p| p.ends_with('*') || !schemas.iter().any(|s| s == p))
        .collect();
    without.sort_unstable();
    without.dedup();
    if without.is_empty() {
        ok(
            "schema validation",
            "every granted channel has a schema, checked on both ends",
        )
    } else {
        weakened(
            "schema validation",
            format!("no schema for: {}", without.join(", ")),
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn engine(name: &'static str, dev_tools_can_be_off: bool) -> EngineInfo {
        EngineInfo {
            name,
            version: "1.2.3".into(),
            versions_key: "engine",
            sandbox: SandboxState::Enabled,
            sandbox_detail: "inside the engine's sandbox",
            dev_tools_can_be_off,
            isolation_detail: "test",
            isolation_app_wide: false,
            unsupported_changes: &[],
        }
    }

    fn window(dev_tools: bool) -> WindowFacts {
        WindowFacts {
            title: "w".into(),
            context_isolation: true,
            sandbox_requested: true,
            process_sandboxed: true,
            dev_tools,
            grants: ChannelGrants::new(),
            origins: AllowedOrigins::default(),
            csp: crate::DEFAULT_CSP.into(),
            cross_origin_isolation: false,
            apis: Vec::new(),
        }
    }

    fn report_of(engine: &EngineInfo, dev_tools: bool) -> SecurityReport {
        let windows: Registry = Arc::default();
        windows
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .insert(1, window(dev_tools));
        report(
            &windows,
            &AppFacts {
                engine,
                limits: Limits::default(),
                schema_channels: Vec::new(),
                hooks: [false; 3],
                exposed_ipc_renderer: BTreeMap::new(),
            },
        )
    }

    #[test]
    fn the_report_names_the_engine_and_what_it_cannot_turn_off() {
        let webkit = engine("WebKitGTK", true);
        let chromium = engine("Chromium", false);
        let text = report_of(&webkit, false).to_string();
        assert!(text.starts_with("engine: WebKitGTK 1.2.3\n"), "{text}");
        let sandbox = report_of(&webkit, false);
        let line = sandbox.check(1, "process sandbox").unwrap();
        assert_eq!(
            (line.state, line.detail.as_str()),
            (CheckState::Ok, "inside the engine's sandbox")
        );
        assert_eq!(
            report_of(&webkit, false)
                .check(1, "dev tools")
                .map(|c| c.state),
            Some(CheckState::Ok)
        );
        let off = report_of(&chromium, false);
        let line = off.check(1, "dev tools").unwrap();
        assert_eq!(line.state, CheckState::Weakened, "{off}");
        assert!(line.detail.contains("Chromium keeps"), "{}", line.detail);
        // Asked on, in a debug build: as on any engine.
        if cfg!(debug_assertions) {
            assert_eq!(
                report_of(&chromium, true)
                    .check(1, "dev tools")
                    .map(|c| c.state),
                Some(CheckState::Ok)
            );
        }
    }
}
