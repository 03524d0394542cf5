//! The notes app driven by a standard WebDriver client (fantoccini) through
//! WebKitGTK's `WebKitWebDriver`, which launches the app's binary as it ships (a
//! debug build, asked with `VOLTAIC_AUTOMATION=1`).

use std::time::Duration;

use fantoccini::{ClientBuilder, Locator};
use hyper_util::client::legacy::connect::HttpConnector;
use voltaic_test::WebDriver;

#[tokio::test]
async fn a_webdriver_client_adds_a_note() {
    if std::env::var("VOLTAIC_ENGINE").is_ok_and(|engine| engine.contains("chrom")) {
        eprintln!("skipped: WebDriver drives the WebKitGTK engine (see the README)");
        return;
    }
    if !cfg!(debug_assertions) {
        eprintln!("skipped: a release build lets no WebDriver in unless the app allows it");
        return;
    }
    let outcome = tokio::time::timeout(Duration::from_secs(120), drive()).await;
    match outcome {
        Ok(Ok(())) => {}
        Ok(Err(error)) => panic!("{error}"),
        Err(_) => panic!("the WebDriver session did not finish within 120 s"),
    }
}

async fn drive() -> Result<(), String> {
    let server = WebDriver::start()?;
    let binary = std::path::Path::new(env!("CARGO_BIN_EXE_notes"));
    // WebKitWebDriver waits for the app for as long as it takes: an app that does
    // not let it in never answers.
    let mut builder = ClientBuilder::new(HttpConnector::new());
    builder.capabilities(WebDriver::capabilities(binary, &[]));
    let url = server.url();
    let connect = builder.connect(&url);
    let client = tokio::time::timeout(Duration::from_secs(60), connect)
        .await
        .map_err(|_| {
            "no session with the notes app within 60 s: did it let the WebDriver in \
             (a debug build, VOLTAIC_AUTOMATION=1)?"
                .to_owned()
        })?
        .map_err(|e| format!("no session with the notes app: {e}"))?;
    let outcome = async {
        let wait = Duration::from_secs(30);
        // The page adds its first note itself into an empty store.
        client
            .wait()
            .at_most(wait)
            .for_element(Locator::XPath(
                "//li[contains(., 'Declared once, in Rust')]",
            ))
            .await
            .map_err(|e| format!("the first note never showed: {e}"))?;
        let title = client
            .find(Locator::Css("#title"))
            .await
            .map_err(|e| e.to_string())?;
        title.send_keys("Milk").await.map_err(|e| e.to_string())?;
        client
            .find(Locator::Css("#new button"))
            .await
            .map_err(|e| e.to_string())?
            .click()
            .await
            .map_err(|e| e.to_string())?;
        client
            .wait()
            .at_most(wait)
            .for_element(Locator::XPath("//li[. = 'Milk']"))
            .await
            .map_err(|e| format!("the note typed never showed: {e}"))?;
        let count = client
            .find(Locator::Css("#count"))
            .await
            .map_err(|e| e.to_string())?
            .text()
            .await
            .map_err(|e| e.to_string())?;
        if count != "(2)" {
            return Err(format!("the count shows {count:?}, not (2)"));
        }
        Ok(())
    }
    .await;
    let _ = client.close().await;
    outcome
}
