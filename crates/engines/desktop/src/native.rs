//! The tao window around a page: made from the window's options, changed as the
//! app asks, read back, and watched for what Electron's window events report.
//!
//! On Linux the changes and readings go straight to GTK: tao queues its own
//! requests for a later turn of the loop, where a reading asked for meanwhile
//! would see the old window, and tao's full-screen flag is what was asked rather
//! than what the window manager did.

use tao::dpi::{LogicalPosition, LogicalSize};
use tao::event_loop::EventLoopWindowTarget;
use tao::window::{Fullscreen, WindowBuilder};
use voltaic_app::engine::WindowOp;
use voltaic_app::{BrowserWindowOptions, Error, Icon, WindowChange, WindowState};

/// What the engines off Linux cannot do yet: tao makes child windows there
/// through platform handles Voltaic does not pass on.
pub const UNSUPPORTED_ELSEWHERE: &[(&str, &str)] = &[
    (
        "parent",
        "parent windows are made on Linux only so far (see the README)",
    ),
    (
        "blur",
        "tao cannot give a window's focus away; Linux only so far (see the README)",
    ),
];

/// A tao window as `options` ask, belonging to `parent` when given.
pub fn native_window<T: 'static>(
    target: &EventLoopWindowTarget<T>,
    options: &BrowserWindowOptions,
    parent: Option<&tao::window::Window>,
) -> Result<tao::window::Window, Error> {
    let mut builder = WindowBuilder::new()
        .with_title(&options.title)
        .with_inner_size(LogicalSize::new(options.width, options.height))
        .with_visible(options.show)
        .with_resizable(options.resizable)
        .with_decorations(options.frame)
        .with_always_on_top(options.always_on_top);
    if let (Some(x), Some(y)) = (options.x, options.y) {
        builder = builder.with_position(LogicalPosition::new(x, y));
    }
    if let Some((width, height)) = options.min_size {
        builder = builder.with_min_inner_size(LogicalSize::new(width, height));
    }
    if let Some((width, height)) = options.max_size {
        builder = builder.with_max_inner_size(LogicalSize::new(width, height));
    }
    if options.full_screen {
        builder = builder.with_fullscreen(Some(Fullscreen::Borderless(None)));
    }
    if let Some(icon) = options.icon.as_ref().and_then(tao_icon) {
        builder = builder.with_window_icon(Some(icon));
    }
    let window = builder
        .build(target)
        .map_err(|e| Error::Window(e.to_string()))?;
    if let Some(parent) = parent {
        platform::set_parent(&window, parent, options.modal);
    }
    if options.center {
        platform::center_at_start(&window);
        apply(&window, WindowChange::Center);
    }
    Ok(window)
}

fn tao_icon(icon: &Icon) -> Option<tao::window::Icon> {
    let (width, height) = icon.size();
    tao::window::Icon::from_rgba(icon.rgba().to_vec(), width, height)
        .map_err(|error| tracing::warn!("the window's icon was not taken: {error}"))
        .ok()
}

/// Carries out what `op` asks of the native window itself (its title, a change,
/// a reading); gives any other operation back.
pub fn native_op(window: &tao::window::Window, op: WindowOp) -> Option<WindowOp> {
    match op {
        WindowOp::SetTitle(title) => platform::set_title(window, &title),
        WindowOp::Title { done } => {
            let _ = done.send(Ok(window.title()));
        }
        WindowOp::Change(change) => apply(window, change),
        WindowOp::State { done } => {
            let _ = done.send(Ok(read_state(window)));
        }
        op => return Some(op),
    }
    None
}

