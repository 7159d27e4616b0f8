/*
 * reelkit.h — write reelkit WASM plugins in C (or Zig) with no SDK download.
 *
 * One header: the Extism kernel imports, reelkit's host functions (import module
 * "reelkit:host/v1", host API 1.x), input/output, a per-call arena allocator, a JSON writer
 * and a small JSON reader. Build (freestanding, no libc):
 *
 *     python -m ziglang cc --target=wasm32-freestanding -O2 -nostdlib \
 *         -Wl,--no-entry -Wl,--export-dynamic -I sdk/wasm/c plugin.c -o plugin.wasm
 *
 * (`reelkit plugins build` runs exactly this.) An export looks like:
 *
 *     RK_EXPORT("shout") int32_t shout(void) {
 *         rk_str in = rk_input();                       // the command input (JSON)
 *         rk_str text = rk_json_get(in, "text");        // raw JSON value of "text"
 *         ...
 *         rk_output(out);  return 0;                    // or: return rk_fail("message");
 *     }
 *
 * Host functions fail closed: a denied grant or a host-side error stops the guest and the
 * call reports that error; the wrappers below only return when the host succeeded.
 */
#ifndef REELKIT_H
#define REELKIT_H

#include <stdint.h>
#include <stddef.h>

#define RK_IMPORT(mod, name) __attribute__((import_module(mod), import_name(name)))
#define RK_EXPORT(name) __attribute__((export_name(name)))
#define RK_API static inline __attribute__((unused))

typedef uint64_t rk_block; /* an offset in Extism memory; 0 = none */

/* ---- Extism kernel (extism:host/env) ----------------------------------------------------- */
RK_IMPORT("extism:host/env", "input_length") uint64_t extism_input_length(void);
RK_IMPORT("extism:host/env", "input_load_u8") uint8_t extism_input_load_u8(uint64_t);
RK_IMPORT("extism:host/env", "input_load_u64") uint64_t extism_input_load_u64(uint64_t);
RK_IMPORT("extism:host/env", "alloc") rk_block extism_alloc(uint64_t);
RK_IMPORT("extism:host/env", "free") void extism_free(rk_block);
RK_IMPORT("extism:host/env", "length") uint64_t extism_length(rk_block);
RK_IMPORT("extism:host/env", "load_u8") uint8_t extism_load_u8(rk_block);
RK_IMPORT("extism:host/env", "load_u64") uint64_t extism_load_u64(rk_block);
RK_IMPORT("extism:host/env", "store_u8") void extism_store_u8(rk_block, uint8_t);
RK_IMPORT("extism:host/env", "store_u64") void extism_store_u64(rk_block, uint64_t);
RK_IMPORT("extism:host/env", "output_set") void extism_output_set(rk_block, uint64_t);
RK_IMPORT("extism:host/env", "error_set") void extism_error_set(rk_block);

/* ---- reelkit host functions (reelkit:host/v1) ---------------------------------------------- */
RK_IMPORT("reelkit:host/v1", "log") void reelkit_log(int32_t level, rk_block msg);
RK_IMPORT("reelkit:host/v1", "config_get") rk_block reelkit_config_get(rk_block key);
RK_IMPORT("reelkit:host/v1", "kv_get") rk_block reelkit_kv_get(rk_block key);
RK_IMPORT("reelkit:host/v1", "kv_set") void reelkit_kv_set(rk_block key, rk_block value);
RK_IMPORT("reelkit:host/v1", "kv_delete") void reelkit_kv_delete(rk_block key);
RK_IMPORT("reelkit:host/v1", "invoke") rk_block reelkit_invoke(rk_block command, rk_block payload_json);
RK_IMPORT("reelkit:host/v1", "emit") void reelkit_emit(rk_block topic, rk_block data_json);
RK_IMPORT("reelkit:host/v1", "http_request") rk_block reelkit_http_request(rk_block request_json);

/* ---- memory: a bump arena, reset at each rk_input() ------------------------------------- */
extern unsigned char __heap_base;
static uintptr_t rk__top = 0;

