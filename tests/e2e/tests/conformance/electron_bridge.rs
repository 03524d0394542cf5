//! Electron's own contextBridge tests (`spec/api-context-bridge-spec.ts` in the
//! electron/electron repository), ported one `it` to one scenario. The preload is the
//! case's binding creator as written; the page runs its `callWithBindings` function
//! on `window` and the result must equal what the case expects (compared as JSON).
//! Where a case returns something JSON cannot show (an `Error`), the port returns
//! the facts the case's assertion checks, and says so. The README's conformance
//! table lists every case, with the scenario that ports it or why it does not apply.

use voltaic::WebPreferences;
use voltaic_e2e::{api_prefs, Driver, Harness};

use crate::api;

/// Opens a window whose preload runs `preload` and whose page checks that
/// `await (page)(window)` equals `expected` (a JavaScript expression).
fn ported(h: &Harness, preload: &str, page: &str, expected: &str) -> Result<Driver, String> {
    ported_with(h, api_prefs(), preload, page, expected)
}

fn ported_with(
    h: &Harness,
    prefs: WebPreferences,
    preload: &str,
    page: &str,
    expected: &str,
) -> Result<Driver, String> {
    api::in_page_with(
        h,
        prefs,
        preload,
        &format!(
            "const result = await ({page})(window);\n\
             const want = ({expected});\n\
             check(JSON.stringify(result) === JSON.stringify(want), \
               JSON.stringify(want) + ', got ' + JSON.stringify(result));"
        ),
    )
}

/// `port!(name, "it title", preload, page, expected)`: one ported case;
/// `port!(eval name, ...)` in a page whose CSP allows `'unsafe-eval'`.
macro_rules! port {
    ($name:ident, $title:literal, $preload:expr, $page:expr, $expected:expr) => {
        #[doc = concat!("Electron's \"", $title, "\".")]
        pub(crate) fn $name(h: &Harness) -> Result<Driver, String> {
            ported(h, $preload, $page, $expected)
        }
    };
    (eval $name:ident, $title:literal, $preload:expr, $page:expr, $expected:expr) => {
        #[doc = concat!("Electron's \"", $title, "\".")]
        pub(crate) fn $name(h: &Harness) -> Result<Driver, String> {
            ported_with(h, eval_prefs(), $preload, $page, $expected)
        }
    };
}

/// WebKit compiles `executeInMainWorld`'s function in the page's world, under the
/// page's Content-Security-Policy: these cases need one that allows eval.
fn eval_prefs() -> WebPreferences {
    WebPreferences {
        content_security_policy:
            "default-src 'self'; script-src 'self' 'unsafe-inline' 'unsafe-eval'".into(),
        ..api_prefs()
    }
}

port!(
    proxy_numbers,
    "should proxy numbers",
    "contextBridge.exposeInMainWorld('example', 123);",
    "(root) => root.example",
    "123"
);

port!(
    global_properties_are_read_only,
    "should make global properties read-only",
    "contextBridge.exposeInMainWorld('example', 123);",
    "(root) => { root.example = 456; return root.example; }",
    "123"
);

port!(
    proxy_nested_numbers,
    "should proxy nested numbers",
    "contextBridge.exposeInMainWorld('example', { myNumber: 123 });",
    "(root) => root.example.myNumber",
    "123"
);

port!(
    properties_are_unwriteable,
    "should make properties unwriteable",
    "contextBridge.exposeInMainWorld('example', { myNumber: 123 });",
    "(root) => { try { root.example.myNumber = 456; } catch {} return root.example.myNumber; }",
    "123"
);

port!(
    proxy_strings,
    "should proxy strings",
    "contextBridge.exposeInMainWorld('example', 'my-words');",
    "(root) => root.example",
    "'my-words'"
);

port!(
    proxy_nested_strings,
    "should proxy nested strings",
    "contextBridge.exposeInMainWorld('example', { myString: 'my-words' });",
    "(root) => root.example.myString",
    "'my-words'"
);

port!(
    proxy_arrays,
    "should proxy arrays",
    "contextBridge.exposeInMainWorld('example', [123, 'my-words']);",
    "(root) => [root.example, Array.isArray(root.example)]",
    "[[123, 'my-words'], true]"
);

port!(
    proxy_nested_arrays,
    "should proxy nested arrays",
    "contextBridge.exposeInMainWorld('example', { myArr: [123, 'my-words'] });",
    "(root) => root.example.myArr",
    "[123, 'my-words']"
);