/// Makes `change` to `window`.
pub fn apply(window: &tao::window::Window, change: WindowChange) {
    if platform::apply(window, &change) {
        return;
    }
    match change {
        WindowChange::Show => {
            window.set_visible(true);
            window.set_focus();
        }
        WindowChange::Hide => window.set_visible(false),
        WindowChange::Focus => window.set_focus(),
        WindowChange::Minimize => window.set_minimized(true),
        WindowChange::Maximize => window.set_maximized(true),
        WindowChange::Unmaximize => window.set_maximized(false),
        WindowChange::Restore => {
            window.set_minimized(false);
            window.set_focus();
        }
        WindowChange::FullScreen(on) => {
            window.set_fullscreen(on.then_some(Fullscreen::Borderless(None)));
        }
        WindowChange::Center => {
            let Some(monitor) = window.current_monitor() else {
                return;
            };
            let scale = monitor.scale_factor();
            let screen: LogicalSize<f64> = monitor.size().to_logical(scale);
            let origin: LogicalPosition<f64> = monitor.position().to_logical(scale);
            let size: LogicalSize<f64> = window.outer_size().to_logical(scale);
            window.set_outer_position(LogicalPosition::new(
                origin.x + (screen.width - size.width).max(0.0) / 2.0,
                origin.y + (screen.height - size.height).max(0.0) / 2.0,
            ));
        }
        WindowChange::AlwaysOnTop(on) => window.set_always_on_top(on),
        WindowChange::Bounds(bounds) => {
            let scale = window.scale_factor();
            let outer: LogicalSize<f64> = window.outer_size().to_logical(scale);
            let inner: LogicalSize<f64> = window.inner_size().to_logical(scale);
            window.set_outer_position(LogicalPosition::new(bounds.x, bounds.y));
            window.set_inner_size(LogicalSize::new(
                (f64::from(bounds.width) - (outer.width - inner.width)).max(1.0),
                (f64::from(bounds.height) - (outer.height - inner.height)).max(1.0),
            ));
        }
        WindowChange::ContentSize(width, height) => {
            window.set_inner_size(LogicalSize::new(width, height));
        }
        WindowChange::Position(x, y) => window.set_outer_position(LogicalPosition::new(x, y)),
        WindowChange::MinimumSize(size) => {
            window.set_min_inner_size(size.map(|(width, height)| LogicalSize::new(width, height)))
        }
        WindowChange::MaximumSize(size) => {
            window.set_max_inner_size(size.map(|(width, height)| LogicalSize::new(width, height)))
        }
        WindowChange::Resizable(on) => window.set_resizable(on),
        WindowChange::Icon(icon) => window.set_window_icon(tao_icon(&icon)),
        // The enum may grow; the engine's list of what it cannot do says so.
        _ => {}
    }
}

/// What `window` is now.
pub fn read_state(window: &tao::window::Window) -> WindowState {
    if let Some(state) = platform::read_state(window) {
        return state;
    }
    let scale = window.scale_factor();
    let position: LogicalPosition<i32> = window
        .outer_position()
        .map(|p| p.to_logical(scale))
        .unwrap_or(LogicalPosition::new(0, 0));
    let outer: LogicalSize<u32> = window.outer_size().to_logical(scale);
    let inner: LogicalSize<u32> = window.inner_size().to_logical(scale);
    let mut state = WindowState::default();
    state.bounds = voltaic_app::Rectangle {
        x: position.x,
        y: position.y,
        width: outer.width,
        height: outer.height,
    };
    state.content_size = (inner.width, inner.height);
    state.visible = window.is_visible();
    state.focused = window.is_focused();
    state.minimized = window.is_minimized();
    state.maximized = window.is_maximized();
    state.full_screen = window.fullscreen().is_some();
    state.resizable = window.is_resizable();
    state
}

#[cfg(target_os = "linux")]
mod platform {
    use std::cell::{Cell, RefCell};
    use std::rc::Rc;

    use gtk::gdk::WindowState as GdkState;
    use gtk::prelude::*;
    use tao::platform::unix::WindowExtUnix;
    use voltaic_app::{Rectangle, StateEvents, WindowChange, WindowEvent, WindowState};

    /// GTK places a window not yet shown (so not yet measured) in the middle
    /// when it maps it.
    pub(super) fn center_at_start(window: &tao::window::Window) {
        window
            .gtk_window()
            .set_position(gtk::WindowPosition::Center);
    }

    pub(super) fn hide_menu(menu: &muda::Menu, window: &tao::window::Window) -> muda::Result<()> {
        menu.remove_for_gtk_window(window.gtk_window())
    }

    /// A menu bar at the top of the window's box, above the webview.
    pub(super) fn show_menu(menu: &muda::Menu, window: &tao::window::Window) -> muda::Result<()> {
        menu.init_for_gtk_window(window.gtk_window(), window.default_vbox())
    }

