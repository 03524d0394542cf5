//! The app's own files, served to its windows under the app's origin with a strict
//! Content-Security-Policy, instead of `file://`. Documents get a real origin (a
//! `file:` page's origin is opaque, which hides its error details and makes it
//! impossible to tell apart from any other local file). Each engine serves this
//! through its own means: WebKitGTK's `app://` scheme handler, Chromium's request
//! interception.

use std::borrow::Cow;
use std::path::{Component, Path, PathBuf};
use std::sync::{Mutex, PoisonError};

use http::{header, Request, Response, StatusCode};

use crate::engine::LoadTarget;
use percent_encoding::percent_decode_str;

/// What one window serves under `app://localhost/`: the directory of the file it
/// last loaded with `load_file`.
pub struct AppContent {
    serving: Mutex<Serving>,
    csp: String,
    isolated: bool,
}

/// What the window's origin serves now.
enum Serving {
    Nothing,
    /// `load_file`'s directory.
    Root(PathBuf),
    /// `load_html`'s page, at the origin's root.
    Html(String),
}

/// The headers that make a document cross-origin isolated, with the resource
/// policy that lets the app's own files be embedded by it.
pub const ISOLATION_HEADERS: [(&str, &str); 3] = [
    ("Cross-Origin-Opener-Policy", "same-origin"),
    ("Cross-Origin-Embedder-Policy", "require-corp"),
    ("Cross-Origin-Resource-Policy", "same-origin"),
];

impl AppContent {
    /// Serves nothing until [`AppContent::set_root`], with `csp` on every response
    /// (none when empty), and [`ISOLATION_HEADERS`] when `isolated`.
    pub fn new(csp: String, isolated: bool) -> Self {
        if isolated {
            ISOLATED.store(true, std::sync::atomic::Ordering::Release);
        }
        Self {
            serving: Mutex::new(Serving::Nothing),
            csp,
            isolated,
        }
    }

    /// Takes what a load of `target` serves, and gives the path or URL to load:
    /// the file's URL path under the app's origin (its directory is served from
    /// now on), `/` for an HTML string (served there, with no CSP header: the
    /// string brings its own), or the URL itself.
    pub fn prepare(&self, target: LoadTarget) -> Prepared {
        let mut serving = self.serving.lock().unwrap_or_else(PoisonError::into_inner);
        match target {
            LoadTarget::Url(url) => Prepared::Url(url),
            LoadTarget::File { root, path } => {
                *serving = Serving::Root(root);
                Prepared::AppPath(path)
            }
            LoadTarget::Html(html) => {
                *serving = Serving::Html(html);
                Prepared::AppPath("/".to_owned())
            }
        }
    }

    /// Whether the window's pages are served cross-origin isolated.
    pub fn isolated(&self) -> bool {
        self.isolated
    }

    /// Adds the headers every page of the window gets, whatever serves it.
    pub fn with_headers(&self, mut response: http::response::Builder) -> http::response::Builder {
        if self.isolated {
            for (name, value) in ISOLATION_HEADERS {
                response = response.header(name, value);
            }
        }
        response
    }

    /// Serves `dir` from now on.
    pub fn set_root(&self, dir: PathBuf) {
        *self.serving.lock().unwrap_or_else(PoisonError::into_inner) = Serving::Root(dir);
    }

    /// Answers one request of the page. Never panics: the URL comes from the page.
    /// The host must be `localhost` or end in `.localhost`: the app's origin on
    /// every engine.
    pub fn respond(&self, request: &Request<Vec<u8>>) -> Response<Cow<'static, [u8]>> {
        if request.method() != "GET" && request.method() != "HEAD" {
            return error(StatusCode::METHOD_NOT_ALLOWED);
        }
        let uri = request.uri();
        if !uri
            .host()
            .is_some_and(|host| host == "localhost" || host.ends_with(".localhost"))
        {
            return error(StatusCode::NOT_FOUND);
        }
        let root = match &*self.serving.lock().unwrap_or_else(PoisonError::into_inner) {
            Serving::Nothing => return error(StatusCode::NOT_FOUND),
            Serving::Html(html) if uri.path() == "/" && request.method() == "GET" => {
                let page = Response::builder()
                    .header(header::CONTENT_TYPE, "text/html; charset=utf-8")
                    .header("X-Content-Type-Options", "nosniff");
                return self
                    .with_headers(page)
                    .body(Cow::Owned(html.clone().into_bytes()))
                    .unwrap_or_else(|_| error(StatusCode::INTERNAL_SERVER_ERROR));
            }
            Serving::Html(_) => return error(StatusCode::NOT_FOUND),
            Serving::Root(root) => root.clone(),
        };
        let path = match resolve(&root, uri.path()) {
            Ok(path) => path,
            Err(Refused::Missing) => return error(StatusCode::NOT_FOUND),
            Err(Refused::Outside) => {
                tracing::warn!(
                    "the app's origin refused a path outside the app: {}",
                    uri.path()
                );
                return error(StatusCode::FORBIDDEN);
            }
        };
        match std::fs::read(&path) {
            Ok(body) => {
                let mut response = Response::builder()
                    .status(StatusCode::OK)
                    .header(header::CONTENT_TYPE, mime_type(&path))
                    .header("X-Content-Type-Options", "nosniff");
                if !self.csp.is_empty() {
                    response = response.header(header::CONTENT_SECURITY_POLICY, &self.csp);
                }
                self.with_headers(response)
                    .body(Cow::Owned(body))
                    .unwrap_or_else(|_| error(StatusCode::INTERNAL_SERVER_ERROR))
            }
            Err(_) => error(StatusCode::NOT_FOUND),
        }
    }
}