port!(
    arrays_are_immutable,
    "should make arrays immutable",
    "contextBridge.exposeInMainWorld('example', [123, 'my-words']);",
    "(root) => { try { root.example.push(456); return false; } catch { return true; } }",
    "true"
);

port!(
    nested_arrays_are_immutable,
    "should make nested arrays immutable",
    "contextBridge.exposeInMainWorld('example', { myArr: [123, 'my-words'] });",
    "(root) => { try { root.example.myArr.push(456); return false; } catch { return true; } }",
    "true"
);

port!(
    proxy_booleans,
    "should proxy booleans",
    "contextBridge.exposeInMainWorld('example', true);",
    "(root) => root.example",
    "true"
);

port!(
    proxy_nested_booleans,
    "should proxy nested booleans",
    "contextBridge.exposeInMainWorld('example', { myBool: true });",
    "(root) => root.example.myBool",
    "true"
);

port!(
    proxy_promises_resolving,
    "should proxy promises and resolve with the correct value",
    "contextBridge.exposeInMainWorld('example', Promise.resolve('i-resolved'));",
    "(root) => root.example",
    "'i-resolved'"
);

port!(
    proxy_nested_promises_resolving,
    "should proxy nested promises and resolve with the correct value",
    "contextBridge.exposeInMainWorld('example', { myPromise: Promise.resolve('i-resolved') });",
    "(root) => root.example.myPromise",
    "'i-resolved'"
);

// The case returns the error; the port returns what its assertion checks of it.
port!(
    proxy_promises_rejecting,
    "should proxy promises and reject with the correct value",
    "contextBridge.exposeInMainWorld('example', Promise.reject(new Error('i-rejected')));",
    "async (root) => { try { await root.example; return null; } catch (err) { return [err instanceof Error, err.message]; } }",
    "[true, 'i-rejected']"
);

port!(
    proxy_nested_promises_rejecting,
    "should proxy nested promises and reject with the correct value",
    "contextBridge.exposeInMainWorld('example', { myPromise: Promise.reject(new Error('i-rejected')) });",
    "async (root) => { try { await root.example.myPromise; return null; } catch (err) { return [err instanceof Error, err.message]; } }",
    "[true, 'i-rejected']"
);

port!(
    proxy_promises_resolving_later,
    "should proxy promises and resolve with the correct value if it resolves later",
    "contextBridge.exposeInMainWorld('example', { myPromise: () => new Promise((resolve) => setTimeout(() => resolve('delayed'), 20)) });",
    "(root) => root.example.myPromise()",
    "'delayed'"
);

port!(
    proxy_nested_promises_correctly,
    "should proxy nested promises correctly",
    "contextBridge.exposeInMainWorld('example', { myPromise: () => new Promise((resolve) => setTimeout(() => resolve(Promise.resolve(123)), 20)) });",
    "(root) => root.example.myPromise()",
    "123"
);

port!(
    promises_ignore_an_overridden_function_prototype,
    "should proxy promises correctly when Function.prototype has been overridden in the main world",
    "contextBridge.exposeInMainWorld('example', { getPromise: () => Promise.resolve('proxied-ok') });",
    r#"(root) => new Promise((resolve) => {
         let observed = false;
         const original = Function.prototype.bind;
         Function.prototype.bind = new Proxy(original, { apply(target, thisArg, args) { observed = true; return Reflect.apply(target, thisArg, args); } });
         root.example.getPromise().then((v) => { Function.prototype.bind = original; resolve({ observed, value: v }); });
       })"#,
    "{ observed: false, value: 'proxied-ok' }"
);

port!(
    proxy_methods,
    "should proxy methods",
    "contextBridge.exposeInMainWorld('example', { getNumber: () => 123, getString: () => 'help', getBoolean: () => false, getPromise: async () => 'promise' });",
    "async (root) => [root.example.getNumber(), root.example.getString(), root.example.getBoolean(), await root.example.getPromise()]",
    "[123, 'help', false, 'promise']"
);

port!(
    proxy_functions,
    "should proxy functions",
    "contextBridge.exposeInMainWorld('example', () => 'return-value');",
    "async (root) => root.example()",
    "'return-value'"
);

port!(
    functions_are_not_double_proxied,
    "should not double-proxy functions when they are returned to their origin side of the bridge",
    "contextBridge.exposeInMainWorld('example', (fn) => fn);",
    "async (root) => { const fn = () => null; return root.example(fn) === fn; }",
    "true"
);

port!(
    function_arguments_proxied_once,
    "should proxy function arguments only once",
    "contextBridge.exposeInMainWorld('example', (a, b) => a === b);",
    "async (root) => { const obj = { foo: 1 }; return root.example(obj, obj); }",
    "true"
);

