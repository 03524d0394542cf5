//! Driving a window's page from a test: evaluate, wait for a condition or a
//! selector, click, type, read, and take screenshots.

use std::path::Path;
use std::time::Duration;

use serde_json::Value as Json;
use voltaic::BrowserWindow;

use crate::probe::DEFAULT_WAIT;

/// A window's page, as a test drives it. Every wait is bounded (30 s) and fails
/// saying what did not come.
#[derive(Clone, Debug)]
pub struct Page {
    window: BrowserWindow,
}

impl Page {
    /// The page of `window`.
    pub fn of(window: &BrowserWindow) -> Self {
        Self {
            window: window.clone(),
        }
    }

    /// The window.
    pub fn window(&self) -> &BrowserWindow {
        &self.window
    }

    /// Runs `js` in the page (Electron's `webContents.executeJavaScript`) and gives
    /// its value.
    pub async fn eval(&self, js: &str) -> Result<Json, String> {
        let deadline = tokio::time::Instant::now() + DEFAULT_WAIT;
        self.eval_until(js, deadline).await
    }

    /// [`Page::eval`], given up at `deadline`.
    async fn eval_until(&self, js: &str, deadline: tokio::time::Instant) -> Result<Json, String> {
        match tokio::time::timeout_at(deadline, self.window.execute_javascript(js)).await {
            Ok(outcome) => outcome.map_err(|error| format!("`{}` failed: {error}", short(js))),
            Err(_) => Err(format!(
                "`{}` gave nothing within {DEFAULT_WAIT:?}",
                short(js)
            )),
        }
    }

    /// Waits until `js` gives a truthy value, and gives that value; `what` names
    /// it in the error.
    pub async fn wait_for(&self, what: &str, js: &str) -> Result<Json, String> {
        let deadline = tokio::time::Instant::now() + DEFAULT_WAIT;
        loop {
            // A page between documents fails to evaluate for a moment: try again.
            let value = self.eval_until(js, deadline).await;
            match &value {
                Ok(value) if truthy(value) => return Ok(value.clone()),
                _ if tokio::time::Instant::now() > deadline => {
                    return Err(format!(
                        "waited {DEFAULT_WAIT:?} for {what}: `{}` gave {value:?}",
                        short(js)
                    ));
                }
                _ => tokio::time::sleep(Duration::from_millis(20)).await,
            }
        }
    }

    /// Waits until an element matches `selector`.
    pub async fn wait_for_selector(&self, selector: &str) -> Result<(), String> {
        let js = format!("document.querySelector({}) !== null", quote(selector));
        self.wait_for(&format!("an element matching {selector:?}"), &js)
            .await
            .map(drop)
    }

    /// Waits until an element matches `selector` and its text contains `text`.
    pub async fn wait_for_text(&self, selector: &str, text: &str) -> Result<(), String> {
        let js = format!(
            "(document.querySelector({}) || {{}}).textContent?.includes({}) === true",
            quote(selector),
            quote(text)
        );
        self.wait_for(&format!("{text:?} in {selector:?}"), &js)
            .await
            .map(drop)
    }

    /// The text of the element matching `selector`, once there is one.
    pub async fn text(&self, selector: &str) -> Result<String, String> {
        self.wait_for_selector(selector).await?;
        let js = format!("document.querySelector({}).textContent", quote(selector));
        Ok(self
            .eval(&js)
            .await?
            .as_str()
            .unwrap_or_default()
            .to_owned())
    }

    /// Clicks the element matching `selector`, once there is one (its `click()`:
    /// the events a click fires, without moving a pointer).
    pub async fn click(&self, selector: &str) -> Result<(), String> {
        self.wait_for_selector(selector).await?;
        let js = format!("document.querySelector({}).click(); true", quote(selector));
        self.eval(&js).await.map(drop)
    }

    /// Types `text` into the field matching `selector`, once there is one: focuses
    /// it, sets its value, and fires `input` and `change` as typing does.
    pub async fn type_text(&self, selector: &str, text: &str) -> Result<(), String> {
        self.wait_for_selector(selector).await?;
        let js = format!(
            "(() => {{ const field = document.querySelector({}); field.focus(); \
             field.value = {}; \
             field.dispatchEvent(new Event('input', {{ bubbles: true }})); \
             field.dispatchEvent(new Event('change', {{ bubbles: true }})); return true; }})()",
            quote(selector),
            quote(text)
        );
        self.eval(&js).await.map(drop)
    }

    /// Saves what the window shows as a PNG.
    pub async fn screenshot(&self, path: impl AsRef<Path>) -> Result<(), String> {
        let path = path.as_ref();
        match tokio::time::timeout(DEFAULT_WAIT, self.window.capture_page(path)).await {
            Ok(outcome) => {
                outcome.map_err(|error| format!("screenshot to {}: {error}", path.display()))
            }
            Err(_) => Err(format!("no screenshot within {DEFAULT_WAIT:?}")),
        }
    }
}

/// `text` as a JavaScript string literal.
fn quote(text: &str) -> String {
    serde_json::to_string(text).unwrap_or_else(|_| "''".to_owned())
}

/// JavaScript's truthiness of a JSON value.
fn truthy(value: &Json) -> bool {
    match value {
        Json::Null => false,
        Json::Bool(b) => *b,
        Json::Number(n) => n.as_f64().is_some_and(|n| n != 0.0 && !n.is_nan()),
        Json::String(s) => !s.is_empty(),
        _ => true,
    }
}

fn short(js: &str) -> String {
    let mut short: String = js.chars().take(120).collect();
    if short.len() < js.len() {
        short.push('…');
    }
    short
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn selectors_and_text_are_quoted_as_javascript_strings() {
        assert_eq!(quote(r#"a[title="x"]"#), r#""a[title=\"x\"]""#);
        assert_eq!(quote("</script>"), r#""</script>""#);
    }

    #[test]
    fn truthiness_is_javascripts() {
        for (value, expected) in [
            (Json::Null, false),
            (serde_json::json!(0), false),
            (serde_json::json!(""), false),
            (serde_json::json!(false), false),
            (serde_json::json!(1), true),
            (serde_json::json!("x"), true),
            (serde_json::json!([]), true),
        ] {
            assert_eq!(truthy(&value), expected, "{value}");
        }
    }
}