/// Where engines serve app pages other than at `app://localhost` (WebKitGTK's
/// cross-origin-isolated windows: a loopback HTTP origin and a secret path), so
/// that the app's rules read those pages as its own ([`app_url`]).
static OTHER_BASES: Mutex<Vec<String>> = Mutex::new(Vec::new());

/// Whether a window has asked for cross-origin isolation since the app started
/// (see [`crate::engine::EngineInfo::isolation_app_wide`]).
pub(crate) fn isolated_since_start() -> bool {
    ISOLATED.load(std::sync::atomic::Ordering::Acquire)
}

static ISOLATED: std::sync::atomic::AtomicBool = std::sync::atomic::AtomicBool::new(false);

/// The app's own origin, as every engine names it to the app.
pub const APP_BASE: &str = "app://localhost";

/// Says that `base` (a URL prefix with no trailing `/`) serves the app's origin:
/// [`app_url`] reads what is under it as under `app://localhost`.
pub fn serve_app_origin_at(base: String) {
    OTHER_BASES
        .lock()
        .unwrap_or_else(PoisonError::into_inner)
        .push(base);
}

/// Forgets a base given to [`serve_app_origin_at`]: its window is gone.
pub fn forget_app_origin(base: &str) {
    OTHER_BASES
        .lock()
        .unwrap_or_else(PoisonError::into_inner)
        .retain(|known| known != base);
}

/// `url` as the app names it: a page served under a base given to
/// [`serve_app_origin_at`] is named under `app://localhost`; any other URL is
/// itself.
pub fn app_url(url: &str) -> std::borrow::Cow<'_, str> {
    let bases = OTHER_BASES.lock().unwrap_or_else(PoisonError::into_inner);
    for base in bases.iter() {
        if let Some(rest) = url.strip_prefix(base.as_str()) {
            if rest.is_empty() || rest.starts_with(['/', '?', '#']) {
                return format!("{APP_BASE}{}", if rest.is_empty() { "/" } else { rest }).into();
            }
        }
    }
    url.into()
}

/// What an engine loads for a [`LoadTarget`] (see [`AppContent::prepare`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Prepared {
    /// An absolute URL, loaded as it is.
    Url(String),
    /// A path under the app's origin, wherever the engine serves it.
    AppPath(String),
}

/// Why a path is not served.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Refused {
    /// It would leave the root (`..`, a symlink out of it) or cannot be decoded.
    Outside,
    /// It names nothing under the root (a page's `/favicon.ico`, say).
    Missing,
}

/// The file `url_path` names under `root`.
fn resolve(root: &Path, url_path: &str) -> Result<PathBuf, Refused> {
    let decoded = percent_decode_str(url_path)
        .decode_utf8()
        .map_err(|_| Refused::Outside)?;
    let mut relative = PathBuf::new();
    for part in decoded.split('/').filter(|p| !p.is_empty()) {
        let mut components = Path::new(part).components();
        match (components.next(), components.next()) {
            (Some(Component::Normal(name)), None) => relative.push(name),
            _ => return Err(Refused::Outside),
        }
    }
    if decoded.ends_with('/') || relative.as_os_str().is_empty() {
        relative.push("index.html");
    }
    let root = root.canonicalize().map_err(|_| Refused::Missing)?;
    let full = root
        .join(relative)
        .canonicalize()
        .map_err(|_| Refused::Missing)?;
    if !full.starts_with(&root) {
        return Err(Refused::Outside);
    }
    if full.is_file() {
        Ok(full)
    } else {
        Err(Refused::Missing)
    }
}

/// The URL path under which `file` is served once its directory is the root.
pub(crate) fn url_path(file: &Path) -> Option<String> {
    let name = file.file_name()?.to_str()?;
    let encoded: String = percent_encoding::utf8_percent_encode(name, PATH_SEGMENT).collect();
    Some(format!("/{encoded}"))
}

const PATH_SEGMENT: &percent_encoding::AsciiSet = &percent_encoding::CONTROLS
    .add(b' ')
    .add(b'"')
    .add(b'#')
    .add(b'%')
    .add(b'/')
    .add(b'<')
    .add(b'>')
    .add(b'?')
    .add(b'`')
    .add(b'{')
    .add(b'}');

