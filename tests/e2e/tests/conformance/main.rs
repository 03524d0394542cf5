//! Conformance with Electron's documented IPC behaviour: one scenario per documented
//! behaviour, each in its own process with a real WebKitGTK window, organised by the
//! documentation it checks:
//!
//! - [`values`]: "Object serialization" in Electron's IPC tutorial (the structured
//!   clone algorithm) and the contextBridge reference's table of copied types;
//! - [`api`]: the `ipcRenderer`, `ipcMain`, `webContents`, `MessagePortMain` and
//!   `contextBridge` references, as JavaScript run against one set of handlers;
//! - [`windows`]: what needs several windows, or one that goes away;
//! - [`electron_bridge`]: Electron's own contextBridge tests, ported case by case;
//! - [`electron_ipc`]: cases of Electron's IPC tests no other scenario covers;
//! - [`shapes`]: preloads in the shapes public Electron apps and templates ship,
//!   run unchanged;
//! - [`apis`]: APIs declared once in Rust, as the page uses them;
//! - [`ports`]: nothing posted to a port is lost, and every end hears `close`.

mod api;
mod apis;
mod electron_bridge;
mod electron_ipc;
mod ports;
mod shapes;
mod values;
mod windows;

use api::HELPERS_JS;
use values::VALUES_JS;
use voltaic_e2e::{Harness, Scenario, REPORT_JS};

/// `Scenario`s named after their functions (the last path segment).
macro_rules! scenarios {
    ($($($module:ident)::+),* $(,)?) => {
        &[$(Scenario { name: last!($($module)::+), setup: $($module)::+ }),*]
    };
}

macro_rules! last {
    ($first:ident) => { stringify!($first) };
    ($first:ident :: $($rest:ident)::+) => { last!($($rest)::+) };
}

