//! The native window around a page: its state, the changes an app asks of it, and
//! what it tells the app (Electron's `BrowserWindow` methods and events).

/// A window's position and size in logical pixels (Electron's `Rectangle`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Rectangle {
    /// Left edge, from the screen's.
    pub x: i32,
    /// Top edge, from the screen's.
    pub y: i32,
    /// Width.
    pub width: u32,
    /// Height.
    pub height: u32,
}

/// What a native window is at one moment: Electron's `getBounds`,
/// `getContentSize`, `isVisible`, `isFocused`, `isMinimized`, `isMaximized`,
/// `isFullScreen` and `isResizable`, read together.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
#[non_exhaustive]
pub struct WindowState {
    /// The window with its frame (Electron's `getBounds`).
    pub bounds: Rectangle,
    /// The page's area: width and height (Electron's `getContentSize`).
    pub content_size: (u32, u32),
    /// Shown on screen (it may still be minimized or covered).
    pub visible: bool,
    /// Holding the keyboard focus.
    pub focused: bool,
    /// Minimized.
    pub minimized: bool,
    /// Maximized.
    pub maximized: bool,
    /// Full screen.
    pub full_screen: bool,
    /// Whether the user can resize it.
    pub resizable: bool,
}

/// An image for a window's icon: RGBA pixels, row after row.
#[derive(Clone, PartialEq, Eq)]
pub struct Icon {
    rgba: Vec<u8>,
    width: u32,
    height: u32,
}

impl Icon {
    /// An icon of `width` × `height` pixels, 4 bytes (red, green, blue, alpha)
    /// each; `None` when `rgba` does not hold exactly that many.
    pub fn from_rgba(rgba: Vec<u8>, width: u32, height: u32) -> Option<Self> {
        let expected = (width as usize)
            .checked_mul(height as usize)?
            .checked_mul(4)?;
        (rgba.len() == expected && expected > 0).then_some(Self {
            rgba,
            width,
            height,
        })
    }

    /// The pixels, 4 bytes each.
    pub fn rgba(&self) -> &[u8] {
        &self.rgba
    }

    /// Width and height in pixels.
    pub fn size(&self) -> (u32, u32) {
        (self.width, self.height)
    }
}

impl std::fmt::Debug for Icon {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Icon({}x{})", self.width, self.height)
    }
}

/// A change an app asks of a native window, carried out by its engine.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum WindowChange {
    /// Show it, and focus it (Electron's `show`).
    Show,
    /// Hide it (Electron's `hide`).
    Hide,
    /// Give it the keyboard focus (Electron's `focus`).
    Focus,
    /// Take the keyboard focus from it (Electron's `blur`). As Electron does on
    /// X11, the window goes below the others and counts as not focused until it
    /// is focused again, by the app or the user.
    Blur,
    /// Minimize it.
    Minimize,
    /// Maximize it.
    Maximize,
    /// Undo a maximize.
    Unmaximize,
    /// Undo a minimize (Electron's `restore`).
    Restore,
    /// Enter (`true`) or leave full screen.
    FullScreen(bool),
    /// Move it to the middle of its screen.
    Center,
    /// Keep it above other windows (`true`), or not.
    AlwaysOnTop(bool),
    /// Move and size it, frame included (Electron's `setBounds`).
    Bounds(Rectangle),
    /// Size the page's area (Electron's `setContentSize`).
    ContentSize(u32, u32),
    /// Move it (Electron's `setPosition`).
    Position(i32, i32),
    /// The smallest size the user may give the page's area; `None` for no limit.
    MinimumSize(Option<(u32, u32)>),
    /// The largest size the user may give the page's area; `None` for no limit.
    MaximumSize(Option<(u32, u32)>),
    /// Whether the user may resize it.
    Resizable(bool),
    /// Its icon, where the platform shows one.
    Icon(Icon),
}

impl WindowChange {
    /// The name of the `BrowserWindow` method that asks for it: `show`,
    /// `setFullScreen`, `setBounds`.
    pub fn name(&self) -> &'static str {
        match self {
            Self::Show => "show",
            Self::Hide => "hide",
            Self::Focus => "focus",
            Self::Blur => "blur",
            Self::Minimize => "minimize",
            Self::Maximize => "maximize",
            Self::Unmaximize => "unmaximize",
            Self::Restore => "restore",
            Self::FullScreen(_) => "setFullScreen",
            Self::Center => "center",
            Self::AlwaysOnTop(_) => "setAlwaysOnTop",
            Self::Bounds(_) => "setBounds",
            Self::ContentSize(..) => "setContentSize",
            Self::Position(..) => "setPosition",
            Self::MinimumSize(_) => "setMinimumSize",
            Self::MaximumSize(_) => "setMaximumSize",
            Self::Resizable(_) => "setResizable",
            Self::Icon(_) => "setIcon",
        }
    }
}

