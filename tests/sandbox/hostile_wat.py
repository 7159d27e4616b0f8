"""Hostile modules in WebAssembly text, one way to misbehave each (assembled by wasmtime in the tests)."""

from __future__ import annotations

#: Extism kernel imports and a helper: $block(ptr, len) copies linear memory into a new Extism block
PRELUDE = r"""
  (import "extism:host/env" "alloc" (func $alloc (param i64) (result i64)))
  (import "extism:host/env" "store_u8" (func $store_u8 (param i64 i32)))
  (import "extism:host/env" "output_set" (func $output_set (param i64 i64)))
  (import "extism:host/env" "input_length" (func $input_length (result i64)))
  IMPORTS
  (memory (export "memory") PAGES)
  (data (i32.const 0) "{\"pong\":1}")
  (data (i32.const 64) "flood.tick")
  (data (i32.const 128) "{}")
  (data (i32.const 192) "a.log.line.that.is.not.short.at.all")
  (func $block (param $ptr i32) (param $len i32) (result i64) (local $off i64) (local $i i32)
    (local.set $off (call $alloc (i64.extend_i32_u (local.get $len))))
    (block $done (loop $copy
      (br_if $done (i32.ge_u (local.get $i) (local.get $len)))
      (call $store_u8 (i64.add (local.get $off) (i64.extend_i32_u (local.get $i)))
                      (i32.load8_u (i32.add (local.get $ptr) (local.get $i))))
      (local.set $i (i32.add (local.get $i) (i32.const 1)))
      (br $copy)))
    (local.get $off))
  (func $pong (result i32) (call $output_set (call $block (i32.const 0) (i32.const 10)) (i64.const 10)) (i32.const 0))
"""


def module(body: str, imports: str = "", pages: int = 1) -> str:
    return "(module" + PRELUDE.replace("IMPORTS", imports).replace("PAGES", str(pages)) + body + ")"


BENIGN = module('(func (export "ping") (result i32) (call $pong))')

START_LOOP = module('(func $spin (loop $l (br $l))) (start $spin) (func (export "run") (result i32) (call $pong))')
INITIALIZE_LOOP = module('(func (export "_initialize") (loop $l (br $l))) (func (export "run") (result i32) (call $pong))')
CTORS_LOOP = module('(func (export "__wasm_call_ctors") (loop $l (br $l))) (func (export "run") (result i32) (call $pong))')
#: a start function that works: sets a global the export then reports
START_OK = module('(global $g (mut i32) (i32.const 0)) (func $init (global.set $g (i32.const 1))) (start $init) '
                  '(func (export "run") (result i32) (if (i32.eqz (global.get $g)) (then unreachable)) (call $pong))')

_LOG = '(import "reelkit:host/v1" "log" (func $log (param i32 i64)))'
_EMIT = '(import "reelkit:host/v1" "emit" (func $emit (param i64 i64)))'
_CONFIG = '(import "reelkit:host/v1" "config_get" (func $config_get (param i64) (result i64)))'

#: tight loops over a host function, no WASI: the kind of module first tried on the event loop
LOG_FLOOD = module('(func (export "run") (result i32) (local $m i64) (local.set $m (call $block (i32.const 192) (i32.const 35))) '
                   '(loop $l (call $log (i32.const 2) (local.get $m)) (br $l)) (i32.const 0))', _LOG)
EMPTY_LOG_FLOOD = module('(func (export "run") (result i32) (loop $l (call $log (i32.const 0) (i64.const 0)) (br $l)) (i32.const 0))', _LOG)
EMIT_FLOOD = module('(func (export "run") (result i32) (local $t i64) (local $d i64) '
                    '(local.set $t (call $block (i32.const 64) (i32.const 10))) (local.set $d (call $block (i32.const 128) (i32.const 2))) '
                    '(loop $l (call $emit (local.get $t) (local.get $d)) (br $l)) (i32.const 0))', _EMIT)
CONFIG_FLOOD = module('(func (export "run") (result i32) (local $k i64) (local.set $k (call $block (i32.const 64) (i32.const 10))) '
                      '(loop $l (drop (call $config_get (local.get $k))) (br $l)) (i32.const 0))', _CONFIG)
#: one log call handed an 8 MiB block (the host reads a line, not the block)
HUGE_LOG = module('(func (export "run") (result i32) (call $log (i32.const 2) (call $alloc (i64.const 8388608))) (call $pong))',
                  _LOG, pages=2)

#: right names, wrong types: links only if the host checks nothing
WRONG_IMPORT_TYPE = module('(func (export "run") (result i32) (call $pong))',
                           '(import "reelkit:host/v1" "log" (func $log (param f64)))')
WRONG_EXPORT_SIGNATURE = module('(func (export "run") (param i32) (result i32) (i32.const 0))')
BIG_INITIAL_MEMORY = module('(func (export "run") (result i32) (call $pong))', pages=4096)  # 256 MiB
SYMLINKER = module('(func (export "run") (result i32) (drop (call $symlink (i32.const 0) (i32.const 0) (i32.const 3) '
                   '(i32.const 0) (i32.const 0))) (call $pong))',
                   '(import "wasi_snapshot_preview1" "path_symlink" (func $symlink (param i32 i32 i32 i32 i32) (result i32)))')
#: returns its input length as an output of that many bytes of '{}' padding: checks inputs reach it
READS_INPUT = module('(func (export "run") (result i32) (drop (call $input_length)) (call $pong))')
#: always fails (a subscriber that traps on every event)
TRAPS = module('(func (export "on_event") (result i32) unreachable) (func (export "ping") (result i32) (call $pong))')
