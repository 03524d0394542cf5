# Sourced by scripts/demo and scripts/test: installs what building and running
# Voltaic needs on Debian/Ubuntu, and nothing when it is all there already.

# WebKitGTK 4.1 and GTK 3 headers for the webview crates; Xvfb and xauth for running
# windows without a display; a font so pages render text.
# bubblewrap and xdg-dbus-proxy: WebKit's web process sandbox, which Voltaic turns on.
# openbox: a window manager for the e2e scenario about window state (maximize,
# focus, full screen), which Xvfb alone has no one to carry out.
# chromium: the Chromium engine (crates/voltaic-chromium), driven over its DevTools pipe.
# webkit2gtk-driver: WebKitWebDriver, through which the notes example's WebDriver
# test drives the app (examples/notes/tests/webdriver.rs).
# xdotool: a real key typed into a window, for the inspector's key scenario.
VOLTAIC_DEBIAN_PACKAGES=(libwebkit2gtk-4.1-dev libgtk-3-dev pkg-config xvfb xauth fonts-dejavu-core bubblewrap xdg-dbus-proxy chromium openbox webkit2gtk-driver xdotool)

voltaic_ensure_deps() {
    if ! command -v cargo >/dev/null 2>&1; then
        echo "error: cargo not found; install Rust from https://rustup.rs first" >&2
        return 1
    fi
    voltaic_install_packages "${VOLTAIC_DEBIAN_PACKAGES[@]}"
}

# Installs the Debian packages named that are missing, with sudo when not root.
voltaic_install_packages() {
    local missing=()
    local pkg
    for pkg in "$@"; do
        dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || missing+=("$pkg")
    done
    if [ ${#missing[@]} -eq 0 ]; then
        return 0
    fi
    if ! command -v apt-get >/dev/null 2>&1; then
        echo "error: missing ${missing[*]} and no apt-get to install them" >&2
        return 1
    fi
    local sudo=()
    if [ "$(id -u)" -ne 0 ]; then
        sudo=(sudo)
    fi
    echo "Installing ${missing[*]}"
    "${sudo[@]}" apt-get update -qq
    DEBIAN_FRONTEND=noninteractive "${sudo[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}"
}

# The systems whose engines are compiled and linted here but cannot run here
# (scripts/lint-targets): Windows (WebView2) and macOS (WKWebView).
VOLTAIC_LINT_TARGETS=(x86_64-pc-windows-msvc aarch64-apple-darwin)

# What linting them needs: each target's Rust standard library (rustup), and clang
# for the Objective-C file objc2's exception helper compiles for macOS (it includes
# no headers, so no macOS SDK is needed).
voltaic_ensure_lint_target_deps() {
    if ! command -v rustup >/dev/null 2>&1; then
        echo "error: rustup not found; the Windows and macOS targets are added with it" >&2
        return 1
    fi
    voltaic_install_packages clang
    local installed target
    installed=$(rustup target list --installed)
    for target in "${VOLTAIC_LINT_TARGETS[@]}"; do
        grep -qx "$target" <<<"$installed" || rustup target add "$target"
    done
}

# The page side's build-time tools, pinned in tests/typescript: the TypeScript
# compiler for the check of generated declarations (examples/notes/tests/typescript.rs)
# and jsdom for the notes page's unit tests (examples/notes/tests/page.rs), from the
# npm registry, with Debian's Node.js when the machine has none. Installed again
# whenever the lock file changed since the last install.
voltaic_ensure_typescript() {
    local installed=tests/typescript/node_modules/.package-lock.json
    if [ -x tests/typescript/node_modules/.bin/tsc ] && [ -d tests/typescript/node_modules/jsdom ] \
        && [ "$installed" -nt tests/typescript/package-lock.json ]; then
        return 0
    fi
    if ! command -v npm >/dev/null 2>&1; then
        local sudo=()
        if [ "$(id -u)" -ne 0 ]; then
            sudo=(sudo)
        fi
        echo "Installing nodejs npm"
        "${sudo[@]}" apt-get update -qq
        DEBIAN_FRONTEND=noninteractive "${sudo[@]}" apt-get install -y -qq --no-install-recommends nodejs npm
    fi
    echo "Installing TypeScript and jsdom (tests/typescript) from npm"
    npm ci --prefix tests/typescript --no-audit --no-fund
}