port!(
    errors_thrown_in_proxied_functions,
    "should properly handle errors thrown in proxied functions",
    "contextBridge.exposeInMainWorld('example', () => { throw new Error('oh no'); });",
    "async (root) => { try { root.example(); } catch (e) { return e.message; } }",
    "'oh no'"
);

port!(
    throwing_getter_in_an_array_argument,
    "should throw instead of crashing when an array argument has a throwing getter",
    "contextBridge.exposeInMainWorld('example', { echo: (arr) => arr.length });",
    r#"(root) => {
         const poisoned = [1, 2, 3];
         Object.defineProperty(poisoned, 0, { get() { throw new Error('boom'); }, enumerable: true, configurable: true });
         const nested = { a: [1, [2, 3]] };
         Object.defineProperty(nested.a[1], 1, { get() { throw new Error('nested boom'); }, enumerable: true, configurable: true });
         const getError = (fn) => { try { fn(); } catch (e) { return e.message; } return null; };
         return [getError(() => root.example.echo(poisoned)), getError(() => root.example.echo(nested)), root.example.echo([1, 2, 3])];
       }"#,
    "['boom', 'nested boom', 3]"
);

port!(
    throwing_getter_in_a_returned_array,
    "should throw instead of crashing when a returned array has a throwing getter",
    r#"contextBridge.exposeInMainWorld('example', {
         getPoisoned: () => {
           const poisoned = [1, 2, 3];
           Object.defineProperty(poisoned, 0, { get() { throw new Error('boom'); }, enumerable: true, configurable: true });
           return poisoned;
         }
       });"#,
    "(root) => { try { root.example.getPoisoned(); } catch (e) { return e.message; } return null; }",
    "'Uncaught Error: boom'"
);

port!(
    methods_callable_many_times,
    "should proxy methods that are callable multiple times",
    "contextBridge.exposeInMainWorld('example', { doThing: () => 123 });",
    "async (root) => [root.example.doThing(), root.example.doThing(), root.example.doThing()]",
    "[123, 123, 123]"
);

port!(
    methods_in_the_reverse_direction,
    "should proxy methods in the reverse direction",
    "contextBridge.exposeInMainWorld('example', { callWithNumber: (fn) => fn(123) });",
    "async (root) => root.example.callWithNumber((n) => n + 1)",
    "124"
);

port!(
    promises_in_the_reverse_direction,
    "should proxy promises in the reverse direction",
    "contextBridge.exposeInMainWorld('example', { getPromiseValue: (p) => p });",
    "(root) => root.example.getPromiseValue(Promise.resolve('my-proxied-value'))",
    "'my-proxied-value'"
);

port!(
    objects_with_number_keys,
    "should proxy objects with number keys",
    "contextBridge.exposeInMainWorld('example', { 1: 123, 2: 456, 3: 789 });",
    "async (root) => [root.example[1], root.example[2], root.example[3], Array.isArray(root.example)]",
    "[123, 456, 789, false]"
);

port!(
    own_proto_key_sent_does_not_mutate_the_prototype,
    "should not mutate the prototype when an object with an own __proto__ key is sent over the bridge",
    "contextBridge.exposeInMainWorld('example', { receive: (obj) => [Object.getPrototypeOf(obj) === Object.prototype, obj.polluted, Object.prototype.hasOwnProperty.call(obj, '__proto__'), obj.data] });",
    "(root) => root.example.receive(Object.defineProperty({ data: 1 }, '__proto__', { value: { polluted: true }, enumerable: true, writable: true, configurable: true }))",
    "[true, undefined, true, 1]"
);

port!(
    own_proto_key_exposed_does_not_mutate_the_prototype,
    "should not mutate the prototype when an object with an own __proto__ key is exposed",
    "contextBridge.exposeInMainWorld('example', Object.defineProperty({ data: 1 }, '__proto__', { value: { polluted: true }, enumerable: true, writable: true, configurable: true }));",
    "(root) => [Object.getPrototypeOf(root.example) === Object.prototype, root.example.polluted, Object.prototype.hasOwnProperty.call(root.example, '__proto__'), root.example.data]",
    "[true, undefined, true, 1]"
);

port!(
    proxy_null,
    "it should proxy null",
    "contextBridge.exposeInMainWorld('example', null);",
    "(root) => `${root.example}`",
    "'null'"
);

port!(
    proxy_undefined,
    "it should proxy undefined",
    "contextBridge.exposeInMainWorld('example', undefined);",
    "(root) => `${root.example}`",
    "'undefined'"
);

