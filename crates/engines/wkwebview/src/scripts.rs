//! What a window's documents get before their first script, in which world: the
//! same scripts, in the same worlds, as on WebKitGTK (whose `transport::install`
//! this mirrors), for `WKUserScript`s at document start, main frame only.

use voltaic_preload::{RuntimeConfig, ISOLATED_WORLD};

/// The JS world a script runs in.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum World {
    /// The page's own (`WKContentWorld.pageWorld`).
    Page,
    /// A named world (`WKContentWorld.worldWithName`).
    Named(String),
}

/// The world the preload runs in: its own, or the page's with context isolation
/// off.
pub(crate) fn preload_world(context_isolation: bool) -> World {
    if context_isolation {
        World::Named(ISOLATED_WORLD.to_owned())
    } else {
        World::Page
    }
}

/// The name of isolated world `id` (`WebPreferences::isolated_worlds`), as on
/// every engine.
pub(crate) fn isolated_world_name(id: u32) -> String {
    format!("voltaic-world-{id}")
}

/// The scripts, in the order they must run: with context isolation, the page's
/// half of contextBridge in the page's world and in each isolated world the window
/// names; then the runtime and the preload (the preload's wrapper is what reports
/// the renderer ready, so it is there even without a preload).
pub(crate) fn document_start(
    runtime: &RuntimeConfig,
    preload: Option<&str>,
) -> Vec<(String, World)> {
    let mut scripts = Vec::new();
    if runtime.context_isolation {
        scripts.push((voltaic_preload::page_world_script(), World::Page));
        for &id in &runtime.isolated_worlds {
            scripts.push((
                voltaic_preload::isolated_world_script(id),
                World::Named(isolated_world_name(id)),
            ));
        }
    }
    let world = preload_world(runtime.context_isolation);
    scripts.push((voltaic_preload::runtime_script(runtime), world.clone()));
    scripts.push((
        voltaic_preload::preload_script(preload.unwrap_or_default()),
        world,
    ));
    scripts
}

#[cfg(test)]
mod tests {
    use super::*;

    fn config(context_isolation: bool, isolated_worlds: Vec<u32>) -> RuntimeConfig {
        RuntimeConfig {
            app_origin: "app://localhost".into(),
            context_isolation,
            max_message_bytes: 1024,
            max_depth: 64,
            messages_per_second: 100,
            burst: 200,
            preload_name: "preload.js".into(),
            grants: voltaic_preload::Grants::default(),
            schemas: serde_json::json!({}),
            sync_token: "0123".into(),
            process: voltaic_preload::ProcessInfo::current(Default::default(), true),
            context_bridge_mutability: false,
            isolated_worlds,
            apis: Vec::new(),
            inspector_key: false,
        }
    }

    #[test]
    fn with_isolation_the_page_gets_only_its_half_of_the_bridge() {
        let scripts = document_start(&config(true, vec![7]), Some("window.x = 1;"));
        let worlds: Vec<&World> = scripts.iter().map(|(_, w)| w).collect();
        assert_eq!(
            worlds,
            [
                &World::Page,
                &World::Named("voltaic-world-7".into()),
                &World::Named(ISOLATED_WORLD.into()),
                &World::Named(ISOLATED_WORLD.into()),
            ]
        );
        assert_eq!(scripts[0].0, voltaic_preload::page_world_script());
        // The runtime, which holds the message handlers' names, is never in the
        // page's world.
        assert!(scripts[2].0.contains(voltaic_preload::MESSAGE_HANDLER));
        assert!(scripts[3].0.contains("window.x = 1;"));
    }

    #[test]
    fn without_isolation_everything_is_in_the_page_world() {
        let scripts = document_start(&config(false, vec![7]), None);
        assert_eq!(scripts.len(), 2);
        assert!(scripts.iter().all(|(_, world)| *world == World::Page));
    }
}