fn main() {
    // Every JavaScriptCore collection a full one, in the web processes the scenarios
    // start: proxies released too early fail sooner, and the scenarios about
    // releasing bridged functions see their collections within a bounded wait
    // (the generational collector can go seconds without a full one). Set here,
    // while the process is still single-threaded.
    std::env::set_var("JSC_useGenerationalGC", "false");
    voltaic_e2e::main(scenarios![
        // Object serialization (the IPC tutorial) and contextBridge's copy table
        values::values_of_every_cloneable_kind_round_trip,
        values::values_arrive_in_rust_as_their_own_kinds,
        values::values_that_cannot_be_cloned_fail_at_the_sender,
        values::values_bytes_cross_as_bytes_both_ways,
        values::values_sent_by_main_keep_their_kinds_and_order,
        values::values_cycles_and_shared_objects_survive,
        values::context_bridge_copies_bytes_maps_sets_and_dates_both_ways,
        // ipcRenderer
        api::ipc_renderer_on_gets_event_then_args,
        api::ipc_renderer_once_is_removed_after_one_message,
        api::ipc_renderer_remove_listener_and_off,
        api::ipc_renderer_remove_all_listeners,
        api::ipc_renderer_send_reaches_listeners_in_order,
        api::ipc_renderer_send_copies_its_arguments,
        api::ipc_renderer_invoke_resolves_with_the_handler_result,
        api::ipc_renderer_invoke_waits_for_async_handlers,
        api::ipc_renderer_invoke_rejects_with_the_handler_error,
        api::ipc_renderer_invoke_without_handler_rejects,
        api::ipc_renderer_invokes_settle_independently,
        api::ipc_renderer_invokes_made_together_keep_order_and_answers,
        api::ipc_renderer_send_sync_returns_the_return_value,
        api::ipc_renderer_send_sync_carries_bytes_both_ways,
        api::ipc_renderer_send_sync_waits_for_a_late_return_value,
        api::ipc_renderer_listener_errors_do_not_stop_other_listeners,
        api::ipc_renderer_rejects_invalid_channels,
        api::ipc_renderer_invoke_copies_its_arguments,
        api::ipc_renderer_post_message_without_ports_is_a_message,
        api::ipc_renderer_post_message_transfers_a_port_to_main,
        api::ipc_renderer_post_message_transfers_several_ports_in_order,
        api::ipc_renderer_post_message_neuters_the_transferred_port,
        // ipcMain
        api::ipc_main_async_handler_errors_reject,
        api::ipc_main_once_listener_runs_for_the_first_message_only,
        api::ipc_main_remove_all_listeners,
        api::ipc_main_handle_once_answers_one_invoke,
        api::ipc_main_remove_handler,
        api::ipc_main_handle_twice_is_an_error,
        api::ipc_main_event_reply_goes_to_the_sender,
        api::ipc_main_event_sender_and_frame,
        api::ipc_main_handler_without_result_answers_undefined,
        // webContents and BrowserWindow
        api::web_contents_send_delivers_in_order,
        api::web_contents_messages_before_the_answer_arrive_first,
        api::web_contents_send_to_frame_reaches_the_main_frame,
        api::web_contents_send_to_frame_refuses_unknown_frames,
        api::web_contents_from_id_finds_the_window,
        api::web_contents_post_message_gives_the_renderer_a_port,
        windows::browser_windows_are_addressed_independently,
        // MessageChannelMain, MessagePortMain and the message-ports tutorial
        api::message_ports_carry_structured_clone_values,
        api::message_ports_reach_the_main_world_through_window_post_message,
        windows::message_port_between_two_windows,
        windows::message_port_main_closes_with_the_window,
        windows::message_port_main_closes_when_the_page_navigates,
        windows::invoke_answers_stay_with_their_document,
        // Nothing posted to a port is lost, and `close` comes after it
        ports::port_stream_of_1_from_main_then_close,
        ports::port_stream_of_10_from_main_then_close,
        ports::port_stream_of_10000_from_main_then_close,
        ports::port_stream_of_1_from_the_renderer_then_close,
        ports::port_stream_of_10_from_the_renderer_then_close,
        ports::port_stream_of_10000_from_the_renderer_then_close,
        ports::port_in_the_main_world_hears_main_close_after_its_messages,
        ports::port_closed_in_the_main_world_reaches_main_after_its_messages,
        ports::port_inside_a_port_message_closes_after_its_messages,
        ports::port_between_two_windows_closes_after_its_messages,
        ports::port_sent_to_a_loading_document_keeps_its_messages,
        ports::ports_under_a_random_interleaving,
        // contextBridge
        api::context_bridge_isolated_worlds_must_be_named,
        api::context_bridge_exposes_the_api_on_window,
        api::context_bridge_calls_nest_both_ways,
        api::context_bridge_plain_values_keep_their_exact_value,
        api::context_bridge_exposed_objects_are_frozen,
        api::context_bridge_bytes_are_copied,
        api::context_bridge_values_are_copied,
        api::context_bridge_prototypes_are_stripped,
        api::context_bridge_page_callbacks_can_be_called_later,
        api::context_bridge_returned_functions_are_callable,
        api::context_bridge_promises_are_proxied,
        api::context_bridge_errors_keep_their_message,
        api::context_bridge_refuses_an_existing_key,
        api::context_bridge_page_reaches_ipc_only_through_the_api,
        api::context_bridge_exposes_a_function_directly,
        api::context_bridge_functions_inside_values_are_proxied,
        api::context_bridge_page_callback_errors_reach_the_preload,
        api::context_bridge_lets_go_of_functions_the_page_dropped,
        api::context_bridge_lets_go_of_callbacks_the_preload_dropped,
        api::context_bridge_typed_arrays_are_copied_not_frozen,
        api::context_bridge_exposing_ipc_renderer_gives_an_empty_object,
        api::context_bridge_functions_come_back_as_themselves,
        api::context_bridge_one_crossing_keeps_shared_objects,
        api::context_bridge_keeps_cycles,
        api::context_bridge_nesting_999_crosses_1000_does_not,
        // Electron's spec/api-context-bridge-spec.ts, case by case
        electron_bridge::proxy_numbers,
        electron_bridge::global_properties_are_read_only,
        electron_bridge::proxy_nested_numbers,
        electron_bridge::properties_are_unwriteable,
        electron_bridge::proxy_strings,
        electron_bridge::proxy_nested_strings,
        electron_bridge::proxy_arrays,
        electron_bridge::proxy_nested_arrays,
        electron_bridge::arrays_are_immutable,
        electron_bridge::nested_arrays_are_immutable,
        electron_bridge::proxy_booleans,
        electron_bridge::proxy_nested_booleans,
        electron_bridge::proxy_numbers_in_an_isolated_world,
        electron_bridge::proxy_nested_strings_in_an_isolated_world,
        electron_bridge::proxy_promises_resolving,
        electron_bridge::proxy_nested_promises_resolving,
        electron_bridge::proxy_promises_rejecting,
        electron_bridge::proxy_nested_promises_rejecting,
        electron_bridge::proxy_promises_resolving_later,
        electron_bridge::proxy_nested_promises_correctly,
        electron_bridge::promises_ignore_an_overridden_function_prototype,
        electron_bridge::proxy_methods,
        electron_bridge::proxy_functions,
        electron_bridge::functions_are_not_double_proxied,
        electron_bridge::function_arguments_proxied_once,
        electron_bridge::errors_thrown_in_proxied_functions,
        electron_bridge::throwing_getter_in_an_array_argument,
        electron_bridge::throwing_getter_in_a_returned_array,
        electron_bridge::methods_callable_many_times,
        electron_bridge::methods_in_the_reverse_direction,
        electron_bridge::promises_in_the_reverse_direction,
        electron_bridge::objects_with_number_keys,
        electron_bridge::own_proto_key_sent_does_not_mutate_the_prototype,
        electron_bridge::own_proto_key_exposed_does_not_mutate_the_prototype,
        electron_bridge::proxy_null,
        electron_bridge::proxy_undefined,
        electron_bridge::proxy_nested_null_and_undefined,
        electron_bridge::proxy_symbols,
        electron_bridge::symbol_equality_holds,
        electron_bridge::symbol_key_lookup_holds,
        electron_bridge::proxy_typed_arrays,
        electron_bridge::proxy_regexps,
        electron_bridge::typed_arrays_and_regexps_through_the_serializer,
        electron_bridge::recursive_objects,
        electron_bridge::dom_elements,
        electron_bridge::dom_elements_going_backwards,
        electron_bridge::blobs,
        electron_bridge::blobs_going_backwards,
        electron_bridge::video_frames,
        electron_bridge::video_frames_going_backwards,
        electron_bridge::exposed_things_cannot_be_overwritten,
        electron_bridge::complex_nested_methods_and_promises,
        electron_bridge::complex_nested_methods_and_promises_on_the_global,
        electron_bridge::recursion_depth_exceeded_throws,
        electron_bridge::thrown_errors_copied_into_the_other_context,
        electron_bridge::prototypes_do_not_leak,
        electron_bridge::prototypes_do_not_leak_on_the_global,
        electron_bridge::execute_in_main_world_serializes_the_function_and_proxies_args,
        electron_bridge::execute_in_main_world_function_args_can_be_invoked,
        electron_bridge::execute_in_main_world_proxies_arguments_once,
        electron_bridge::execute_in_main_world_safely_clones_returned_objects,
        electron_bridge::execute_in_main_world_uses_the_intrinsic_to_string,
        electron_bridge::execute_in_main_world_under_a_strict_csp_says_why,
        electron_bridge::context_bridge_mutability_on,
        electron_bridge::context_bridge_mutability_off,
        // Electron's IPC spec files, the cases not covered above
        electron_ipc::payloads_across_the_shared_memory_threshold,
        electron_ipc::ordering_between_send_and_send_sync,
        electron_ipc::ordering_between_send_send_sync_and_invoke,
        electron_ipc::send_an_object_with_an_id_property,
        electron_ipc::send_sync_answered_by_several_listeners,
        electron_ipc::web_contents_ipc_receives_send,
        electron_ipc::web_contents_ipc_answers_send_sync,
        electron_ipc::web_contents_ipc_receives_ports,
        electron_ipc::web_contents_ipc_handles_invoke,
        electron_ipc::web_contents_ipc_cascades_to_ipc_main,
        electron_ipc::web_contents_ipc_overrides_ipc_main,
        electron_ipc::web_contents_ipc_falls_back_to_ipc_main,
        electron_ipc::main_frame_ipc_receives_send,
        electron_ipc::main_frame_ipc_answers_send_sync,
        electron_ipc::main_frame_ipc_receives_ports,
        electron_ipc::main_frame_ipc_handles_invoke,
        electron_ipc::main_frame_ipc_cascades,
        electron_ipc::main_frame_ipc_overrides_ipc_main,
        electron_ipc::main_frame_ipc_overrides_web_contents,
        electron_ipc::main_frame_ipc_falls_back_to_web_contents,
        electron_ipc::main_frame_ipc_receives_from_an_unloading_page,
        electron_ipc::port_close_event_when_main_closes_its_end,
        electron_ipc::port_close_event_when_the_other_end_is_sent_to_nowhere,
        electron_ipc::port_received_over_a_port_from_the_renderer,
        electron_ipc::message_channel_main_passed_over_another_channel,
        electron_ipc::main_frame_post_message_sends_a_message,
        // APIs declared in Rust
        apis::declared_api_from_the_page,
        apis::declared_api_carries_bytes,
        // webFrame and webUtils
        api::web_frame_zoom_factor_and_level,
        api::web_frame_insert_css_applies_unseen_and_removes,
        api::web_frame_execute_java_script_runs_in_the_page_world,
        api::web_utils_get_path_for_file_says_why_it_cannot,
        // The sandboxed preload environment (Process Sandboxing, process)
        api::sandboxed_preload_has_process_buffer_global_and_immediates,
        api::sandboxed_preload_require_has_electrons_module_map,
        api::sandboxed_preload_buffer_encodes_as_node_does,
        api::ipc_renderer_is_an_event_emitter,
        // Preloads in the shapes real apps ship, unchanged
        shapes::preload_shape_app_template,
        shapes::preload_shape_getting_started_tutorial,
        shapes::preload_shape_ipc_renderer_passed_through,
        shapes::preload_shape_unbound_methods_and_forwarded_events,
        shapes::preload_shape_unsubscribe_closures_events_and_buffer,
        shapes::preload_shape_react_boilerplate,
        shapes::preload_shape_channel_allowlist,
        shapes::preload_shape_sync_config_at_load,
        shapes::preload_shape_web_frame_zoom,
        shapes::preload_shape_that_throws,
    ]);
}

/// A page with nothing but the report helper: these scenarios run in the preload.
fn blank() -> String {
    format!("<!DOCTYPE html><html><head><script>{REPORT_JS}</script></head><body>conformance</body></html>")
}

/// Opens a window whose preload runs `body` (an async function body, with
/// `ipcRenderer`, `report` and the helpers of [`HELPERS_JS`] in scope) once the page
/// has loaded.
fn run_in_preload(h: &Harness, tag: &str, body: &str) -> Result<(), String> {
    let preload = format!(
        "{REPORT_JS}const {{ ipcRenderer, contextBridge }} = require('electron');\n\
         {HELPERS_JS}\n\
         {VALUES_JS}\n\
         window.addEventListener('DOMContentLoaded', () => {{ (async () => {{\n{body}\n}})().catch((e) => report('crash', String(e && e.stack))); }});\n"
    );
    h.window(tag, Some(&preload), &blank())?;
    Ok(())
}