port!(
    proxy_nested_null_and_undefined,
    "it should proxy nested null and undefined correctly",
    "contextBridge.exposeInMainWorld('example', { values: [null, undefined] });",
    "(root) => root.example.values.map((val) => `${val}`)",
    "['null', 'undefined']"
);

port!(
    proxy_symbols,
    "should proxy symbols",
    "const mySymbol = Symbol('unique');\n\
     const isSymbol = (s) => s === mySymbol;\n\
     contextBridge.exposeInMainWorld('symbol', mySymbol);\n\
     contextBridge.exposeInMainWorld('isSymbol', isSymbol);",
    "(root) => root.isSymbol(root.symbol)",
    "true"
);

port!(
    symbol_equality_holds,
    "should proxy symbols such that symbol equality works",
    "const mySymbol = Symbol('unique');\n\
     contextBridge.exposeInMainWorld('example', { getSymbol: () => mySymbol, isSymbol: (s) => s === mySymbol });",
    "(root) => root.example.isSymbol(root.example.getSymbol())",
    "true"
);

port!(
    symbol_key_lookup_holds,
    "should proxy symbols such that symbol key lookup works",
    "const mySymbol = Symbol('unique');\n\
     contextBridge.exposeInMainWorld('example', { getSymbol: () => mySymbol, getObject: () => ({ [mySymbol]: 123 }) });",
    "(root) => root.example.getObject()[root.example.getSymbol()]",
    "123"
);

port!(
    proxy_typed_arrays,
    "should proxy typed arrays",
    "contextBridge.exposeInMainWorld('example', new Uint8Array(100));",
    "(root) => Object.getPrototypeOf(root.example) === Uint8Array.prototype",
    "true"
);

port!(
    proxy_regexps,
    "should proxy regexps",
    "contextBridge.exposeInMainWorld('example', /a/g);",
    "(root) => Object.getPrototypeOf(root.example) === RegExp.prototype",
    "true"
);

port!(
    typed_arrays_and_regexps_through_the_serializer,
    "should proxy typed arrays and regexps through the serializer",
    "contextBridge.exposeInMainWorld('example', { arr: new Uint8Array(100), regexp: /a/g });",
    "(root) => [Object.getPrototypeOf(root.example.arr) === Uint8Array.prototype, Object.getPrototypeOf(root.example.regexp) === RegExp.prototype]",
    "[true, true]"
);

port!(
    recursive_objects,
    "should handle recursive objects",
    "const o = { value: 135 };\n\
     o.o = o;\n\
     contextBridge.exposeInMainWorld('example', { o });",
    "(root) => [root.example.o.value, root.example.o.o.value, root.example.o.o.o.value]",
    "[135, 135, 135]"
);

port!(
    dom_elements,
    "should handle DOM elements",
    "contextBridge.exposeInMainWorld('example', { getElem: () => document.body });",
    "(root) => [root.example.getElem().tagName, root.example.getElem().constructor.name, typeof root.example.getElem().querySelector]",
    "['BODY', 'HTMLBodyElement', 'function']"
);

port!(
    dom_elements_going_backwards,
    "should handle DOM elements going backwards over the bridge",
    "contextBridge.exposeInMainWorld('example', { getElemInfo: (fn) => { const elem = fn(); return [elem.tagName, elem.constructor.name, typeof elem.querySelector]; } });",
    "(root) => root.example.getElemInfo(() => document.body)",
    "['BODY', 'HTMLBodyElement', 'function']"
);

port!(
    blobs,
    "should handle Blobs",
    "contextBridge.exposeInMainWorld('example', { getBlob: () => new Blob(['ab', 'cd']) });",
    "async (root) => [await root.example.getBlob().text()]",
    "['abcd']"
);

port!(
    blobs_going_backwards,
    "should handle Blobs going backwards over the bridge",
    "contextBridge.exposeInMainWorld('example', { getBlobText: async (fn) => { const blob = fn(); return [await blob.text()]; } });",
    "(root) => root.example.getBlobText(() => new Blob(['12', '45']))",
    "['1245']"
);

port!(
    exposed_things_cannot_be_overwritten,
    "it should not let you overwrite existing exposed things",
    "let threw = false;\n\
     contextBridge.exposeInMainWorld('example', { attempt: 1, getThrew: () => threw });\n\
     try { contextBridge.exposeInMainWorld('example', { attempt: 2, getThrew: () => threw }); } catch { threw = true; }",
    "(root) => [root.example.attempt, root.example.getThrew()]",
    "[1, true]"
);

