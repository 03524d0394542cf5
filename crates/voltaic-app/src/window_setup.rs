//! What every engine's window needs before it exists: the options checked, the
//! preload read, the window's grants with its APIs' channels, and the preload
//! runtime's copy of the main process's rules.

use std::path::Path;

use voltaic_core::{Api, ChannelGrants, ChannelPattern, Direction, IpcMain};

use crate::engine::EngineInfo;
use crate::{BrowserWindowOptions, Error, SandboxState, WebPreferences};

/// Refuses what no engine can give.
pub(crate) fn check(prefs: &WebPreferences, window: u32) -> Result<(), Error> {
    if prefs.node_integration {
        return Err(Error::NodeIntegrationUnsupported);
    }
    if let Some(&world) = prefs.isolated_worlds.iter().find(|&&w| w == 0 || w == 999) {
        return Err(Error::InvalidIsolatedWorld(world));
    }
    if !prefs.context_isolation {
        tracing::warn!(
            window,
            "context_isolation is off: page scripts can reach ipcRenderer"
        );
    }
    if !prefs.sandbox {
        tracing::warn!(
            window,
            "sandbox: false changes nothing: the process sandbox is app-wide and renderers never get Node.js"
        );
    }
    Ok(())
}

/// Refuses the window options `engine` cannot give, by the name of the method
/// that would ask for the same ([`crate::WindowChange::name`]; `frame`,
/// `parent` and `crossOriginIsolation` for those options).
pub(crate) fn check_options(
    options: &BrowserWindowOptions,
    engine: &EngineInfo,
) -> Result<(), Error> {
    let defaults = BrowserWindowOptions::default();
    let asked = [
        ("hide", !options.show),
        ("setMinimumSize", options.min_size.is_some()),
        ("setMaximumSize", options.max_size.is_some()),
        ("setResizable", options.resizable != defaults.resizable),
        ("frame", options.frame != defaults.frame),
        ("setAlwaysOnTop", options.always_on_top),
        ("setFullScreen", options.full_screen),
        ("setIcon", options.icon.is_some()),
        ("center", options.center),
        ("setPosition", options.x.is_some() || options.y.is_some()),
        ("parent", options.parent.is_some()),
        (
            "crossOriginIsolation",
            options.web_preferences.cross_origin_isolation,
        ),
    ];
    for (what, _) in asked.iter().filter(|(_, asked)| *asked) {
        if let Some((_, why)) = engine
            .unsupported_changes
            .iter()
            .find(|(name, _)| name == what)
        {
            return Err(Error::Unsupported {
                engine: engine.name,
                what,
                why,
            });
        }
    }
    Ok(())
}

/// The preload's file name (for error messages in the page) and its source.
pub(crate) fn read_preload(path: &Path) -> Result<(String, String), Error> {
    let source = std::fs::read_to_string(path).map_err(|source| Error::Preload {
        path: path.to_owned(),
        source,
    })?;
    let name = path.file_name().map_or_else(
        || path.display().to_string(),
        |n| n.to_string_lossy().into_owned(),
    );
    Ok((name, source))
}

/// The APIs declared in Rust that `prefs` names, as added to `ipc_main`.
pub(crate) fn window_apis(prefs: &WebPreferences, ipc_main: &IpcMain) -> Result<Vec<Api>, Error> {
    prefs
        .apis
        .iter()
        .map(|name| {
            ipc_main
                .api(name)
                .ok_or_else(|| Error::UnknownApi(name.clone()))
        })
        .collect()
}

/// The window's grants: its own, and exactly the channels of each of its APIs.
pub(crate) fn with_api_grants(grants: &ChannelGrants, apis: &[Api]) -> ChannelGrants {
    let mut grants = grants.clone();
    for api in apis {
        for (direction, channel) in api.channels() {
            grants = match direction {
                Direction::Invoke => grants.invoke(&channel),
                Direction::Send => grants.send(&channel),
                Direction::Receive => grants.receive(&channel),
            };
        }
    }
    grants
}

/// The preload runtime's copy of the main process's rules for this window, so that
/// it refuses early what the main process would refuse. The engine fills in the
/// `sendSync` token.
pub(crate) fn runtime_config(
    prefs: &WebPreferences,
    grants: &ChannelGrants,
    apis: &[Api],
    ipc_main: &IpcMain,
    preload_name: String,
    engine: &EngineInfo,
) -> voltaic_preload::RuntimeConfig {
    let limits = ipc_main.limits();
    let grant_list = |direction| {
        grants
            .list(direction)
            .iter()
            .map(|p: &ChannelPattern| p.as_str().to_owned())
            .collect()
    };
    voltaic_preload::RuntimeConfig {
        app_origin: voltaic_core::APP_ORIGIN.to_owned(),
        context_isolation: prefs.context_isolation,
        max_message_bytes: limits.max_message_bytes,
        max_depth: limits.max_depth,
        messages_per_second: limits.messages_per_second,
        burst: limits.burst,
        preload_name,
        grants: voltaic_preload::Grants {
            send: grant_list(Direction::Send),
            invoke: grant_list(Direction::Invoke),
            receive: grant_list(Direction::Receive),
        },
        schemas: ipc_main.schemas_json(),
        sync_token: String::new(),
        process: {
            let mut process = voltaic_preload::ProcessInfo::current(
                versions(engine),
                engine.sandbox == SandboxState::Enabled,
            );
            process
                .argv
                .extend(prefs.additional_arguments.iter().cloned());
            process
        },
        context_bridge_mutability: prefs.context_bridge_mutability,
        isolated_worlds: prefs.isolated_worlds.clone(),
        apis: apis.iter().map(Api::descriptor).collect(),
        // A developer's key, never a shipped app's.
        inspector_key: cfg!(debug_assertions),
    }
}

/// `process.versions` in a preload: Voltaic's and the running engine's. Electron's
/// `node` and `electron` are absent: there is neither, and code that tests for them
/// should take its browser path.
fn versions(engine: &EngineInfo) -> std::collections::BTreeMap<String, String> {
    [
        ("voltaic", env!("CARGO_PKG_VERSION").to_owned()),
        (engine.versions_key, engine.version.clone()),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_owned(), v))
    .collect()
}
