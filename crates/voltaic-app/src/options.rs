use std::path::PathBuf;

use voltaic_core::{AllowedOrigins, ChannelGrants};

use crate::Icon;

/// The Content-Security-Policy sent with every page and resource Voltaic serves from
/// `app://` (see [`WebPreferences::content_security_policy`]): scripts, styles and
/// everything else from the app itself only, no plugins, no framing, and no form
/// posts or `<base>` tricks elsewhere. Electron's security checklist asks for this.
pub const DEFAULT_CSP: &str = "default-src 'self'; script-src 'self'; object-src 'none'; \
base-uri 'self'; form-action 'self'; frame-ancestors 'none'";

/// Options for [`crate::BrowserWindow::new`] (Electron's `BrowserWindowConstructorOptions`).
///
/// ```
/// use voltaic::{BrowserWindowOptions, ChannelGrants, WebPreferences};
///
/// let options = BrowserWindowOptions {
///     width: 800,
///     height: 600,
///     web_preferences: WebPreferences {
///         preload: Some("preload.js".into()),
///         grants: ChannelGrants::new()
///             .invoke("get-data")
///             .send("message-channel")
///             .receive("update-channel"),
///         ..Default::default()
///     },
///     ..Default::default()
/// };
/// assert!(options.web_preferences.context_isolation);
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BrowserWindowOptions {
    /// Inner width in logical pixels. Default 800.
    pub width: u32,
    /// Inner height in logical pixels. Default 600.
    pub height: u32,
    /// Window title. Default `"Voltaic"`.
    pub title: String,
    /// Whether the window is shown when created. Default `true`. With `false`, show
    /// it once its page is ready, without a flash: call
    /// [`crate::BrowserWindow::show`] on [`crate::WindowEvent::ReadyToShow`].
    pub show: bool,
    /// Where the window's left edge goes; `None` lets the window manager place it.
    /// Taken with `y`. Default `None`.
    pub x: Option<i32>,
    /// Where the window's top edge goes; `None` lets the window manager place it.
    /// Default `None`.
    pub y: Option<i32>,
    /// Put the window in the middle of the screen. Default `false`.
    pub center: bool,
    /// The smallest content size the user may give it. Default `None`.
    pub min_size: Option<(u32, u32)>,
    /// The largest content size the user may give it. Default `None`.
    pub max_size: Option<(u32, u32)>,
    /// Whether the user may resize it. Default `true`.
    pub resizable: bool,
    /// With `false`, a window without the system's frame and title bar
    /// (Electron's frameless window). Default `true`.
    pub frame: bool,
    /// Keep it above other windows. Default `false`.
    pub always_on_top: bool,
    /// Start in full screen. Default `false`.
    pub full_screen: bool,
    /// Its icon, where the platform shows one. Default `None`: the system's.
    pub icon: Option<Icon>,
    /// The window it belongs to, by id ([`crate::BrowserWindow::id`]): it stays
    /// above that window (Electron's `parent`). Default `None`.
    pub parent: Option<u32>,
    /// With a parent, block input to the parent while it is open (Electron's
    /// `modal`). Default `false`.
    pub modal: bool,
    /// Settings of the renderer.
    pub web_preferences: WebPreferences,
}

impl Default for BrowserWindowOptions {
    fn default() -> Self {
        Self {
            width: 800,
            height: 600,
            title: "Voltaic".to_owned(),
            show: true,
            x: None,
            y: None,
            center: false,
            min_size: None,
            max_size: None,
            resizable: true,
            frame: true,
            always_on_top: false,
            full_screen: false,
            icon: None,
            parent: None,
            modal: false,
            web_preferences: WebPreferences::default(),
        }
    }
}