port!(
    complex_nested_methods_and_promises,
    "should work with complex nested methods and promises",
    "contextBridge.exposeInMainWorld('example', { first: (second) => second((fourth) => fourth()) });",
    "(root) => root.example.first((third) => third(() => Promise.resolve('final value')))",
    "'final value'"
);

port!(
    complex_nested_methods_and_promises_on_the_global,
    "should work with complex nested methods and promises attached directly to the global",
    "contextBridge.exposeInMainWorld('example', (second) => second((fourth) => fourth()));",
    "(root) => root.example((third) => third(() => Promise.resolve('final value')))",
    "'final value'"
);

// The case makes two calls to callWithBindings; the port makes both in one page.
port!(
    recursion_depth_exceeded_throws,
    "should throw an error when recursion depth is exceeded",
    "contextBridge.exposeInMainWorld('example', { doThing: (a) => console.log(a) });",
    "(root) => [999, 1000].map((depth) => { try { let a = []; for (let i = 0; i < depth; i++) a = [a]; root.example.doThing(a); return false; } catch { return true; } })",
    "[false, true]"
);

port!(
    thrown_errors_copied_into_the_other_context,
    "should copy thrown errors into the other context",
    r#"contextBridge.exposeInMainWorld('example', {
         throwNormal: () => { throw new Error('whoops'); },
         throwWeird: () => { throw 'this is no error...'; },
         throwNotClonable: () => Object(Symbol('foo')),
         throwNotClonableNestedArray: () => [Object(Symbol('foo'))],
         throwNotClonableNestedObject: () => ({ bad: Object(Symbol('foo')) }),
         throwDynamic: () => ({ get bad() { throw new Error('damm'); } }),
         argumentConvert: () => {},
         rejectNotClonable: async () => { throw Object(Symbol('foo')); },
         resolveNotClonable: async () => Object(Symbol('foo')),
       });"#,
    r#"async (root) => {
         const getError = (fn) => { try { fn(); } catch (e) { return e; } return null; };
         const getAsyncError = async (fn) => { try { await fn(); } catch (e) { return e; } return null; };
         const isError = (e) => Object.getPrototypeOf(e) === Error.prototype;
         return [
           isError(getError(root.example.throwNormal)),
           isError(getError(root.example.throwWeird)),
           isError(getError(root.example.throwNotClonable)),
           isError(getError(root.example.throwNotClonableNestedArray)),
           isError(getError(root.example.throwNotClonableNestedObject)),
           isError(getError(root.example.throwDynamic)),
           isError(getError(() => root.example.argumentConvert(Object(Symbol('test'))))),
           isError(await getAsyncError(root.example.rejectNotClonable)),
           isError(await getAsyncError(root.example.resolveNotClonable)),
         ];
       }"#,
    "[true, true, true, true, true, true, true, true, true]"
);

/// The exposed API of Electron's two "should not leak prototypes" cases, less the
/// VideoFrame WebKitGTK does not have (see the README's table).
const LEAK_API: &str = r#"{
  number: 123,
  string: 'string',
  boolean: true,
  arr: [123, 'string', true, ['foo']],
  symbol: Symbol('foo'),
  bigInt: 10n,
  getObject: () => ({ thing: 123 }),
  getNumber: () => 123,
  getString: () => 'string',
  getBoolean: () => true,
  getArr: () => [123, 'string', true, ['foo']],
  getPromise: async () => ({ number: 123, string: 'string', boolean: true, fn: () => 'string', arr: [123, 'string', true, ['foo']] }),
  getFunctionFromFunction: async () => () => null,
  object: {
    number: 123,
    string: 'string',
    boolean: true,
    arr: [123, 'string', true, ['foo']],
    getPromise: async () => ({ number: 123, string: 'string', boolean: true, fn: () => 'string', arr: [123, 'string', true, ['foo']] }),
  },
  receiveArguments: (fn) => fn({ key: 'value' }),
  symbolKeyed: { [Symbol('foo')]: 123 },
  getBody: () => document.body,
  getBlob: () => new Blob(['ab', 'cd']),
}"#;