/// What a native window tells its listeners, under Electron's `BrowserWindow`
/// event names ([`crate::BrowserWindow::on_window_event`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum WindowEvent {
    /// `ready-to-show`: its first load has ended (loaded, or failed); a window
    /// made with `show: false` can be shown without a flash. Once per window.
    ReadyToShow,
    /// `show`.
    Show,
    /// `hide`.
    Hide,
    /// `focus`: it took the keyboard focus.
    Focus,
    /// `blur`: it lost the keyboard focus.
    Blur,
    /// `resize`: its size changed.
    Resize,
    /// `move`: its position changed.
    Move,
    /// `maximize`.
    Maximize,
    /// `unmaximize`.
    Unmaximize,
    /// `minimize`.
    Minimize,
    /// `restore`: it came back from being minimized.
    Restore,
    /// `enter-full-screen`.
    EnterFullScreen,
    /// `leave-full-screen`.
    LeaveFullScreen,
}

impl WindowEvent {
    /// Electron's name for it: `ready-to-show`, `focus`, `enter-full-screen`.
    pub fn name(self) -> &'static str {
        match self {
            Self::ReadyToShow => "ready-to-show",
            Self::Show => "show",
            Self::Hide => "hide",
            Self::Focus => "focus",
            Self::Blur => "blur",
            Self::Resize => "resize",
            Self::Move => "move",
            Self::Maximize => "maximize",
            Self::Unmaximize => "unmaximize",
            Self::Minimize => "minimize",
            Self::Restore => "restore",
            Self::EnterFullScreen => "enter-full-screen",
            Self::LeaveFullScreen => "leave-full-screen",
        }
    }
}

/// Turns what an engine reads of a native window, one reading after another, into
/// Electron's events: the changes between two readings, in the order Electron
/// gives them. Engines that hear only "something changed" (a resize, a state
/// change) use it, so that every engine names the same change the same way.
#[derive(Debug, Default)]
pub struct StateEvents {
    last: Option<WindowState>,
}

impl StateEvents {
    /// The events between the last reading and `now`. The first reading gives
    /// none: it is where the window starts.
    pub fn update(&mut self, now: &WindowState) -> Vec<WindowEvent> {
        let Some(last) = self.last.replace(now.clone()) else {
            return Vec::new();
        };
        let flag = |was: bool, is: bool, on: WindowEvent, off: WindowEvent| {
            (was != is).then_some(if is { on } else { off })
        };
        let (was, is) = (last.bounds, now.bounds);
        let resized = (was.width, was.height) != (is.width, is.height)
            || last.content_size != now.content_size;
        [
            flag(
                last.visible,
                now.visible,
                WindowEvent::Show,
                WindowEvent::Hide,
            ),
            flag(
                last.minimized,
                now.minimized,
                WindowEvent::Minimize,
                WindowEvent::Restore,
            ),
            flag(
                last.maximized,
                now.maximized,
                WindowEvent::Maximize,
                WindowEvent::Unmaximize,
            ),
            flag(
                last.full_screen,
                now.full_screen,
                WindowEvent::EnterFullScreen,
                WindowEvent::LeaveFullScreen,
            ),
            resized.then_some(WindowEvent::Resize),
            ((was.x, was.y) != (is.x, is.y)).then_some(WindowEvent::Move),
            flag(
                last.focused,
                now.focused,
                WindowEvent::Focus,
                WindowEvent::Blur,
            ),
        ]
        .into_iter()
        .flatten()
        .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn readings_become_electrons_events() {
        let mut events = StateEvents::default();
        let mut state = WindowState {
            bounds: Rectangle {
                x: 0,
                y: 0,
                width: 800,
                height: 600,
            },
            content_size: (800, 600),
            visible: true,
            ..Default::default()
        };
        assert_eq!(events.update(&state), []);
        assert_eq!(events.update(&state), []);
        state.maximized = true;
        state.bounds.width = 1280;
        state.content_size.0 = 1280;
        assert_eq!(
            events.update(&state),
            [WindowEvent::Maximize, WindowEvent::Resize]
        );
        state.focused = true;
        state.bounds.x = 5;
        assert_eq!(
            events.update(&state),
            [WindowEvent::Move, WindowEvent::Focus]
        );
        state.focused = false;
        state.full_screen = true;
        assert_eq!(
            events.update(&state),
            [WindowEvent::EnterFullScreen, WindowEvent::Blur]
        );
        assert_eq!(WindowEvent::EnterFullScreen.name(), "enter-full-screen");
    }

    #[test]
    fn an_icon_holds_exactly_its_pixels() {
        assert!(Icon::from_rgba(vec![0; 16], 2, 2).is_some());
        assert!(Icon::from_rgba(vec![0; 15], 2, 2).is_none());
        assert!(Icon::from_rgba(Vec::new(), 0, 0).is_none());
        assert!(Icon::from_rgba(vec![0; 4], u32::MAX, u32::MAX).is_none());
    }
}
