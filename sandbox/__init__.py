"""reelkit's WASM sandbox: third-party plugins as Extism modules, under permissions and limits.

The kernel loads :mod:`sandbox.plugin` as a builtin; it installs WASM plugins under
``<data_dir>/wasm-plugins`` and registers each as a runtime kernel plugin. Modules:

- ``manifest`` — ``plugin.json`` models and checks; ``package`` — the ``.rkp`` format
- ``consent`` — the permission list, its diff and digest, and the consent check of every install
- ``engine`` — the Extism C API binding; ``runtime`` — instance pools, limits, cancel, start-up code
- ``wasminfo`` — reading modules, deferring their start-up code; ``watchdog`` — wall-clock deadlines
- ``host`` — the ``reelkit:host/v1`` host functions; ``net`` — host-side HTTP; ``kv`` — storage
- ``service`` — install / load / unload; ``wasmplugin`` — one WASM plugin as a kernel plugin
- ``toolchain``, ``scaffold`` — building plugins (``reelkit plugins new|build``)
- ``market_*`` — the marketplace on TUF (docs/marketplace.md): ``market_index``, ``market_rotate``,
  ``market_keys`` (publishing); ``market_client``, ``market_fetch`` (verified fetching);
  ``market_service``, ``market_keep``, ``market_commands``, ``market_cli``, ``market_tools``

Importing this package is light: Extism loads when the sandbox plugin sets up. See
docs/wasm-plugins.md.
"""