/// The checks of both cases: every value the page gets has the page's prototype.
const LEAK_CHECKS: &str = r#"async (root) => {
  const { example } = root;
  let arg;
  example.receiveArguments((o) => { arg = o; });
  const protoChecks = [
    ...Object.keys(example).map((key) => [key, String]),
    ...Object.getOwnPropertySymbols(example.symbolKeyed).map((key) => [key, Symbol]),
    [example, Object], [example.number, Number], [example.string, String], [example.boolean, Boolean],
    [example.arr, Array], [example.arr[0], Number], [example.arr[1], String], [example.arr[2], Boolean],
    [example.arr[3], Array], [example.arr[3][0], String], [example.symbol, Symbol], [example.bigInt, BigInt],
    [example.getNumber, Function], [example.getNumber(), Number], [example.getObject(), Object],
    [example.getString(), String], [example.getBoolean(), Boolean], [example.getArr(), Array],
    [example.getArr()[0], Number], [example.getArr()[1], String], [example.getArr()[2], Boolean],
    [example.getArr()[3], Array], [example.getArr()[3][0], String],
    [example.getFunctionFromFunction, Function], [example.getFunctionFromFunction(), Promise],
    [await example.getFunctionFromFunction(), Function], [example.getPromise(), Promise],
    [await example.getPromise(), Object], [(await example.getPromise()).number, Number],
    [(await example.getPromise()).string, String], [(await example.getPromise()).boolean, Boolean],
    [(await example.getPromise()).fn, Function], [(await example.getPromise()).fn(), String],
    [(await example.getPromise()).arr, Array], [(await example.getPromise()).arr[0], Number],
    [(await example.getPromise()).arr[1], String], [(await example.getPromise()).arr[2], Boolean],
    [(await example.getPromise()).arr[3], Array], [(await example.getPromise()).arr[3][0], String],
    [example.object, Object], [example.object.number, Number], [example.object.string, String],
    [example.object.boolean, Boolean], [example.object.arr, Array], [example.object.arr[0], Number],
    [example.object.arr[1], String], [example.object.arr[2], Boolean], [example.object.arr[3], Array],
    [example.object.arr[3][0], String], [await example.object.getPromise(), Object],
    [(await example.object.getPromise()).number, Number], [(await example.object.getPromise()).string, String],
    [(await example.object.getPromise()).boolean, Boolean], [(await example.object.getPromise()).fn, Function],
    [(await example.object.getPromise()).fn(), String], [(await example.object.getPromise()).arr, Array],
    [(await example.object.getPromise()).arr[0], Number], [(await example.object.getPromise()).arr[1], String],
    [(await example.object.getPromise()).arr[2], Boolean], [(await example.object.getPromise()).arr[3], Array],
    [(await example.object.getPromise()).arr[3][0], String],
    [arg, Object], [arg.key, String], [example.getBody(), HTMLBodyElement], [example.getBlob(), Blob],
  ];
  // The indices that fail, so that a failure says which value leaked.
  return protoChecks.flatMap(([a, Constructor], i) => (Object.getPrototypeOf(a) === Constructor.prototype ? [] : [i]));
}"#;

/// `text` with `from` replaced by `to`; an error if `from` is not in it, so that the
/// variants below cannot drift from the case they derive from.
fn swap(text: &str, from: &str, to: &str) -> Result<String, String> {
    if text.contains(from) {
        Ok(text.replace(from, to))
    } else {
        Err(format!("the ported case no longer contains {from:?}"))
    }
}

/// Electron's "should not leak prototypes".
pub(crate) fn prototypes_do_not_leak(h: &Harness) -> Result<Driver, String> {
    ported(
        h,
        &format!("contextBridge.exposeInMainWorld('example', {LEAK_API});"),
        LEAK_CHECKS,
        "[]",
    )
}

/// Electron's "should not leak prototypes when attaching directly to the global":
/// each key exposed on its own, without the DOM node and Blob, with two errors.
pub(crate) fn prototypes_do_not_leak_on_the_global(h: &Harness) -> Result<Driver, String> {
    let api = swap(
        LEAK_API,
        "  getBody: () => document.body,\n  getBlob: () => new Blob(['ab', 'cd']),\n",
        "",
    )?;
    let api = swap(
        &api,
        "  getFunctionFromFunction: async () => () => null,\n",
            "  getFunctionFromFunction: async () => () => null,\n  getError: () => new Error('foo'),\n  \
             getWeirdError: () => { const e = new Error('foo'); e.message = { garbage: true }; return e; },\n",
    )?;
    let checks = swap(
        LEAK_CHECKS,
        "const { example } = root;",
            "const { keys } = root;\n  const example = {};\n  \
             for (const [key, value] of Object.entries(root)) if (keys.includes(key)) example[key] = value;",
    )?;
    let checks = swap(
        &checks,
        "[example.getBody(), HTMLBodyElement], [example.getBlob(), Blob],",
        "[example.getError(), Error], [example.getError().message, String], \
             [example.getWeirdError(), Error], [example.getWeirdError().message, String],",
    )?;
    ported(
        h,
        &format!(
            "const toExpose = {api};\n\
             const keys = [];\n\
             for (const [key, value] of Object.entries(toExpose)) {{ keys.push(key); contextBridge.exposeInMainWorld(key, value); }}\n\
             contextBridge.exposeInMainWorld('keys', keys);"
        ),
        &checks,
        "[]",
    )
}