__attribute__((weak)) void *memcpy(void *d, const void *s, size_t n) {
    unsigned char *a = d; const unsigned char *b = s; while (n--) *a++ = *b++; return d;
}
__attribute__((weak)) void *memset(void *d, int c, size_t n) {
    unsigned char *a = d; while (n--) *a++ = (unsigned char)c; return d;
}
__attribute__((weak)) void *memmove(void *d, const void *s, size_t n) {
    unsigned char *a = d; const unsigned char *b = s;
    if (a < b) { while (n--) *a++ = *b++; } else { a += n; b += n; while (n--) *--a = *--b; }
    return d;
}

RK_API void *rk_alloc(size_t n) {
    if (!rk__top) rk__top = (uintptr_t)&__heap_base;
    uintptr_t p = (rk__top + 7) & ~(uintptr_t)7;
    uintptr_t end = p + n;
    uintptr_t have = __builtin_wasm_memory_size(0) * 65536;
    if (end > have) {
        size_t pages = (end - have + 65535) / 65536;
        if (__builtin_wasm_memory_grow(0, pages) == (size_t)-1) __builtin_trap(); /* limit hit */
    }
    rk__top = end;
    return (void *)p;
}

typedef struct { const char *ptr; size_t len; } rk_str;

RK_API rk_str rk_s(const char *z) { size_t n = 0; while (z[n]) n++; rk_str s = {z, n}; return s; }
RK_API int rk_eq(rk_str a, const char *z) {
    size_t i = 0; for (; i < a.len; i++) if (z[i] != a.ptr[i]) return 0; return z[i] == 0;
}

/* ---- blocks <-> guest memory ------------------------------------------------------------ */
RK_API rk_block rk_block_from(rk_str s) {
    rk_block b = extism_alloc(s.len);
    size_t i = 0;
    for (; i + 8 <= s.len; i += 8) { uint64_t w; memcpy(&w, s.ptr + i, 8); extism_store_u64(b + i, w); }
    for (; i < s.len; i++) extism_store_u8(b + i, (uint8_t)s.ptr[i]);
    return b;
}
RK_API rk_str rk_block_read(rk_block b) {
    rk_str s = {0, 0};
    if (!b) return s;
    size_t n = (size_t)extism_length(b);
    char *p = rk_alloc(n + 1);
    size_t i = 0;
    for (; i + 8 <= n; i += 8) { uint64_t w = extism_load_u64(b + i); memcpy(p + i, &w, 8); }
    for (; i < n; i++) p[i] = (char)extism_load_u8(b + i);
    p[n] = 0; s.ptr = p; s.len = n;
    extism_free(b);
    return s;
}

/* ---- input / output / errors --------------------------------------------------------- */
RK_API rk_str rk_input(void) {
    rk__top = 0; /* a new call: reuse the arena */
    size_t n = (size_t)extism_input_length();
    char *p = rk_alloc(n + 1);
    size_t i = 0;
    for (; i + 8 <= n; i += 8) { uint64_t w = extism_input_load_u64(i); memcpy(p + i, &w, 8); }
    for (; i < n; i++) p[i] = (char)extism_input_load_u8(i);
    p[n] = 0;
    rk_str s = {p, n}; return s;
}
RK_API void rk_output(rk_str s) { extism_output_set(rk_block_from(s), s.len); }
/* Report an error for this call; return its result from the export: `return rk_fail("...")`. */
RK_API int32_t rk_fail(const char *message) { extism_error_set(rk_block_from(rk_s(message))); return 1; }

/* ---- host function wrappers ----------------------------------------------------------- */
enum { RK_TRACE = 0, RK_DEBUG = 1, RK_INFO = 2, RK_WARN = 3, RK_ERROR = 4 };
RK_API void rk_log(int32_t level, const char *msg) { reelkit_log(level, rk_block_from(rk_s(msg))); }
/* Returns {0,0} when the key is absent. */
RK_API rk_str rk_config_get(const char *key) { return rk_block_read(reelkit_config_get(rk_block_from(rk_s(key)))); }
RK_API rk_str rk_kv_get(const char *key) { return rk_block_read(reelkit_kv_get(rk_block_from(rk_s(key)))); }
RK_API void rk_kv_set(const char *key, rk_str value) { reelkit_kv_set(rk_block_from(rk_s(key)), rk_block_from(value)); }
RK_API void rk_kv_delete(const char *key) { reelkit_kv_delete(rk_block_from(rk_s(key))); }
/* Invoke a kernel command (checked against the manifest's permissions.commands); result JSON. */
RK_API rk_str rk_invoke(const char *command, rk_str payload_json) {
    return rk_block_read(reelkit_invoke(rk_block_from(rk_s(command)), rk_block_from(payload_json)));
}
/* Publish an event (topic under "<plugin-id>." unless granted); data is a JSON object. */
RK_API void rk_emit(const char *topic, rk_str data_json) {
    reelkit_emit(rk_block_from(rk_s(topic)), rk_block_from(data_json));
}
/* {"method","url","headers","body"} -> {"status","headers","body","url"}; done by the host. */
RK_API rk_str rk_http_request(rk_str request_json) { return rk_block_read(reelkit_http_request(rk_block_from(request_json))); }