    /// Straight to GTK: tao queues its own `set_title` for a later turn of the
    /// loop, and a `get_title` asked meanwhile would read the old title.
    pub(super) fn set_title(window: &tao::window::Window, title: &str) {
        window.gtk_window().set_title(title);
    }

    pub(super) fn set_parent(
        window: &tao::window::Window,
        parent: &tao::window::Window,
        modal: bool,
    ) {
        let (window, parent) = (window.gtk_window(), parent.gtk_window());
        window.set_transient_for(Some(parent));
        window.set_modal(modal);
    }

    /// Makes the changes GTK makes at once; `false` leaves the rest to tao.
    pub(super) fn apply(window: &tao::window::Window, change: &WindowChange) -> bool {
        let gtk = window.gtk_window();
        match change {
            WindowChange::Show => {
                set_blurred(gtk, false);
                gtk.show_all();
                gtk.present();
            }
            WindowChange::Hide => gtk.hide(),
            WindowChange::Focus => {
                set_blurred(gtk, false);
                gtk.present();
            }
            WindowChange::Blur => blur(gtk),
            WindowChange::Minimize => gtk.iconify(),
            WindowChange::Maximize => gtk.maximize(),
            WindowChange::Unmaximize => gtk.unmaximize(),
            WindowChange::Restore => {
                set_blurred(gtk, false);
                gtk.deiconify();
                gtk.present();
            }
            WindowChange::FullScreen(true) => gtk.fullscreen(),
            WindowChange::FullScreen(false) => gtk.unfullscreen(),
            WindowChange::AlwaysOnTop(on) => gtk.set_keep_above(*on),
            WindowChange::Position(x, y) => gtk.move_(*x, *y),
            WindowChange::ContentSize(width, height) => {
                gtk.resize(clamp(*width), clamp(*height));
            }
            WindowChange::Bounds(bounds) => {
                let state = read(gtk);
                let frame = (
                    state.bounds.width.saturating_sub(state.content_size.0),
                    state.bounds.height.saturating_sub(state.content_size.1),
                );
                gtk.move_(bounds.x, bounds.y);
                gtk.resize(
                    clamp(bounds.width.saturating_sub(frame.0)),
                    clamp(bounds.height.saturating_sub(frame.1)),
                );
            }
            WindowChange::Center => {
                let state = read(gtk);
                let area = gtk
                    .window()
                    .and_then(|w| w.display().monitor_at_window(&w))
                    .map(|monitor| monitor.workarea());
                if let Some(area) = area {
                    let width = i32::try_from(state.bounds.width).unwrap_or(i32::MAX);
                    let height = i32::try_from(state.bounds.height).unwrap_or(i32::MAX);
                    gtk.move_(
                        area.x() + (area.width() - width).max(0) / 2,
                        area.y() + (area.height() - height).max(0) / 2,
                    );
                }
            }
            WindowChange::Resizable(on) => gtk.set_resizable(*on),
            _ => return false,
        }
        true
    }

    /// Electron's `blur` on X11, as Chromium's `X11Window::Deactivate` does it:
    /// the window goes below the others and stops counting as focused, keys
    /// included, until it is focused again. Handing the X focus elsewhere does
    /// not work: a window manager such as openbox gives a focus sent to the
    /// root straight back to the window it was taken from.
    fn blur(gtk: &impl IsA<gtk::Window>) {
        if !gtk.is_active() {
            return;
        }
        set_blurred(gtk, true);
        if let Some(gdk) = gtk.as_ref().window() {
            gdk.lower();
        }
        // The watcher reads the window again, and reports the blur.
        gtk.notify("is-active");
    }

    const BLURRED: &str = "voltaic-blurred";

    fn set_blurred(gtk: &impl IsA<gtk::Window>, on: bool) {
        // SAFETY: only these two functions touch the key, always with a `bool`.
        unsafe { gtk.set_data(BLURRED, on) }
    }

    fn blurred(gtk: &impl IsA<gtk::Window>) -> bool {
        // SAFETY: as in `set_blurred`: the value under the key is a `bool`.
        unsafe { gtk.data::<bool>(BLURRED).is_some_and(|on| *on.as_ref()) }
    }

