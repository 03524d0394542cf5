// JSON Schema checks in the preload, so that a value that does not match its
// channel's schema is refused at the sender, with the same kind of message as the
// main process gives. The main process (the `jsonschema` crate) stays the authority:
// this covers the keywords that schemars emits and hand-written schemas commonly use
// (type, enum, const, properties, required, additionalProperties, items, prefixItems,
// min/maxItems, min/maxLength, pattern, minimum, maximum, exclusive bounds,
// multipleOf, anyOf, oneOf, allOf, not, $ref to #/$defs or #/definitions), and lets
// anything else through for the main process to judge.

/* exported voltaicSchemaChecker */

function voltaicSchemaChecker() {
  'use strict';
  const isArray = Array.isArray;
  const keysOf = Object.keys;
  const hasOwn = Object.prototype.hasOwnProperty;
  const apply = Reflect.apply;
  const stringify = JSON.stringify;
  const RegExpCtor = RegExp;
  const regExpTest = RegExp.prototype.test;
  const isInteger = Number.isInteger;

  function typeOf(value) {
    if (value === null) {
      return 'null';
    }
    if (isArray(value)) {
      return 'array';
    }
    return typeof value;
  }

  function hasType(value, type) {
    switch (type) {
      case 'integer':
        return typeof value === 'number' && isInteger(value);
      case 'number':
        return typeof value === 'number' && value === value && value !== Infinity && value !== -Infinity;
      case 'object':
        return typeOf(value) === 'object';
      default:
        return typeOf(value) === type;
    }
  }

  function equal(a, b) {
    if (a === b) {
      return true;
    }
    if (typeOf(a) !== typeOf(b) || typeof a !== 'object' || a === null) {
      return false;
    }
    const ka = keysOf(a);
    if (ka.length !== keysOf(b).length) {
      return false;
    }
    for (let i = 0; i < ka.length; i++) {
      if (!apply(hasOwn, b, [ka[i]]) || !equal(a[ka[i]], b[ka[i]])) {
        return false;
      }
    }
    return true;
  }

  // Values in error texts are cut short: they can be megabytes.
  function show(value) {
    let text;
    try {
      text = stringify(value);
    } catch (_) {
      text = typeof value;
    }
    text = String(text);
    return text.length > 80 ? text.slice(0, 77) + '...' : text;
  }

  function pointer(path) {
    return path === '' ? '(root)' : path;
  }

  function escape(key) {
    return String(key).split('~').join('~0').split('/').join('~1');
  }

  function resolve(root, ref) {
    const parts = ref.split('/');
    if (parts[0] !== '#') {
      return null;
    }
    let node = root;
    for (let i = 1; i < parts.length; i++) {
      const key = parts[i].split('~1').join('/').split('~0').join('~');
      if (node === null || typeof node !== 'object' || !apply(hasOwn, node, [key])) {
        return null;
      }
      node = node[key];
    }
    return node;
  }

  function length(text) {
    let count = 0;
    for (let i = 0; i < text.length; i++) {
      const code = text.charCodeAt(i);
      if (code < 0xd800 || code > 0xdbff) {
        count++;
      }
    }
    return count;
  }

  // Returns null when `value` matches, else [path, reason].
  function check(schema, value, path, root, depth) {
    if (schema === true || schema === undefined) {
      return null;
    }
    if (schema === false) {
      return [path, 'false schema does not allow ' + show(value)];
    }
    if (depth > 200) {
      return [path, 'schema nested too deeply'];
    }
    if (typeof schema.$ref === 'string') {
      const target = resolve(root, schema.$ref);
      if (target !== null) {
        const failure = check(target, value, path, root, depth + 1);
        if (failure !== null) {
          return failure;
        }
      }
    }
    if (schema.type !== undefined) {
      const types = isArray(schema.type) ? schema.type : [schema.type];
      let ok = false;
      for (let i = 0; i < types.length && !ok; i++) {
        ok = hasType(value, types[i]);
      }
      if (!ok) {
        return [path, show(value) + ' is not of type ' + types.map((t) => stringify(t)).join(', ')];
      }
    }
    if (schema.enum !== undefined && isArray(schema.enum)) {
      let found = false;
      for (let i = 0; i < schema.enum.length && !found; i++) {
        found = equal(schema.enum[i], value);
      }
      if (!found) {
        return [path, show(value) + ' is not one of ' + stringify(schema.enum)];
      }
    }
    if (apply(hasOwn, schema, ['const']) && !equal(schema.const, value)) {
      return [path, stringify(schema.const) + ' was expected'];
    }
    if (typeof value === 'number') {
      if (typeof schema.minimum === 'number' && value < schema.minimum) {
        return [path, value + ' is less than the minimum of ' + schema.minimum];
      }
      if (typeof schema.maximum === 'number' && value > schema.maximum) {
        return [path, value + ' is greater than the maximum of ' + schema.maximum];
      }
      if (typeof schema.exclusiveMinimum === 'number' && value <= schema.exclusiveMinimum) {
        return [path, value + ' is less than or equal to the minimum of ' + schema.exclusiveMinimum];
      }
      if (typeof schema.exclusiveMaximum === 'number' && value >= schema.exclusiveMaximum) {
        return [path, value + ' is greater than or equal to the maximum of ' + schema.exclusiveMaximum];
      }
      if (typeof schema.multipleOf === 'number' && !isInteger(value / schema.multipleOf)) {
        return [path, value + ' is not a multiple of ' + schema.multipleOf];
      }
    }
    if (typeof value === 'string') {
      if (typeof schema.minLength === 'number' && length(value) < schema.minLength) {
        return [path, stringify(value.slice(0, 64)) + ' is shorter than ' + schema.minLength + ' characters'];
      }
      if (typeof schema.maxLength === 'number' && length(value) > schema.maxLength) {
        return [path, 'the string is longer than ' + schema.maxLength + ' characters'];
      }
      if (typeof schema.pattern === 'string') {
        let matches = true;
        try {
          matches = apply(regExpTest, new RegExpCtor(schema.pattern, 'u'), [value]);
        } catch (_) {
          // A pattern JavaScript cannot compile is left to the main process.
        }
        if (!matches) {
          return [path, stringify(value.slice(0, 64)) + ' does not match ' + stringify(schema.pattern)];
        }
      }
    }
    if (isArray(value)) {
      if (typeof schema.minItems === 'number' && value.length < schema.minItems) {
        return [path, 'has ' + value.length + ' items, fewer than ' + schema.minItems];
      }
      if (typeof schema.maxItems === 'number' && value.length > schema.maxItems) {
        return [path, 'has ' + value.length + ' items, more than ' + schema.maxItems];
      }
      let first = 0;
      // Draft 2020-12 tuples are prefixItems; draft 7 tuples are an items array.
      const prefix = isArray(schema.prefixItems) ? schema.prefixItems : isArray(schema.items) ? schema.items : null;
      if (prefix !== null) {
        for (; first < prefix.length && first < value.length; first++) {
          const failure = check(prefix[first], value[first], path + '/' + first, root, depth + 1);
          if (failure !== null) {
            return failure;
          }
        }
      }
      const rest = isArray(schema.items) ? schema.additionalItems : schema.items;
      if (rest !== undefined) {
        for (let i = first; i < value.length; i++) {
          const failure = check(rest, value[i], path + '/' + i, root, depth + 1);
          if (failure !== null) {
            return failure;
          }
        }
      }
    }
    if (typeOf(value) === 'object') {
      const properties = schema.properties || {};
      if (isArray(schema.required)) {
        for (let i = 0; i < schema.required.length; i++) {
          if (!apply(hasOwn, value, [schema.required[i]])) {
            return [path, stringify(schema.required[i]) + ' is a required property'];
          }
        }
      }
      const keys = keysOf(value);
      for (let i = 0; i < keys.length; i++) {
        const key = keys[i];
        const where = path + '/' + escape(key);
        if (apply(hasOwn, properties, [key])) {
          const failure = check(properties[key], value[key], where, root, depth + 1);
          if (failure !== null) {
            return failure;
          }
        } else if (schema.additionalProperties !== undefined) {
          if (schema.additionalProperties === false) {
            return [path, 'additional property ' + stringify(key) + ' is not allowed'];
          }
          const failure = check(schema.additionalProperties, value[key], where, root, depth + 1);
          if (failure !== null) {
            return failure;
          }
        }
      }
    }
    if (isArray(schema.allOf)) {
      for (let i = 0; i < schema.allOf.length; i++) {
        const failure = check(schema.allOf[i], value, path, root, depth + 1);
        if (failure !== null) {
          return failure;
        }
      }
    }
    if (isArray(schema.anyOf)) {
      let matched = false;
      for (let i = 0; i < schema.anyOf.length && !matched; i++) {
        matched = check(schema.anyOf[i], value, path, root, depth + 1) === null;
      }
      if (!matched) {
        return [path, show(value) + ' is not valid under any of the schemas listed in the \'anyOf\' keyword'];
      }
    }
    if (isArray(schema.oneOf)) {
      let matches = 0;
      for (let i = 0; i < schema.oneOf.length; i++) {
        if (check(schema.oneOf[i], value, path, root, depth + 1) === null) {
          matches++;
        }
      }
      if (matches !== 1) {
        return [path, show(value) + (matches === 0 ? ' is not valid under any of the schemas listed in the \'oneOf\' keyword' : ' is valid under more than one of the schemas listed in the \'oneOf\' keyword')];
      }
    }
    if (schema.not !== undefined && check(schema.not, value, path, root, depth + 1) === null) {
      return [path, show(value) + ' should not be valid under ' + stringify(schema.not)];
    }
    return null;
  }

  /**
   * Checks `value` against `schema`; returns null when it matches, else the error
   * text `invalid <part> for channel '<channel>' at <path>: <reason>`.
   */
  return function validate(channel, part, schema, value) {
    const failure = check(schema, value, '', schema, 0);
    if (failure === null) {
      return null;
    }
    return 'invalid ' + part + " for channel '" + channel + "' at " + pointer(failure[0]) + ': ' + failure[1];
  };
}