/* ---- JSON writer ---------------------------------------------------------------------- */
typedef struct { char *ptr; size_t len, cap; } rk_buf;

RK_API void rk_buf_put(rk_buf *b, const char *p, size_t n) {
    if (b->len + n > b->cap) {
        size_t cap = b->cap ? b->cap * 2 : 256;
        while (cap < b->len + n) cap *= 2;
        char *np = rk_alloc(cap);
        if (b->len) memcpy(np, b->ptr, b->len);
        b->ptr = np; b->cap = cap;
    }
    memcpy(b->ptr + b->len, p, n); b->len += n;
}
RK_API void rk_buf_cat(rk_buf *b, const char *z) { rk_str s = rk_s(z); rk_buf_put(b, s.ptr, s.len); }
RK_API void rk_buf_int(rk_buf *b, int64_t v) {
    char t[24]; int n = 0; uint64_t u = v < 0 ? (uint64_t)(-(v + 1)) + 1 : (uint64_t)v;
    do { t[n++] = (char)('0' + u % 10); u /= 10; } while (u);
    if (v < 0) t[n++] = '-';
    while (n) { char c = t[--n]; rk_buf_put(b, &c, 1); }
}
/* Appends s as a quoted, escaped JSON string. */
RK_API void rk_buf_json_str(rk_buf *b, rk_str s) {
    static const char hex[] = "0123456789abcdef";
    rk_buf_put(b, "\"", 1);
    for (size_t i = 0; i < s.len; i++) {
        unsigned char c = (unsigned char)s.ptr[i];
        if (c == '"' || c == '\\') { char e[2] = {'\\', (char)c}; rk_buf_put(b, e, 2); }
        else if (c == '\n') rk_buf_put(b, "\\n", 2);
        else if (c == '\r') rk_buf_put(b, "\\r", 2);
        else if (c == '\t') rk_buf_put(b, "\\t", 2);
        else if (c < 0x20) { char e[6] = {'\\', 'u', '0', '0', hex[c >> 4], hex[c & 15]}; rk_buf_put(b, e, 6); }
        else rk_buf_put(b, (const char *)&c, 1);
    }
    rk_buf_put(b, "\"", 1);
}
RK_API rk_str rk_buf_str(rk_buf *b) { rk_str s = {b->ptr, b->len}; return s; }

