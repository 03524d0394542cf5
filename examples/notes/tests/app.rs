//! The notes app's own tests, written with Voltaic's test kit: the app opened as
//! `main` opens it, in a real window, driven through its page.
//!
//! `cargo test -p notes --test app` runs them, each in a process of its own, on
//! an Xvfb of their own when there is no display.

use serde_json::json;
use voltaic::timeline::{Event, Refusal};
use voltaic_test::{ensure, ensure_eq, Checks, Kit, Page, Test};

fn main() {
    voltaic_test::main(&[
        Test {
            name: "adding_a_note_shows_it_and_counts_it",
            setup: adding_a_note,
        },
        Test {
            name: "the_store_mocked_by_channel",
            setup: store_mocked,
        },
        Test {
            name: "a_note_without_a_title_is_refused",
            setup: no_title,
        },
    ]);
}

fn err(error: impl std::fmt::Display) -> String {
    error.to_string()
}

/// The real app: a note typed and submitted shows in the list, the count the page
/// reads from a live value follows, and the traffic is what the page's code says
/// (an invoke of `notes.add`, a send on `notes.log`, the `added` event pushed).
fn adding_a_note(kit: &Kit) -> Result<Checks, String> {
    let (_notes, window) = notes::open(kit.app()).map_err(err)?;
    let page = Page::of(&window);
    let traffic = kit.traffic();
    let shot = kit.dir().join("notes.png");
    Ok(Box::pin(async move {
        // An empty store: the page adds its first note itself.
        page.wait_for_text("#notes", "Declared once, in Rust")
            .await?;
        // What the user's note causes, not the page's own first one.
        let traffic = traffic.from_now();
        page.type_text("#title", "Milk").await?;
        page.click("#new button").await?;
        page.wait_for_text("#notes", "Milk").await?;
        page.wait_for_text("#count", "(2)").await?;
        let add = traffic.expect_invoke("notes.add").await?;
        ensure!(
            matches!(add.event, Event::Invoke { error: None, .. }),
            "notes.add failed: {add:?}"
        );
        traffic.expect_send("notes.log").await?;
        traffic.expect_push("notes.added").await?;
        page.screenshot(&shot).await?;
        ensure!(shot.exists(), "no screenshot");
        Ok(())
    }))
}

/// The store replaced by mocks, channel by channel: `list` answers with a note of
/// the mock's, `add` records what the page sent and answers 7. Nothing else is
/// mocked: `log` is the app's own.
fn store_mocked(kit: &Kit) -> Result<Checks, String> {
    let (_notes, window) = notes::open(kit.app()).map_err(err)?;
    let list = kit.mock("notes.list")?;
    list.returns(json!([{ "title": "From the mock", "body": null }]));
    let add = kit.mock("notes.add")?;
    add.returns(json!(7));
    let page = Page::of(&window);
    let traffic = kit.traffic();
    Ok(Box::pin(async move {
        page.wait_for_text("#notes", "From the mock").await?;
        page.type_text("#title", "Milk").await?;
        page.click("#new button").await?;
        let calls = add.wait_for_calls(1).await?;
        ensure_eq!(calls, vec![json!([{ "title": "Milk", "body": null }])]);
        // The page logs the count the mock answered, through the real `log`.
        let log = traffic.expect_send("notes.log").await?;
        ensure!(
            matches!(&log.event, Event::Send { preview: Some(p), .. } if p.contains("note 7")),
            "the page did not log the mock's answer: {log:?}"
        );
        // The real `add` would have pushed `added`; the mock did not.
        traffic.ensure_none("notes.added")?;
        ensure!(
            list.calls().len() >= 2,
            "the page listed {:?}",
            list.calls()
        );
        Ok(())
    }))
}

/// A note with a blank title: the app's handler refuses it, the page's promise
/// rejects with the handler's words, and the timeline has the failed invoke; a
/// note of the wrong shape never reaches the handler.
fn no_title(kit: &Kit) -> Result<Checks, String> {
    let (_notes, window) = notes::open(kit.app()).map_err(err)?;
    let page = Page::of(&window);
    let traffic = kit.traffic();
    Ok(Box::pin(async move {
        page.wait_for_text("#notes", "Declared once, in Rust")
            .await?;
        page.eval(
            "window.notes.add({ title: '  ', body: null }) \
               .catch((e) => { document.title = 'refused: ' + e.message; }); true",
        )
        .await?;
        let title = page
            .wait_for(
                "the refusal",
                "document.title.startsWith('refused') && document.title",
            )
            .await?;
        ensure!(
            title
                .as_str()
                .is_some_and(|t| t.contains("a note needs a title")),
            "the page saw {title}"
        );
        traffic
            .expect("the failed invoke of notes.add", |entry| {
                matches!(&entry.event, Event::Invoke { channel, error: Some(e), .. }
                    if channel == "notes.add" && e.contains("a note needs a title"))
            })
            .await?;
        // The page's side checks the schema first: a number for a title is turned
        // away in the page, and the main process sees nothing of it.
        page.eval(
            "window.notes.add({ title: 5, body: null }) \
               .then(() => { document.title = 'sent'; }, \
                     (e) => { document.title = 'turned away: ' + e.message; }); true",
        )
        .await?;
        let title = page
            .wait_for(
                "the page's own refusal",
                "!document.title.startsWith('refused') && document.title",
            )
            .await?;
        ensure!(
            title.as_str().is_some_and(|t| t.starts_with("turned away")),
            "a note with a number for a title was {title}"
        );
        ensure!(
            !traffic.entries().iter().any(|entry| matches!(
                &entry.event,
                Event::Refused {
                    reason: Refusal::Schema,
                    ..
                }
            )),
            "a wrong note reached the main process"
        );
        Ok(())
    }))
}