fn mime_type(path: &Path) -> &'static str {
    let extension = path
        .extension()
        .and_then(|e| e.to_str())
        .map(str::to_ascii_lowercase);
    match extension.as_deref() {
        Some("html" | "htm") => "text/html; charset=utf-8",
        Some("js" | "mjs") => "text/javascript; charset=utf-8",
        Some("css") => "text/css; charset=utf-8",
        Some("json" | "map") => "application/json",
        Some("svg") => "image/svg+xml",
        Some("png") => "image/png",
        Some("jpg" | "jpeg") => "image/jpeg",
        Some("gif") => "image/gif",
        Some("webp") => "image/webp",
        Some("ico") => "image/x-icon",
        Some("wasm") => "application/wasm",
        Some("woff2") => "font/woff2",
        Some("woff") => "font/woff",
        Some("ttf") => "font/ttf",
        Some("txt") => "text/plain; charset=utf-8",
        _ => "application/octet-stream",
    }
}

fn error(status: StatusCode) -> Response<Cow<'static, [u8]>> {
    let mut response = Response::new(Cow::Borrowed(
        status.canonical_reason().unwrap_or("error").as_bytes(),
    ));
    *response.status_mut() = status;
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn serves_files_under_the_root_only() {
        let dir = std::env::temp_dir().join(format!("voltaic-scheme-{}", std::process::id()));
        std::fs::create_dir_all(dir.join("sub")).unwrap();
        std::fs::write(dir.join("index.html"), "<p>hi</p>").unwrap();
        std::fs::write(dir.join("sub/a b.js"), "1").unwrap();
        let secret = dir.parent().unwrap().join("voltaic-secret.txt");
        std::fs::write(&secret, "secret").unwrap();

        assert_eq!(
            resolve(&dir, "/"),
            Ok(dir.canonicalize().unwrap().join("index.html"))
        );
        assert!(resolve(&dir, "/sub/a%20b.js").is_ok());
        assert_eq!(resolve(&dir, "/missing.html"), Err(Refused::Missing));
        for hostile in [
            "/../voltaic-secret.txt",
            "/sub/../../voltaic-secret.txt",
            "/%2e%2e/voltaic-secret.txt",
            "/sub/%2F..%2F..%2Fvoltaic-secret.txt",
            "/%ff",
        ] {
            assert_eq!(resolve(&dir, hostile), Err(Refused::Outside), "{hostile}");
        }

        let content = AppContent::new("default-src 'self'".into(), false);
        let request = |uri: &str| Request::builder().uri(uri).body(Vec::new()).unwrap();
        assert_eq!(
            content
                .respond(&request("app://localhost/index.html"))
                .status(),
            StatusCode::NOT_FOUND,
            "nothing is served before a root is set"
        );
        content.set_root(dir.clone());
        let ok = content.respond(&request("app://localhost/index.html"));
        assert_eq!(ok.status(), StatusCode::OK);
        assert_eq!(
            ok.headers()[header::CONTENT_SECURITY_POLICY],
            "default-src 'self'"
        );
        assert_eq!(
            ok.headers()[header::CONTENT_TYPE],
            "text/html; charset=utf-8"
        );
        assert_eq!(
            content
                .respond(&request("app://localhost/../voltaic-secret.txt"))
                .status(),
            StatusCode::FORBIDDEN
        );
        assert_eq!(
            content
                .respond(&request("app://elsewhere/index.html"))
                .status(),
            StatusCode::NOT_FOUND
        );
        serve_app_origin_at("http://127.0.0.1:1/abc".into());
        assert_eq!(
            app_url("http://127.0.0.1:1/abc/x.html?q"),
            "app://localhost/x.html?q"
        );
        assert_eq!(app_url("http://127.0.0.1:1/abc"), "app://localhost/");
        assert_eq!(
            app_url("http://127.0.0.1:1/abcd/x.html"),
            "http://127.0.0.1:1/abcd/x.html"
        );
        assert_eq!(app_url("https://example.com/"), "https://example.com/");
        assert_eq!(
            url_path(Path::new("/x/my page.html")).as_deref(),
            Some("/my%20page.html")
        );
        assert!(ok.headers().get("Cross-Origin-Embedder-Policy").is_none());
        let isolated = AppContent::new(String::new(), true);
        isolated.set_root(dir.clone());
        let ok = isolated.respond(&request("app://localhost/index.html"));
        for (name, value) in ISOLATION_HEADERS {
            assert_eq!(ok.headers()[name], value);
        }
        assert!(ok.headers().get(header::CONTENT_SECURITY_POLICY).is_none());
        let page = LoadTarget::Html("<p>page</p>".into());
        assert_eq!(isolated.prepare(page), Prepared::AppPath("/".into()));
        let ok = isolated.respond(&request("app://localhost/"));
        assert_eq!(ok.body().as_ref(), b"<p>page</p>");
        assert_eq!(ok.headers()["Cross-Origin-Embedder-Policy"], "require-corp");
        assert!(ok.headers().get(header::CONTENT_SECURITY_POLICY).is_none());
        assert_eq!(
            isolated
                .respond(&request("app://localhost/other.js"))
                .status(),
            StatusCode::NOT_FOUND,
            "an HTML string's page has nothing beside it"
        );
        let _ = std::fs::remove_dir_all(&dir);
        let _ = std::fs::remove_file(&secret);
    }
}