/* ---- JSON reader: raw value spans, no allocation except for decoded strings ----------- */
RK_API size_t rk__ws(rk_str s, size_t i) {
    while (i < s.len && (s.ptr[i] == ' ' || s.ptr[i] == '\n' || s.ptr[i] == '\r' || s.ptr[i] == '\t')) i++;
    return i;
}
/* End index (exclusive) of the JSON value starting at i. */
RK_API size_t rk__skip(rk_str s, size_t i) {
    i = rk__ws(s, i);
    if (i >= s.len) return i;
    char c = s.ptr[i];
    if (c == '"') {
        for (i++; i < s.len; i++) { if (s.ptr[i] == '\\') i++; else if (s.ptr[i] == '"') return i + 1; }
        return s.len;
    }
    if (c == '{' || c == '[') {
        int depth = 0;
        for (; i < s.len; i++) {
            char d = s.ptr[i];
            if (d == '"') { i = rk__skip(s, i) - 1; continue; }
            if (d == '{' || d == '[') depth++;
            else if (d == '}' || d == ']') { if (--depth == 0) return i + 1; }
        }
        return s.len;
    }
    while (i < s.len && s.ptr[i] != ',' && s.ptr[i] != '}' && s.ptr[i] != ']' &&
           s.ptr[i] != ' ' && s.ptr[i] != '\n' && s.ptr[i] != '\r' && s.ptr[i] != '\t') i++;
    return i;
}
/* Raw JSON text of member `key` of object `obj`; {0,0} if absent. */
RK_API rk_str rk_json_get(rk_str obj, const char *key) {
    rk_str none = {0, 0};
    size_t i = rk__ws(obj, 0);
    if (i >= obj.len || obj.ptr[i] != '{') return none;
    i++;
    while (1) {
        i = rk__ws(obj, i);
        if (i >= obj.len || obj.ptr[i] != '"') return none;
        size_t kend = rk__skip(obj, i);
        rk_str k = {obj.ptr + i + 1, kend - i - 2};
        i = rk__ws(obj, kend);
        if (i >= obj.len || obj.ptr[i] != ':') return none;
        size_t vstart = rk__ws(obj, i + 1), vend = rk__skip(obj, vstart);
        if (rk_eq(k, key)) { rk_str v = {obj.ptr + vstart, vend - vstart}; return v; }
        i = rk__ws(obj, vend);
        if (i >= obj.len || obj.ptr[i] != ',') return none;
        i++;
    }
}
/* Iterate an array: `size_t pos = 0; rk_str item; while (rk_json_next(arr, &pos, &item)) ...` */
RK_API int rk_json_next(rk_str arr, size_t *pos, rk_str *item) {
    size_t i = *pos ? *pos : rk__ws(arr, 0) + 1;
    if (!*pos && (arr.len == 0 || arr.ptr[i - 1] != '[')) return 0;
    i = rk__ws(arr, i);
    if (i < arr.len && arr.ptr[i] == ',') i = rk__ws(arr, i + 1);
    if (i >= arr.len || arr.ptr[i] == ']') return 0;
    size_t end = rk__skip(arr, i);
    item->ptr = arr.ptr + i; item->len = end - i;
    *pos = end;
    return 1;
}
/* Decode a JSON string value (handles \n \t \" \\ \/ \uXXXX for BMP). */
RK_API rk_str rk_json_string(rk_str v) {
    rk_str out = {0, 0};
    if (v.len < 2 || v.ptr[0] != '"') return out;
    char *p = rk_alloc(v.len);
    size_t n = 0;
    for (size_t i = 1; i + 1 < v.len; i++) {
        char c = v.ptr[i];
        if (c != '\\') { p[n++] = c; continue; }
        c = v.ptr[++i];
        if (c == 'n') p[n++] = '\n'; else if (c == 't') p[n++] = '\t'; else if (c == 'r') p[n++] = '\r';
        else if (c == 'b') p[n++] = '\b'; else if (c == 'f') p[n++] = '\f';
        else if (c == 'u' && i + 4 < v.len) {
            unsigned cp = 0;
            for (int k = 0; k < 4; k++) {
                char h = v.ptr[++i];
                cp = cp * 16 + (unsigned)(h <= '9' ? h - '0' : (h | 32) - 'a' + 10);
            }
            if (cp < 0x80) p[n++] = (char)cp;
            else if (cp < 0x800) { p[n++] = (char)(0xC0 | cp >> 6); p[n++] = (char)(0x80 | (cp & 63)); }
            else { p[n++] = (char)(0xE0 | cp >> 12); p[n++] = (char)(0x80 | ((cp >> 6) & 63)); p[n++] = (char)(0x80 | (cp & 63)); }
        } else p[n++] = c;
    }
    p[n] = 0; out.ptr = p; out.len = n;
    return out;
}
/* A JSON number as thousandths (fixed point: 1.5 -> 1500); enough for times and counts. */
RK_API int64_t rk_json_milli(rk_str v) {
    int64_t whole = 0, frac = 0, scale = 1000; int neg = 0; size_t i = 0;
    if (i < v.len && v.ptr[i] == '-') { neg = 1; i++; }
    for (; i < v.len && v.ptr[i] >= '0' && v.ptr[i] <= '9'; i++) whole = whole * 10 + (v.ptr[i] - '0');
    if (i < v.len && v.ptr[i] == '.')
        for (i++; i < v.len && v.ptr[i] >= '0' && v.ptr[i] <= '9'; i++)
            if (scale > 1) { scale /= 10; frac += (v.ptr[i] - '0') * scale; }
    int64_t r = whole * 1000 + frac;
    return neg ? -r : r;
}
RK_API int64_t rk_json_int(rk_str v) { return rk_json_milli(v) / 1000; }

#endif /* REELKIT_H */
