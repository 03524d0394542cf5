//! Values: the "Object serialization" section of Electron's IPC tutorial (the
//! structured clone algorithm), and contextBridge's table of what it copies.

use serde_json::json;
use voltaic::{Bytes, IpcEvent, TypedArrayKind, Value};
use voltaic_e2e::{ensure, ensure_eq, Driver, Harness, REPORT_JS};

use crate::run_in_preload;

/// Every kind the structured clone algorithm copies, and a check that says which of
/// them did not come back as they went.
pub(crate) const VALUES_JS: &str = r#"
const makeValues = () => {
  const bytes = new Uint8Array([0, 1, 2, 255]);
  const sparse = [1, , 3]; sparse[10] = 'x';
  return {
    undef: undefined, nul: null, t: true, n: 1.5, int: 42, nan: NaN, inf: Infinity, ninf: -Infinity, negZero: -0,
    big: 12345678901234567890123n, str: 'ünï 🎉 \u0000 "q"', date: new Date(1700000000000), badDate: new Date(NaN),
    re: /a+b/gi, ab: bytes.buffer, u8: bytes, i16: new Int16Array([-1, 2]), f64: new Float64Array([1.5, -2]),
    big64: new BigInt64Array([-5n]), dv: new DataView(new ArrayBuffer(3)), sub: bytes.subarray(1, 3),
    map: new Map([[1, 'one'], ['k', { v: 2 }]]), set: new Set(['a', 1]), err: new TypeError('bad'),
    custom: Object.assign(new Error('mine'), { name: 'CustomError' }),
    sparse, dollar: { $: 'not a tag' }, nested: { a: [{ b: [1, { c: null }] }] },
    boxed: new String('boxed'), klass: new (class Point { constructor() { this.x = 1; } })(),
  };
};
const wrongKinds = (v) => {
  const ok = {
    undef: 'undef' in v && v.undef === undefined, nul: v.nul === null, t: v.t === true, n: v.n === 1.5, int: v.int === 42,
    nan: Number.isNaN(v.nan), inf: v.inf === Infinity, ninf: v.ninf === -Infinity, negZero: Object.is(v.negZero, -0),
    big: v.big === 12345678901234567890123n, str: v.str === 'ünï 🎉 \u0000 "q"',
    date: v.date instanceof Date && v.date.getTime() === 1700000000000,
    badDate: v.badDate instanceof Date && Number.isNaN(v.badDate.getTime()),
    re: v.re instanceof RegExp && v.re.source === 'a+b' && v.re.flags === 'gi',
    ab: v.ab instanceof ArrayBuffer && new Uint8Array(v.ab).join() === '0,1,2,255',
    u8: v.u8 instanceof Uint8Array && v.u8.join() === '0,1,2,255',
    i16: v.i16 instanceof Int16Array && v.i16.join() === '-1,2',
    f64: v.f64 instanceof Float64Array && v.f64.join() === '1.5,-2',
    big64: v.big64 instanceof BigInt64Array && v.big64[0] === -5n,
    dv: v.dv instanceof DataView && v.dv.byteLength === 3,
    sub: v.sub instanceof Uint8Array && v.sub.join() === '1,2',
    map: v.map instanceof Map && v.map.size === 2 && v.map.get(1) === 'one' && v.map.get('k').v === 2,
    set: v.set instanceof Set && v.set.size === 2 && v.set.has('a') && v.set.has(1),
    err: v.err instanceof TypeError && v.err.message === 'bad',
    custom: v.custom instanceof Error && v.custom.name === 'Error' && v.custom.message === 'mine',
    sparse: Array.isArray(v.sparse) && v.sparse.length === 11 && !(1 in v.sparse) && v.sparse[2] === 3 && v.sparse[10] === 'x',
    dollar: v.dollar.$ === 'not a tag' && Object.keys(v.dollar).length === 1,
    nested: JSON.stringify(v.nested) === '{"a":[{"b":[1,{"c":null}]}]}',
    boxed: v.boxed === 'boxed',
    klass: Object.getPrototypeOf(v.klass) === Object.prototype && v.klass.x === 1,
  };
  return Object.keys(ok).filter((k) => !ok[k]);
};
"#;

