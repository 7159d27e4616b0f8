"""The compiler's own filter-graph builder; ffmpeg-python does the graph bookkeeping behind it.

ffmpeg-python (unmaintained since 2019) is kept behind this module: it allocates stream labels,
sorts the graph and escapes option values at both levels (option value: ``\\ ' = :``; graph:
``\\ ' [ ] , ;``). This module owns what it lacks: number formatting, the long-graph file
(``-/filter_complex FILE``; ``-filter_complex_script`` is gone in FFmpeg 9) and the final command.

Only keyword options reach ffmpeg-python: its positional arguments are escaped twice (a bug).
"""

from __future__ import annotations

import contextlib
import contextvars
import functools
import os
from dataclasses import dataclass, field
from fractions import Fraction
from typing import Any, Iterator

#: filter name -> instance label, while an effect whose parameters are keyframed is applied
_LABELS: contextvars.ContextVar[dict[str, str] | None] = contextvars.ContextVar("reelkit_filter_labels", default=None)


@contextlib.contextmanager
def labelled(labels: dict[str, str]) -> Iterator[None]:
    """Name the filters added meanwhile (``eq`` becomes ``eq@k3``) so sendcmd commands can reach them."""
    token = _LABELS.set(labels)
    try:
        yield
    finally:
        _LABELS.reset(token)


@functools.lru_cache(maxsize=1)
def _ffmpeg_python() -> Any:
    """ffmpeg-python, loaded on first use (kernel boot stays light), with the faster sort installed."""
    import ffmpeg  # ffmpeg-python
    import ffmpeg._run

    ffmpeg._run.topo_sort = _topo_sort
    return ffmpeg


def _topo_sort(downstream_nodes):
    """ffmpeg-python's topological sort, iterative and with sets (its own is recursive and O(n²): 50 cuts
    took ~100 ms, and long xfade chains hit the recursion limit); same order, same outgoing-edge maps."""
    done: set = set()
    sorted_nodes: list = []
    outgoing: dict = {}
    pending = [node for node in downstream_nodes]
    while pending:
        root = pending.pop()
        if root in done:
            continue
        on_path = {root}
        stack = [(root, iter(root.incoming_edges))]
        while stack:
            node, edges = stack[-1]
            e = next(edges, None)
            if e is None:
                stack.pop()
                on_path.discard(node)
                done.add(node)
                sorted_nodes.append(node)
                continue
            up = e.upstream_node
            if up in on_path:
                raise RuntimeError("Graph is not a DAG")
            outgoing.setdefault(up, {}).setdefault(e.upstream_label, []).append(
                (e.downstream_node, e.downstream_label, e.upstream_selector))
            if up not in done:
                on_path.add(up)
                stack.append((up, iter(up.incoming_edges)))
    return sorted_nodes, outgoing



#: Graphs longer than this go to a file instead of the command line.
GRAPH_FILE_THRESHOLD = 4000


def num(value: float | int | Fraction) -> str:
    """Format a number for FFmpeg: no exponent, at most 6 decimals, no trailing zeros."""
    if isinstance(value, Fraction):
        value = float(value)
    if isinstance(value, int):
        return str(value)
    text = f"{value:.6f}".rstrip("0").rstrip(".")
    return "0" if text in ("-0", "") else text


def _opts(kwargs: dict[str, Any]) -> dict[str, str]:
    out = {}
    for k, v in kwargs.items():
        if v is None:
            continue
        if isinstance(v, bool):
            v = int(v)
        out[k] = num(v) if isinstance(v, (int, float, Fraction)) else str(v)
    return out


class Stream:
    """One labelled stream in the graph (video or audio)."""

    __slots__ = ("_node", "kind")

    def __init__(self, node: Any, kind: str):
        self._node = node
        self.kind = kind

    def filter(self, name: str, **options: Any) -> "Stream":
        """Append a single-input, single-output filter with keyword options."""
        labels = _LABELS.get()
        if labels and name in labels:
            name = f"{name}@{labels[name]}"
        return Stream(self._node.filter(name, **_opts(options)), self.kind)

    def chain(self, *steps: tuple[str, dict[str, Any]]) -> "Stream":
        """Apply several ``(name, options)`` filters in order."""
        s = self
        for name, options in steps:
            s = s.filter(name, **options)
        return s

    def split(self, n: int) -> list["Stream"]:
        """Split into ``n`` identical streams."""
        node = self._node.filter_multi_output("split" if self.kind == "v" else "asplit")
        return [Stream(node.stream(i), self.kind) for i in range(n)]