    /// GTK takes sizes as positive `i32`s.
    fn clamp(size: u32) -> i32 {
        i32::try_from(size).unwrap_or(i32::MAX).max(1)
    }

    pub(super) fn read_state(window: &tao::window::Window) -> Option<WindowState> {
        Some(read(window.gtk_window()))
    }

    fn read(gtk: &impl IsA<gtk::Window>) -> WindowState {
        let gtk = gtk.as_ref();
        let (width, height) = gtk.size();
        let content_size = (
            u32::try_from(width).unwrap_or(0),
            u32::try_from(height).unwrap_or(0),
        );
        let mut state = WindowState::default();
        state.content_size = content_size;
        state.visible = gtk.is_visible();
        state.focused = gtk.is_active() && !blurred(gtk);
        state.resizable = gtk.is_resizable();
        match gtk.window() {
            Some(gdk) => {
                let frame = gdk.frame_extents();
                state.bounds = Rectangle {
                    x: frame.x(),
                    y: frame.y(),
                    width: u32::try_from(frame.width()).unwrap_or(content_size.0),
                    height: u32::try_from(frame.height()).unwrap_or(content_size.1),
                };
                let flags = gdk.state();
                state.minimized = flags.contains(GdkState::ICONIFIED);
                state.maximized = flags.contains(GdkState::MAXIMIZED);
                state.full_screen = flags.contains(GdkState::FULLSCREEN);
            }
            None => {
                let (x, y) = gtk.position();
                state.bounds = Rectangle {
                    x,
                    y,
                    width: content_size.0,
                    height: content_size.1,
                };
            }
        }
        state
    }

    /// Calls `emit` with Electron's window events as GTK reports changes to
    /// `window`: each report schedules one reading once GTK is idle (a change
    /// comes as several signals), and the reading's differences are the events.
    pub fn watch(window: &tao::window::Window, emit: impl Fn(WindowEvent) + 'static) {
        let gtk = window.gtk_window().clone();
        // A click on a blurred window focuses it again, as the user means, even
        // though X11 never took its focus (the webview takes the click, so it is
        // heard before it reaches the webview).
        let press = gtk::GestureMultiPress::new(&gtk);
        press.set_propagation_phase(gtk::PropagationPhase::Capture);
        let pressed = gtk.downgrade();
        press.connect_pressed(move |_, _, _, _| {
            if let Some(gtk) = pressed.upgrade().filter(blurred) {
                set_blurred(&gtk, false);
                gtk.notify("is-active");
            }
        });
        let watcher = Rc::new(Watcher {
            events: RefCell::new(StateEvents::default()),
            scheduled: Cell::new(false),
            emit: Box::new(emit),
            _press: press,
        });
        watcher.events.borrow_mut().update(&read(&gtk));
        let schedule = {
            let watcher = watcher.clone();
            let gtk = gtk.downgrade();
            move || {
                if watcher.scheduled.replace(true) {
                    return;
                }
                let (watcher, gtk) = (watcher.clone(), gtk.clone());
                gtk::glib::idle_add_local_once(move || {
                    watcher.scheduled.set(false);
                    if let Some(gtk) = gtk.upgrade() {
                        let events = watcher.events.borrow_mut().update(&read(&gtk));
                        for event in events {
                            (watcher.emit)(event);
                        }
                    }
                });
            }
        };
        let on = Rc::new(schedule);
        let s = on.clone();
        gtk.connect_configure_event(move |_, _| {
            s();
            false
        });
        let s = on.clone();
        gtk.connect_window_state_event(move |_, _| {
            s();
            gtk::glib::Propagation::Proceed
        });
        let s = on.clone();
        gtk.connect_is_active_notify(move |gtk| {
            // A blur lasts until the focus really moves: once it has left, the
            // window's next focus is real.
            if !gtk.is_active() {
                set_blurred(gtk, false);
            }
            s();
        });
        // Keys do not reach a blurred window (see `blur`).
        gtk.connect_key_press_event(|gtk, _| {
            if blurred(gtk) {
                gtk::glib::Propagation::Stop
            } else {
                gtk::glib::Propagation::Proceed
            }
        });
        let s = on.clone();
        gtk.connect_map(move |_| s());
        let s = on.clone();
        gtk.connect_unmap(move |_| s());
        gtk.connect_visible_notify(move |_| on());
    }

