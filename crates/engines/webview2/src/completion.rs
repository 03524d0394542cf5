//! WebView2's answers and events, as the session layer takes them. WebView2 gives
//! a command's result object (not the whole message) to a completion handler, or
//! a failed HRESULT whose text may or may not be the protocol's error object; and
//! each event by name, with its session id empty for the webview's own page.

use serde_json::Value;
use voltaic_cdp::{Answer, CdpError, Event};

/// A command's answer, from what its completion handler got: `Ok` with the
/// result's JSON text, or `Err` with the HRESULT's message and the text given.
pub(crate) fn answer(outcome: Result<String, String>, text: &str) -> Answer {
    match outcome {
        Ok(result) => Ok(serde_json::from_str(&result).unwrap_or(Value::Null)),
        Err(hresult) => {
            let error: Value = serde_json::from_str(text).unwrap_or(Value::Null);
            // The error object, alone or inside a message.
            let error = if error.get("error").is_some() {
                &error["error"]
            } else {
                &error
            };
            Err(CdpError::Protocol {
                method: String::new(),
                code: error["code"].as_i64().unwrap_or(0),
                message: error["message"]
                    .as_str()
                    .map_or_else(|| hresult.clone(), str::to_owned),
            })
        }
    }
}

/// An event, from its name, its session id (empty for the webview's own page) and
/// its parameters' JSON text.
pub(crate) fn event(method: &str, session: Option<String>, params: &str) -> Event {
    Event {
        session: session.filter(|s| !s.is_empty()),
        method: method.to_owned(),
        params: serde_json::from_str(params).unwrap_or(Value::Null),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn results_and_errors_read_as_from_a_pipe() {
        assert_eq!(
            answer(Ok(r#"{"frameTree":{"frame":{"id":"F1"}}}"#.into()), ""),
            Ok(json!({"frameTree": {"frame": {"id": "F1"}}}))
        );
        // A result that is not JSON is no result, not a broken session.
        assert_eq!(answer(Ok("".into()), ""), Ok(Value::Null));
        assert_eq!(
            answer(
                Err("The parameter is incorrect.".into()),
                r#"{"code":-32601,"message":"'Bad.call' wasn't found"}"#
            ),
            Err(CdpError::Protocol {
                method: String::new(),
                code: -32601,
                message: "'Bad.call' wasn't found".into()
            })
        );
        assert_eq!(
            answer(
                Err("E_INVALIDARG".into()),
                r#"{"error":{"code":-32000,"message":"No frame"}}"#
            ),
            Err(CdpError::Protocol {
                method: String::new(),
                code: -32000,
                message: "No frame".into()
            })
        );
        // No error object: the HRESULT says what went wrong.
        assert_eq!(
            answer(Err("E_INVALIDARG".into()), ""),
            Err(CdpError::Protocol {
                method: String::new(),
                code: 0,
                message: "E_INVALIDARG".into()
            })
        );
    }

    #[test]
    fn the_webviews_own_page_has_no_session() {
        let own = event(
            "Page.frameNavigated",
            Some(String::new()),
            r#"{"frame":{}}"#,
        );
        assert_eq!(own.session, None);
        assert_eq!(own.params, json!({"frame": {}}));
        let child = event("Runtime.bindingCalled", Some("S1".into()), "not json");
        assert_eq!(child.session.as_deref(), Some("S1"));
        assert_eq!(child.params, Value::Null);
    }
}