def merge(name: str, streams: list[Stream], kind: str | None = None, **options: Any) -> Stream:
    """A filter with several inputs and one output (xfade, overlay, amix, sidechaincompress)."""
    node = _ffmpeg_python().filter([s._node for s in streams], name, **_opts(options))
    return Stream(node, kind or streams[0].kind)


@dataclass
class Input:
    """One ``-i`` of the command with its options (placed before ``-i``)."""

    target: str
    options: dict[str, Any] = field(default_factory=dict)
    node: Any = None

    @property
    def video(self) -> Stream:
        return Stream(self.node["v"], "v")

    @property
    def audio(self) -> Stream:
        return Stream(self.node["a"], "a")

    def stream(self, selector: str, kind: str) -> Stream:
        return Stream(self.node[selector], kind)


@dataclass
class BuiltCommand:
    """A ready FFmpeg command: argument list, the graph text and where it lives."""

    args: list[str]
    graph: str
    graph_file: str | None = None

    def shell(self) -> str:
        """The command as one shell-quoted line (for display)."""
        import shlex

        return shlex.join(self.args)


class Graph:
    """Collects inputs and filters; :meth:`compile` makes the command."""

    def __init__(self) -> None:
        self.inputs: list[Input] = []

    def input(self, target: str, *flags: str, **options: Any) -> Input:
        """Add an input file; ``flags`` (``"vn"``) and ``options`` go before its ``-i``."""
        opts = _opts(options)
        stream = _ffmpeg_python().input(target, **opts, **{f: None for f in flags})
        # ffmpeg-python merges nodes that hash alike: two clips cut identically from one file would become
        # one input with two consumers (an error). Each -i is its own node: salt its hash with its index.
        node = stream.node
        node._KwargReprNode__hash = hash((hash(node), "reelkit-input", len(self.inputs)))
        inp = Input(target, opts, stream)
        self.inputs.append(inp)
        return inp

    def source(self, spec_name: str, kind: str, **options: Any) -> Stream:
        """A lavfi source (color, anullsrc …) as an input; option values are escaped for lavfi."""
        body = ":".join(f"{k}={_escape_value(v)}" for k, v in _opts(options).items())
        inp = self.input(f"{spec_name}={body}" if body else spec_name, f="lavfi")
        return inp.video if kind == "v" else inp.audio

    def compile(
        self,
        exe: str,
        outputs: list[Stream | tuple[Input, str]],
        target: str,
        output_options: list[str],
        global_options: list[str],
        graph_dir: str | None = None,
    ) -> BuiltCommand:
        """Build the command; a long graph is written into ``graph_dir`` and passed by file."""
        nodes = [o._node if isinstance(o, Stream) else o[0].node[o[1]] for o in outputs]
        out = _ffmpeg_python().output(*nodes, "__OUT__")
        args = out.compile(cmd=exe)
        graph = ""
        if "-filter_complex" in args:
            i = args.index("-filter_complex")
            graph = args[i + 1]
        graph_file = None
        if graph and graph_dir is not None and len(graph) > GRAPH_FILE_THRESHOLD:
            graph_file = os.path.join(graph_dir, "graph.txt")
            with open(graph_file, "w", encoding="utf-8") as fh:
                fh.write(graph)
            i = args.index("-filter_complex")
            args[i : i + 2] = ["-/filter_complex", graph_file]
        assert args[-1] == "__OUT__"
        args = [args[0], *global_options, *args[1:-1], *output_options, target]
        return BuiltCommand(args=args, graph=graph, graph_file=graph_file)


def _escape_value(value: str) -> str:
    """Escape one option value for a lavfi ``-i`` source spec."""
    out = []
    for ch in value:
        if ch in "\\':,;[]=":
            out.append("\\" + ch)
        else:
            out.append(ch)
    return "".join(out)