    struct Watcher {
        events: RefCell<StateEvents>,
        scheduled: Cell<bool>,
        emit: Box<dyn Fn(WindowEvent)>,
        /// GTK 3 leaves a gesture to whoever made it: kept for the window's life.
        _press: gtk::GestureMultiPress,
    }
}

#[cfg(not(target_os = "linux"))]
mod platform {
    use voltaic_app::{WindowChange, WindowState};

    pub(super) fn set_title(window: &tao::window::Window, title: &str) {
        window.set_title(title);
    }

    pub(super) fn center_at_start(_window: &tao::window::Window) {}

    #[cfg(windows)]
    pub(super) fn hide_menu(menu: &muda::Menu, window: &tao::window::Window) -> muda::Result<()> {
        use tao::platform::windows::WindowExtWindows;
        // SAFETY: the window's own handle, alive for the call, on its thread.
        unsafe { menu.remove_for_hwnd(window.hwnd()) }
    }

    /// The app's menu bar stays the app's.
    #[cfg(target_os = "macos")]
    pub(super) fn hide_menu(_menu: &muda::Menu, _window: &tao::window::Window) -> muda::Result<()> {
        Ok(())
    }

    #[cfg(windows)]
    pub(super) fn show_menu(menu: &muda::Menu, window: &tao::window::Window) -> muda::Result<()> {
        use tao::platform::windows::WindowExtWindows;
        // SAFETY: the window's own handle, alive for the call, on its thread.
        unsafe { menu.init_for_hwnd(window.hwnd()) }
    }

    /// macOS has one menu bar, the app's.
    #[cfg(target_os = "macos")]
    pub(super) fn show_menu(menu: &muda::Menu, _window: &tao::window::Window) -> muda::Result<()> {
        menu.init_for_nsapp();
        Ok(())
    }

    pub(super) fn set_parent(
        _window: &tao::window::Window,
        _parent: &tao::window::Window,
        _modal: bool,
    ) {
        // Refused before the window is made: the engines here list `parent`.
    }

    pub(super) fn apply(_window: &tao::window::Window, _change: &WindowChange) -> bool {
        false
    }

    pub(super) fn read_state(_window: &tao::window::Window) -> Option<WindowState> {
        None
    }
}

#[cfg(target_os = "linux")]
pub use platform::watch;

/// Turns tao's window events into Electron's, where GTK's signals are not
/// watched ([`watch`] on Linux): call on each of tao's moves, resizes and focus
/// changes, and after each change the app asks for.
#[derive(Default)]
pub struct Watcher(voltaic_app::StateEvents);

impl Watcher {
    /// The events since the last call, read from `window`.
    pub fn changed(&mut self, window: &tao::window::Window) -> Vec<voltaic_app::WindowEvent> {
        self.0.update(&read_state(window))
    }
}

/// The app's menu as an engine's thread keeps it: every window shows it, those
/// opened after it was set too.
#[derive(Default)]
pub struct AppMenu(Option<muda::Menu>);

impl AppMenu {
    /// Builds the menu `job` asks for, and gives it to `windows` in place of the
    /// one they had.
    pub fn set<'a>(
        &mut self,
        job: voltaic_app::engine::MenuJob,
        windows: impl IntoIterator<Item = &'a tao::window::Window>,
    ) {
        let menu = job.build();
        for window in windows {
            self.detach(window);
            show_menu(&menu, window);
        }
        self.0 = Some(menu);
    }

    /// Takes the menu from a window (one that closes, or before another menu).
    pub fn detach(&self, window: &tao::window::Window) {
        if let Some(menu) = &self.0 {
            if let Err(error) = platform::hide_menu(menu, window) {
                tracing::debug!("the app's menu was not taken from a closing window: {error}");
            }
        }
    }

    /// Gives the menu, if there is one, to a window just opened.
    pub fn attach(&self, window: &tao::window::Window) {
        if let Some(menu) = &self.0 {
            show_menu(menu, window);
        }
    }
}

fn show_menu(menu: &muda::Menu, window: &tao::window::Window) {
    if let Err(error) = platform::show_menu(menu, window) {
        tracing::warn!("the app's menu could not be shown: {error}");
    }
}
