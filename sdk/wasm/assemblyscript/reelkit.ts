// reelkit host functions for AssemblyScript plugins (host API 1.x), beside the official
// Extism PDK (@extism/as-pdk) for input and output. Copy this file into your plugin's
// assembly/ folder (`reelkit plugins new NAME --lang assemblyscript` does it).
//
// Host functions fail closed: a denied grant or a host-side error stops the guest and the call
// reports that error, so these wrappers only return when the host succeeded.
import { Memory } from "@extism/as-pdk";

@external("reelkit:host/v1", "log") declare function _log(level: i32, message: u64): void;
@external("reelkit:host/v1", "config_get") declare function _config_get(key: u64): u64;
@external("reelkit:host/v1", "kv_get") declare function _kv_get(key: u64): u64;
@external("reelkit:host/v1", "kv_set") declare function _kv_set(key: u64, value: u64): void;
@external("reelkit:host/v1", "kv_delete") declare function _kv_delete(key: u64): void;
@external("reelkit:host/v1", "invoke") declare function _invoke(command: u64, payload: u64): u64;
@external("reelkit:host/v1", "emit") declare function _emit(topic: u64, data: u64): void;
@external("reelkit:host/v1", "http_request") declare function _http_request(request: u64): u64;
@external("extism:host/env", "length") declare function _length(offset: u64): u64;
@external("extism:host/env", "error_set") declare function _error_set(offset: u64): void;

export const TRACE: i32 = 0;
export const DEBUG: i32 = 1;
export const INFO: i32 = 2;
export const WARN: i32 = 3;
export const ERROR: i32 = 4;

function block(s: string): u64 {
  return Memory.allocateString(s).offset;
}

function read(offset: u64): string | null {
  if (offset == 0) return null;
  const m = new Memory(offset, _length(offset));
  const s = m.toString();
  m.free();
  return s;
}

export function log(level: i32, message: string): void { _log(level, block(message)); }
/** The plugin's configuration value (or a granted kernel setting 'section.key'); null if absent. */
export function configGet(key: string): string | null { return read(_config_get(block(key))); }
export function kvGet(key: string): string | null { return read(_kv_get(block(key))); }
export function kvSet(key: string, value: string): void { _kv_set(block(key), block(value)); }
export function kvDelete(key: string): void { _kv_delete(block(key)); }
/** Invoke a kernel command granted in plugin.json; returns the result as JSON text. */
export function invoke(command: string, payloadJson: string): string {
  const out = read(_invoke(block(command), block(payloadJson)));
  return out == null ? "null" : out!;
}
/** Publish an event; the topic must be under "<plugin-id>." unless granted. */
export function emit(topic: string, dataJson: string): void { _emit(block(topic), block(dataJson)); }
/** {"method","url","headers","body"} -> {"status","headers","body","url"}, done by the host. */
export function httpRequest(requestJson: string): string {
  const out = read(_http_request(block(requestJson)));
  return out == null ? "null" : out!;
}
/** Report an error for this call: `return reelkit.fail("...")` from an export. */
export function fail(message: string): i32 { _error_set(block(message)); return 1; }

// -- minimal JSON helpers (enough for flat objects; use a JSON library for more) -------------

/** A JSON string literal for s. */
export function jsonString(s: string): string {
  let out = '"';
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c == 0x22) out += '\\"';
    else if (c == 0x5c) out += "\\\\";
    else if (c == 0x0a) out += "\\n";
    else if (c == 0x0d) out += "\\r";
    else if (c == 0x09) out += "\\t";
    else if (c < 0x20) out += "\\u" + c.toString(16).padStart(4, "0");
    else out += String.fromCharCode(c);
  }
  return out + '"';
}

/** The string value of top-level member `key` of a flat JSON object, or null. */
export function jsonGetString(json: string, key: string): string | null {
  const needle = jsonString(key);
  let i = json.indexOf(needle);
  while (i >= 0) {
    let j = i + needle.length;
    while (j < json.length && (json.charCodeAt(j) == 0x20 || json.charCodeAt(j) == 0x0a)) j++;
    if (j < json.length && json.charCodeAt(j) == 0x3a) {
      j++;
      while (j < json.length && (json.charCodeAt(j) == 0x20 || json.charCodeAt(j) == 0x0a)) j++;
      if (j >= json.length || json.charCodeAt(j) != 0x22) return null;
      let out = "";
      for (j++; j < json.length; j++) {
        const c = json.charCodeAt(j);
        if (c == 0x22) return out;
        if (c == 0x5c && j + 1 < json.length) {
          j++;
          const e = json.charCodeAt(j);
          if (e == 0x6e) out += "\n";
          else if (e == 0x74) out += "\t";
          else if (e == 0x72) out += "\r";
          else if (e == 0x75 && j + 4 < json.length) {
            out += String.fromCharCode(I32.parseInt(json.substring(j + 1, j + 5), 16));
            j += 4;
          } else out += String.fromCharCode(e);
        } else out += String.fromCharCode(c);
      }
      return null;
    }
    i = json.indexOf(needle, i + 1);
  }
  return null;
}
