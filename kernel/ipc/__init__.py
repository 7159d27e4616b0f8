"""reelkit's IPC: the kernel's commands and events over JSON-RPC 2.0, on a loopback WebSocket or stdio.

::

    dispatch.Dispatcher      the one seam to the kernel (KernelDispatcher implements it over a Kernel)
    protocol                 JSON-RPC 2.0 parsing, responses, error-code mapping (pure)
    session.Session          one client: calls, batches, subscriptions, jobs, its send queue
    sendqueue.SendQueue      bounded, coalescing per-client outbox
    websocket.WebSocketServer / stdio.serve_stdio   the transports
    auth                     tokens, grants, Origin allow-list, token file
    discover / schemas       rpc.discover (OpenRPC) and merged JSON Schemas
    typescript               `reelkit schema --typescript`: types and a typed client
    cli                      `reelkit serve`, `reelkit schema`

Importing this package loads neither ``websockets`` nor the kernel; transports import them when started.
See docs/ipc.md for the wire protocol.
"""

from .dispatch import Dispatcher, Envelope, EventInfo, MethodInfo
from .kernel_dispatch import KernelDispatcher
from .protocol import RpcError
from .session import Limits, Session
from .stdio import serve_stdio, serve_stream
from .websocket import WebSocketServer

__all__ = [
    "Dispatcher",
    "Envelope",
    "EventInfo",
    "MethodInfo",
    "KernelDispatcher",
    "RpcError",
    "Limits",
    "Session",
    "WebSocketServer",
    "serve_stdio",
    "serve_stream",
]