// executeInMainWorld. Electron's cases read their results with executeJavaScript in
// the page or preload world; the ports hand them to the page through the bridge.

/// Not Electron's: under a CSP without `'unsafe-eval'` (Voltaic's default),
/// `executeInMainWorld` throws, saying why, and runs nothing.
pub(crate) fn execute_in_main_world_under_a_strict_csp_says_why(
    h: &Harness,
) -> Result<Driver, String> {
    ported(
        h,
        "let message = 'no error';\n\
         try { contextBridge.executeInMainWorld({ func: () => { globalThis.ran = true; } }); } catch (e) { message = e.message; }\n\
         contextBridge.exposeInMainWorld('example', { message: () => message });",
        "(root) => [root.example.message(), globalThis.ran === undefined]",
        "[\"contextBridge.executeInMainWorld: the page's Content-Security-Policy does not allow 'unsafe-eval', \
          and WebKit compiles the function in the page's world under it\", true]",
    )
}

port!(
    eval execute_in_main_world_serializes_the_function_and_proxies_args,
    "executeInMainWorld serializes function and proxies args",
    r#"const values = [undefined, null, 123, 'string', true, [123, 'string', true, ['foo']], () => 'string', Symbol('foo')];
       function appendArg(arg) { globalThis.args = globalThis.args || []; globalThis.args.push(arg); }
       for (const value of values) {
         try { contextBridge.executeInMainWorld({ func: appendArg, args: [value] }); }
         catch { contextBridge.executeInMainWorld({ func: appendArg, args: ['FAIL'] }); }
       }"#,
    "() => globalThis.args.map((arg) => (['function', 'symbol'].includes(typeof arg) ? typeof arg : arg))",
    "[undefined, null, 123, 'string', true, [123, 'string', true, ['foo']], 'function', 'symbol']"
);

port!(
    eval execute_in_main_world_function_args_can_be_invoked,
    "executeInMainWorld allows function args to be invoked",
    r#"const uuid = crypto.randomUUID();
       let received = null;
       const done = (receivedUuid) => { received = receivedUuid === uuid; };
       contextBridge.executeInMainWorld({ func: (callback, innerUuid) => { callback(innerUuid); }, args: [done, uuid] });
       contextBridge.exposeInMainWorld('example', { received: () => received });"#,
    "(root) => root.example.received()",
    "true"
);

port!(
    eval execute_in_main_world_proxies_arguments_once,
    "executeInMainWorld proxies arguments only once",
    "const obj = {};\n\
     const result = contextBridge.executeInMainWorld({ func: (a, b) => a === b, args: [obj, obj] });\n\
     contextBridge.exposeInMainWorld('example', { result: () => result });",
    "(root) => root.example.result()",
    "true"
);

port!(
    eval execute_in_main_world_safely_clones_returned_objects,
    "executeInMainWorld safely clones returned objects",
    "const obj = contextBridge.executeInMainWorld({ func: () => ({}) });\n\
     const safe = obj.constructor === Object;\n\
     contextBridge.exposeInMainWorld('example', { safe: () => safe });",
    "(root) => root.example.safe()",
    "true"
);

port!(
    eval execute_in_main_world_uses_the_intrinsic_to_string,
    "executeInMainWorld uses internal Function.prototype.toString",
    "const funcHack = () => { globalThis.hacked = 'nope'; };\n\
     funcHack.toString = () => \"() => { globalThis.hacked = 'gotem'; }\";\n\
     contextBridge.executeInMainWorld({ func: funcHack });",
    "() => globalThis.hacked",
    "'nope'"
);

port!(
    video_frames,
    "should handle VideoFrames",
    r#"contextBridge.exposeInMainWorld('example', {
         getVideoFrame: () => {
           const canvas = new OffscreenCanvas(16, 16);
           canvas.getContext('2d').fillRect(0, 0, 16, 16);
           return new VideoFrame(canvas, { timestamp: 0 });
         }
       });"#,
    "(root) => { const frame = root.example.getVideoFrame(); const info = [frame.constructor.name, frame.codedWidth, frame.codedHeight, frame.timestamp]; frame.close(); return info; }",
    "['VideoFrame', 16, 16, 0]"
);