/// Electron: "IPC uses the HTML standard Structured Clone Algorithm": what the
/// renderer sends comes back from the main process as the same kinds of values.
pub(crate) fn values_of_every_cloneable_kind_round_trip(h: &Harness) -> Result<Driver, String> {
    h.app()
        .ipc_main()
        .handle("echo", |_: IpcEvent, value: Value| value)
        .map_err(|e| e.to_string())?;
    run_in_preload(
        h,
        "roundtrip",
        "const sent = makeValues();\n\
         const back = await ipcRenderer.invoke('echo', sent);\n\
         report('wrong', wrongKinds(back));\n\
         report('copied', back !== sent && back.u8 !== sent.u8);",
    )?;
    let probe = h.probe();
    Ok(Box::pin(async move {
        ensure_eq!(probe.result("wrong").await?, json!([]));
        ensure_eq!(probe.result("copied").await?, json!(true));
        Ok(())
    }))
}

/// The main process sees each value as its own kind, bytes as bytes.
pub(crate) fn values_arrive_in_rust_as_their_own_kinds(h: &Harness) -> Result<Driver, String> {
    let probe = h.probe();
    let record = probe.clone();
    h.app()
        .ipc_main()
        .handle("kinds", move |_: IpcEvent, value: Value| {
            let Value::Object(entries) = &value else {
                return Err(format!("not an object: {value:?}"));
            };
            let kinds: serde_json::Map<_, _> = entries
                .iter()
                .map(|(k, v)| (k.clone(), json!(v.kind())))
                .collect();
            record.record(format!("kinds {}", serde_json::Value::Object(kinds)));
            let exact = [
                value.get("negZero").and_then(Value::as_f64).map(|n| n.to_bits()) == Some((-0.0f64).to_bits()),
                value.get("big") == Some(&Value::BigInt("12345678901234567890123".into())),
                value.get("date") == Some(&Value::Date(1_700_000_000_000.0)),
                value.get("u8").and_then(Value::as_bytes).map(|b| b.to_vec()) == Some(vec![0, 1, 2, 255]),
                value.get("sub").and_then(Value::as_bytes).map(|b| b.to_vec()) == Some(vec![1, 2]),
                matches!(value.get("i16"), Some(Value::TypedArray { kind: TypedArrayKind::Int16Array, bytes }) if bytes.len() == 4),
                value.get("err") == Some(&Value::Error { name: "TypeError".into(), message: "bad".into() }),
                value.get("re") == Some(&Value::RegExp { source: "a+b".into(), flags: "gi".into() }),
                matches!(value.get("sparse"), Some(Value::SparseArray { length: 11, items }) if items.len() == 3),
                value.get("str").and_then(Value::as_str) == Some("ünï 🎉 \u{0} \"q\""),
            ];
            record.record(format!("exact {exact:?}"));
            Ok(())
        })
        .map_err(|e| e.to_string())?;
    run_in_preload(
        h,
        "kinds",
        "await ipcRenderer.invoke('kinds', makeValues()); report('done', 1);",
    )?;
    Ok(Box::pin(async move {
        probe.result("done").await?;
        let kinds = probe
            .wait_for("the kinds", |l| l.starts_with("kinds "))
            .await?;
        let kinds: serde_json::Value =
            serde_json::from_str(&kinds["kinds ".len()..]).map_err(|e| e.to_string())?;
        ensure_eq!(
            kinds,
            json!({
                "undef": "undefined", "nul": "null", "t": "boolean", "n": "number", "int": "number",
                "nan": "number", "inf": "number", "ninf": "number", "negZero": "number",
                "big": "bigint", "str": "string", "date": "Date", "badDate": "Date", "re": "RegExp",
                "ab": "ArrayBuffer", "u8": "Uint8Array", "i16": "Int16Array", "f64": "Float64Array",
                "big64": "BigInt64Array", "dv": "DataView", "sub": "Uint8Array", "map": "Map",
                "set": "Set", "err": "Error", "custom": "Error", "sparse": "Array", "dollar": "object",
                "nested": "object", "boxed": "string", "klass": "object",
            })
        );
        probe.expect(&format!("exact {:?}", [true; 10])).await
    }))
}