/// Renderer settings (Electron's `webPreferences`). The defaults are the secure ones.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WebPreferences {
    /// A script run before the page's own scripts, with `require('electron')`.
    /// Relative paths are taken from the current directory.
    pub preload: Option<PathBuf>,
    /// Run the preload in its own JavaScript world, apart from the page. Default
    /// `true`; turning it off puts `ipcRenderer` within the page's reach and disables
    /// `contextBridge`, as in Electron.
    pub context_isolation: bool,
    /// Keep the renderer away from OS resources. Default `true`. Voltaic renderers never
    /// get Node.js or OS access, and the engine's process sandbox is app-wide (see
    /// [`crate::SandboxState`]), so `false` only logs a warning.
    pub sandbox: bool,
    /// Must stay `false`: there is no Node.js in a Voltaic renderer, and `true` is
    /// refused with [`crate::Error::NodeIntegrationUnsupported`].
    pub node_integration: bool,
    /// Allow the web inspector (right click, Inspect Element). Default: on in debug
    /// builds, off in release builds.
    pub dev_tools: bool,
    /// The IPC channels this window's renderer may use, per direction. Default:
    /// none, so a window must be granted every channel it uses; anything else is
    /// refused by the main process (and earlier by the preload) with
    /// `channel '<name>' is not allowed for this window`.
    pub grants: ChannelGrants,
    /// The origins this window's IPC messages are accepted from. Default: the app's
    /// own content (`app://localhost`), which is what `load_file` and `load_html`
    /// show. After a navigation elsewhere the window's IPC is refused.
    pub allowed_origins: AllowedOrigins,
    /// The Content-Security-Policy header of everything served from `app://`.
    /// Default [`DEFAULT_CSP`]; an empty string sends none.
    pub content_security_policy: String,
    /// What `contextBridge.exposeInMainWorld` gives the page can be changed by it:
    /// the `window` property is writable and configurable, and the objects are not
    /// frozen (Electron's `--enable-features=ContextBridgeMutability`). Default
    /// `false`: exposed APIs are read-only and deeply frozen, so one page script
    /// cannot swap a function another relies on.
    pub context_bridge_mutability: bool,
    /// Script worlds, besides the page's and the preload's, that the preload can
    /// expose APIs to (`contextBridge.exposeInIsolatedWorld(id, ..)`) and run script
    /// in (`webFrame.executeJavaScriptInIsolatedWorld(id, ..)`). Electron makes a
    /// world when it is first used; the engines give a world its scripts from the
    /// document's start, and a world made later could be joined to the preload's only
    /// through the page's DOM, where the page would see the bridge. So a window names
    /// its worlds here: ids from 1 to 998, or from 1000 up, as Electron advises (0 is
    /// the page's world, 999 the preload's). Default: none.
    pub isolated_worlds: Vec<u32>,
    /// Strings appended to `process.argv` in this window's preload, as Electron's
    /// `webPreferences.additionalArguments`: a preload can read its window's
    /// configuration there (VS Code's does). They reach the preload only; the page
    /// has no `process`. Default: none.
    pub additional_arguments: Vec<String>,
    /// The APIs declared in Rust (`voltaic::Api`, added with `IpcMain::add_api`) this
    /// window takes, by name: each is exposed to the page as `window.<name>` before
    /// the window's own preload runs, and the window is granted exactly its channels,
    /// on top of [`WebPreferences::grants`]. Default: none.
    pub apis: Vec<String>,
    /// Serve the app's pages cross-origin isolated: every response from `app://`
    /// carries `Cross-Origin-Opener-Policy: same-origin` and
    /// `Cross-Origin-Embedder-Policy: require-corp`, as an Electron app's protocol
    /// handler would. The page is then `crossOriginIsolated`: it has
    /// `SharedArrayBuffer` (WebAssembly threads) and a fine `performance.now()`.
    /// The cost: the page can embed nothing from another origin that does not opt
    /// in with CORS or `Cross-Origin-Resource-Policy`, and popups it opens lose
    /// their `opener`. Default `false`.
    pub cross_origin_isolation: bool,
}

impl Default for WebPreferences {
    fn default() -> Self {
        Self {
            preload: None,
            context_isolation: true,
            sandbox: true,
            node_integration: false,
            dev_tools: cfg!(debug_assertions),
            grants: ChannelGrants::default(),
            allowed_origins: AllowedOrigins::default(),
            content_security_policy: DEFAULT_CSP.to_owned(),
            context_bridge_mutability: false,
            isolated_worlds: Vec::new(),
            additional_arguments: Vec::new(),
            apis: Vec::new(),
            cross_origin_isolation: false,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_are_the_secure_ones() {
        let prefs = WebPreferences::default();
        assert!(prefs.context_isolation);
        assert!(prefs.sandbox);
        assert!(!prefs.node_integration);
        assert!(!prefs.context_bridge_mutability);
        assert_eq!(prefs.preload, None);
        assert_eq!(prefs.grants, ChannelGrants::new());
        assert!(prefs.allowed_origins.allows("app://localhost"));
        assert!(!prefs.allowed_origins.allows("file://"));
        assert!(prefs.content_security_policy.contains("script-src 'self'"));
        let window = BrowserWindowOptions::default();
        assert_eq!((window.width, window.height), (800, 600));
    }
}