port!(
    video_frames_going_backwards,
    "should handle VideoFrames going backwards over the bridge",
    r#"contextBridge.exposeInMainWorld('example', {
         getVideoFrameInfo: (fn) => { const frame = fn(); const info = [frame.constructor.name, frame.codedWidth, frame.codedHeight, frame.timestamp]; frame.close(); return info; }
       });"#,
    r#"(root) => root.example.getVideoFrameInfo(() => {
         const canvas = new OffscreenCanvas(32, 32);
         canvas.getContext('2d').fillRect(0, 0, 32, 32);
         return new VideoFrame(canvas, { timestamp: 100 });
       })"#,
    "['VideoFrame', 32, 32, 100]"
);

/// The `context-bridge-mutability` fixture app of Electron's two
/// "ContextBridgeMutability" cases: its preload, and its page's mutations (each
/// tried, the first refusal ending the attempt, as the fixture's `try` does).
fn context_bridge_mutability(h: &Harness, mutable: bool, expected: &str) -> Result<Driver, String> {
    ported_with(
        h,
        WebPreferences {
            context_bridge_mutability: mutable,
            ..api_prefs()
        },
        "contextBridge.exposeInMainWorld('str', 'some-text');\n\
         contextBridge.exposeInMainWorld('obj', { prop: 'obj-prop' });\n\
         contextBridge.exposeInMainWorld('arr', [1, 2, 3, 4]);",
        "(root) => {\n\
           try {\n\
             root.str = 'some-modified-text';\n\
             root.obj.prop = 'obj-modified-prop';\n\
             root.arr.splice(2, 0, 5);\n\
           } catch (e) { }\n\
           return [root.str, root.obj.prop, String(root.arr)];\n\
         }",
        expected,
    )
}

/// Electron's "should not make properties unwriteable and read-only if
/// ContextBridgeMutability is on" (`WebPreferences::context_bridge_mutability`).
pub(crate) fn context_bridge_mutability_on(h: &Harness) -> Result<Driver, String> {
    context_bridge_mutability(
        h,
        true,
        "['some-modified-text', 'obj-modified-prop', '1,2,5,3,4']",
    )
}

/// Electron's "should make properties unwriteable and read-only if
/// ContextBridgeMutability is off".
pub(crate) fn context_bridge_mutability_off(h: &Harness) -> Result<Driver, String> {
    context_bridge_mutability(h, false, "['some-text', 'obj-prop', '1,2,3,4']")
}

/// Electron's isolated-world cases: the case's binding creator exposes into world
/// 1004 (which the window names, see `WebPreferences::isolated_worlds`), and its
/// `callWithBindings(fn, 1004)` runs `fn(window)` in that world, here through
/// `webFrame.executeJavaScriptInIsolatedWorld`, which the preload hands the page.
/// The port also checks that the page's own world did not get the API.
fn in_isolated_world(
    h: &Harness,
    binding: &str,
    call: &str,
    expected: &str,
) -> Result<Driver, String> {
    ported_with(
        h,
        WebPreferences {
            isolated_worlds: vec![1004],
            ..api_prefs()
        },
        &format!(
            "{binding}\n\
             contextBridge.exposeInMainWorld('isolated', {{\n\
               call: (fn) => require('electron').webFrame.executeJavaScriptInIsolatedWorld(1004, [{{ code: '(' + fn + ')(window)' }}]),\n\
             }});"
        ),
        &format!("async (root) => [await root.isolated.call({call:?}), root.example === undefined]"),
        &format!("[{expected}, true]"),
    )
}

/// Electron's "should proxy numbers when exposed in isolated world". Before it, a
/// window naming the page's world (0) or the preload's (999) is refused.
pub(crate) fn proxy_numbers_in_an_isolated_world(h: &Harness) -> Result<Driver, String> {
    for world in [0, 999] {
        let prefs = WebPreferences {
            isolated_worlds: vec![world],
            ..api_prefs()
        };
        match h.window_with("refused", prefs, "<!DOCTYPE html>") {
            Err(error) if error.contains(&format!("isolated world {world} cannot be used")) => {}
            other => return Err(format!("world {world} was not refused: {other:?}")),
        }
    }
    in_isolated_world(
        h,
        "contextBridge.exposeInIsolatedWorld(1004, 'example', 123);",
        "(root) => root.example",
        "123",
    )
}

/// Electron's "should proxy nested strings when exposed in isolated world".
pub(crate) fn proxy_nested_strings_in_an_isolated_world(h: &Harness) -> Result<Driver, String> {
    in_isolated_world(
        h,
        "contextBridge.exposeInIsolatedWorld(1004, 'example', { myString: 'my-words' });",
        "(root) => root.example.myString",
        "'my-words'",
    )
}