/// Electron: "Sending Functions, Promises, Symbols, WeakMaps, or WeakSets will throw
/// an exception"; so do DOM objects. The sender gets the error, nothing is sent.
pub(crate) fn values_that_cannot_be_cloned_fail_at_the_sender(
    h: &Harness,
) -> Result<Driver, String> {
    let probe = h.probe();
    let record = probe.clone();
    h.app()
        .ipc_main()
        .on("any", move |_: IpcEvent| record.record("sent"));
    h.app()
        .ipc_main()
        .handle("any", |_: IpcEvent| "handled")
        .map_err(|e| e.to_string())?;
    run_in_preload(
        h,
        "uncloneable",
        "const bad = { fn: () => 1, symbol: Symbol('s'), promise: Promise.resolve(1), weakMap: new WeakMap(),\n\
           weakSet: new WeakSet(), node: document.body, nested: { deep: [() => 2] }, win: window };\n\
         const out = {};\n\
         for (const [k, v] of Object.entries(bad)) {\n\
           out[k] = [await errorOf(() => ipcRenderer.invoke('any', v)), await errorOf(() => ipcRenderer.send('any', v))];\n\
         }\n\
         out.ok = await ipcRenderer.invoke('any', 1);\n\
         report('errors', out);",
    )?;
    Ok(Box::pin(async move {
        let out = probe.result("errors").await?;
        let expected = [
            ("fn", "functions"),
            ("symbol", "symbols"),
            ("promise", "a Promise"),
            ("weakMap", "WeakMap objects"),
            ("weakSet", "WeakSet objects"),
            ("node", "DOM nodes"),
            ("nested", "functions"),
            ("win", "Window objects"),
        ];
        for (key, what) in expected {
            let message = format!("An object could not be cloned: {what} cannot be sent over IPC");
            ensure_eq!(out[key], json!([message, message]));
        }
        ensure_eq!(out["ok"], json!("handled"));
        probe.ensure_none("a send of an uncloneable value", |l| l == "sent")
    }))
}

/// Bytes travel as bytes (ArrayBuffers beside the JSON, never numbers or base64), in
/// both directions, into and out of `Bytes` parameters and results.
pub(crate) fn values_bytes_cross_as_bytes_both_ways(h: &Harness) -> Result<Driver, String> {
    let probe = h.probe();
    let record = probe.clone();
    let ipc = h.app().ipc_main();
    ipc.handle("reverse", |_: IpcEvent, data: Bytes| {
        let mut out = data.to_vec();
        out.reverse();
        Bytes::from(out)
    })
    .map_err(|e| e.to_string())?;
    ipc.on("upload", move |_: IpcEvent, name: String, data: Bytes| {
        let sum: u64 = data.iter().map(|b| u64::from(*b)).sum();
        record.record(format!("upload {name} {} {sum}", data.len()));
    });
    run_in_preload(
        h,
        "bytes",
        "const big = new Uint8Array(8 << 20); for (let i = 0; i < big.length; i += 4096) big[i] = 1;\n\
         ipcRenderer.send('upload', 'big', big);\n\
         const back = await ipcRenderer.invoke('reverse', new Uint8Array([1, 2, 3]));\n\
         const large = await ipcRenderer.invoke('reverse', big);\n\
         report('bytes', [back instanceof ArrayBuffer, new Uint8Array(back).join(), large.byteLength, new Uint8Array(large)[large.byteLength - 1]]);",
    )?;
    Ok(Box::pin(async move {
        ensure_eq!(
            probe.result("bytes").await?,
            json!([true, "3,2,1", 8 << 20, 1])
        );
        probe
            .expect(&format!("upload big {} {}", 8 << 20, (8 << 20) / 4096))
            .await
    }))
}

/// `webContents.send` carries the same values to the renderer, bytes included, and
/// messages stay in order even when some carry bytes and others do not.
pub(crate) fn values_sent_by_main_keep_their_kinds_and_order(
    h: &Harness,
) -> Result<Driver, String> {
    h.app().ipc_main().on("want", |e: IpcEvent| {
        let sender = e.sender();
        let _ = sender.send("order", ("first",));
        let _ = sender.send_values(
            "order",
            vec![
                Value::from("second"),
                Value::Date(5.0),
                Value::from(vec![9u8; 100_000]),
                Value::Map(vec![(
                    Value::Number(1.0),
                    Value::Set(vec![Value::Undefined]),
                )]),
                Value::Number(f64::NAN),
                Value::BigInt("-99999999999999999999".into()),
            ],
        );
        let _ = sender.send("order", ("third", Bytes::from_static(b"xyz")));
        let _ = sender.send("order", ("fourth",));
    });
    run_in_preload(
        h,
        "push",
        "const seen = [];\n\
         ipcRenderer.on('order', (event, name, ...rest) => {\n\
           if (name === 'second') {\n\
             const [date, buf, map, nan, big] = rest;\n\
             seen.push([name, date instanceof Date && date.getTime() === 5, buf instanceof ArrayBuffer && buf.byteLength === 100000 && new Uint8Array(buf)[99999] === 9,\n\
               map instanceof Map && map.get(1) instanceof Set && map.get(1).has(undefined), Number.isNaN(nan), big === -99999999999999999999n]);\n\
           } else if (name === 'third') {\n\
             seen.push([name, new TextDecoder().decode(rest[0])]);\n\
           } else {\n\
             seen.push(name);\n\
           }\n\
           if (name === 'fourth') report('order', seen);\n\
         });\n\
         ipcRenderer.send('want');",
    )?;
    let probe = h.probe();
    Ok(Box::pin(async move {
        ensure_eq!(
            probe.result("order").await?,
            json!([
                "first",
                ["second", true, true, true, true, true],
                ["third", "xyz"],
                "fourth"
            ])
        );
        Ok(())
    }))
}

/// Structured clone keeps the shape of the object graph: a cycle comes back as a
/// cycle, an object reached twice as one object.
pub(crate) fn values_cycles_and_shared_objects_survive(h: &Harness) -> Result<Driver, String> {
    let probe = h.probe();
    let record = probe.clone();
    h.app()
        .ipc_main()
        .handle("graph", move |_: IpcEvent, value: Value| {
            record.record(format!("rust {value:?}"));
            let plain = value.clone().deserialize_into::<serde_json::Value>();
            record.record(format!("as serde {}", plain.is_err()));
            value
        })
        .map_err(|e| e.to_string())?;
    run_in_preload(
        h,
        "graph",
        "const node = { name: 'n' }; node.self = node;\n\
         const shared = { s: 1 };\n\
         const list = [shared, shared]; list.push(list);\n\
         const map = new Map(); map.set('me', map);\n\
         const back = await ipcRenderer.invoke('graph', { node, list, map });\n\
         report('graph', [back.node.self === back.node, back.list[0] === back.list[1], back.list[2] === back.list,\n\
           back.map.get('me') === back.map, back.node !== node]);",
    )?;
    Ok(Box::pin(async move {
        ensure_eq!(
            probe.result("graph").await?,
            json!([true, true, true, true, true])
        );
        let rust = probe
            .wait_for("the Rust view", |l| l.starts_with("rust "))
            .await?;
        ensure!(
            rust.contains("Ref(1)"),
            "the cycle is a Ref in Rust: {rust}"
        );
        probe.expect("as serde true").await
    }))
}

/// contextBridge copies what it passes (the reference's table: primitives, objects,
/// arrays, Error, Promise, Function, Date, ArrayBuffer and typed arrays, Map, Set...),
/// in both directions, and through it the page reaches IPC with the same values. An
/// error arrives as an `Error` of the receiving world with its message, whatever its
/// class, as Electron's own tests have it.
pub(crate) fn context_bridge_copies_bytes_maps_sets_and_dates_both_ways(
    h: &Harness,
) -> Result<Driver, String> {
    h.app()
        .ipc_main()
        .handle("echo", |_: IpcEvent, value: Value| value)
        .map_err(|e| e.to_string())?;
    let preload = "const { contextBridge, ipcRenderer } = require('electron');\n\
        contextBridge.exposeInMainWorld('api', {\n\
          local: (v) => v,\n\
          viaMain: (v) => ipcRenderer.invoke('echo', v),\n\
          make: () => ({ bytes: new Uint8Array([5, 6]), map: new Map([['k', 1]]), when: new Date(3) }),\n\
        });";
    let script = format!(
        "{VALUES_JS}\n(async () => {{\n\
           const v = makeValues(); delete v.sparse; delete v.boxed; delete v.custom; delete v.err;\n\
           const error = window.api.local(new TypeError('bad'));\n\
           const local = window.api.local(v);\n\
           const viaMain = await window.api.viaMain(v);\n\
           const made = window.api.make();\n\
           report('bridge', {{ local: wrongKinds(local).filter((k) => k in v), viaMain: wrongKinds(viaMain).filter((k) => k in v),\n\
             made: [made.bytes instanceof Uint8Array && made.bytes.join() === '5,6', made.map.get('k') === 1, made.when.getTime() === 3],\n\
             copied: local.u8 !== v.u8, error: [Object.getPrototypeOf(error) === Error.prototype, error.message] }});\n\
         }})().catch((e) => report('bridge', String(e && e.stack)));"
    );
    let html = format!(
        "<!DOCTYPE html><html><head><script>{REPORT_JS}{script}</script></head><body>bridge</body></html>"
    );
    h.window("bridge-values", Some(preload), &html)?;
    let probe = h.probe();
    Ok(Box::pin(async move {
        ensure_eq!(
            probe.result("bridge").await?,
            json!({"local": [], "viaMain": [], "made": [true, true, true], "copied": true, "error": [true, "bad"]})
        );
        Ok(())
    }))
}
