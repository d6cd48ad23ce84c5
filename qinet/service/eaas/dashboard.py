"""The operator's dashboard of the entanglement service, served by the service itself.

* ``GET /``: the page; ``GET /static/{name}``: its script and style sheet (package data
  in ``qinet/service/eaas/static/``, nothing from the internet);
* ``GET /v1/layout``: where to draw each node (bearer token needed, as ``/v1/network``).

The page holds no data: it asks for the tenant's token, keeps it in the tab's
``sessionStorage`` and sends it as ``Authorization: Bearer`` on every call, reading the
event stream (:mod:`qinet.service.eaas.stream`) with ``fetch`` rather than
``EventSource``, which cannot send headers; a token therefore never appears in a URL,
where logs, history and ``Referer`` would keep it. The page and its files are served
with a content security policy that allows only this origin's script, style and
connections, so no injected script can run or send a token elsewhere.

Node positions come from the scenario's coordinates when every node is a ground station
(longitude east, latitude north, on an equirectangular projection scaled by the cosine
of the mean latitude), otherwise from a Kamada-Kawai layout of the graph weighted by the
links' fibre lengths (deterministic: no random start), turned so that its longest extent
runs across the page; both are scaled into ``[0.05, 0.95]`` with the aspect ratio
kept.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from importlib import resources
from typing import Any

import networkx as nx
import numpy as np
from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse, Response

from qinet.service.eaas.live import LiveNetwork, LiveRequest
from qinet.service.eaas.stream import add_stream_routes
from qinet.service.kms.error_answers import error_response
from qinet.service.log_format import clip

# name -> media type: the only files served (no path from the URL reaches the disk)
STATIC_FILES = {"dashboard.js": "text/javascript; charset=utf-8",
                "dashboard.css": "text/css; charset=utf-8"}
SECURITY_HEADERS = {
    "Content-Security-Policy": "default-src 'none'; script-src 'self'; style-src 'self'; "
                               "connect-src 'self'; img-src 'self' data:; "
                               "frame-ancestors 'none'; base-uri 'none'; form-action 'none'",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "Cache-Control": "no-cache",
}
_MARGIN = 0.05


def static_text(name: str) -> str:
    """A file of the dashboard, read from the package."""
    return (resources.files("qinet.service.eaas") / "static" / name).read_text("utf-8")


def _scaled(points: dict[str, tuple[float, float]]) -> dict[str, tuple[float, float]]:
    """``points`` moved and scaled into ``[0.05, 0.95]``, the aspect ratio kept and the
    shorter side centred."""
    xs = [p[0] for p in points.values()]
    ys = [p[1] for p in points.values()]
    span = max(max(xs) - min(xs), max(ys) - min(ys))
    if span <= 0:
        return dict.fromkeys(points, (0.5, 0.5))
    scale = (1 - 2 * _MARGIN) / span
    x0 = min(xs) - (span - (max(xs) - min(xs))) / 2
    y0 = min(ys) - (span - (max(ys) - min(ys))) / 2
    return {name: (_MARGIN + (x - x0) * scale, _MARGIN + (y - y0) * scale)
            for name, (x, y) in points.items()}


def _levelled(points: dict[str, tuple[float, float]]) -> dict[str, tuple[float, float]]:
    """``points`` turned about their centroid so that their principal axis (the
    eigenvector of the largest eigenvalue of their covariance) lies along ``x``, and
    the first name in sorted order sits left of the centroid: a chain is drawn across
    the page, the same way every time.

    Examples:
        >>> out = _levelled({"a": (0.0, 0.0), "b": (0.0, 1.0), "c": (0.0, 2.0)})
        >>> [tuple(round(v, 9) + 0.0 for v in out[n]) for n in "abc"]
        [(-1.0, 0.0), (0.0, 0.0), (1.0, 0.0)]
    """
    names = list(points)
    xy = np.array([points[n] for n in names], dtype=float)
    centred = xy - xy.mean(axis=0)
    if len(names) < 2 or not np.any(centred):
        return points
    _values, vectors = np.linalg.eigh(centred.T @ centred)
    axis = vectors[:, -1]  # eigh sorts eigenvalues ascending
    rotation = np.array([[axis[0], axis[1]], [-axis[1], axis[0]]])
    turned = centred @ rotation.T
    if turned[names.index(min(names)), 0] > 0:  # half a turn: the first name on the left
        turned = -turned
    return {n: (float(turned[i, 0]), float(turned[i, 1])) for i, n in enumerate(names)}


def layout(network: LiveNetwork) -> dict[str, Any]:
    """Each node's position in ``[0.05, 0.95]^2`` (``y`` downwards, as on a screen), and
    where they come from (``coordinates`` or ``computed``), with the entanglement links
    and the key network's links to draw.

    Examples:
        >>> from qinet.scenario import load_scenario
        >>> from qinet.scenario.presets import preset_path
        >>> net = LiveNetwork(load_scenario(preset_path("chain-9")))
        >>> view = layout(net)
        >>> view["source"], len(view["nodes"])
        ('computed', 9)
    """
    sites = {node.name: node.station for node in network.scenario.nodes}
    names = list(network.graph)
    points: dict[str, tuple[float, float]]
    if all(sites.get(name) is not None for name in names):
        latitudes = {n: math.degrees(s.latitude) for n, s in sites.items() if s is not None}
        longitudes = {n: math.degrees(s.longitude) for n, s in sites.items() if s is not None}
        squeeze = math.cos(math.radians(sum(latitudes.values()) / len(latitudes)))
        points = {n: (longitudes[n] * squeeze, -latitudes[n]) for n in names}
        source = "coordinates"
    else:
        graph: nx.Graph[str] = nx.Graph()
        graph.add_nodes_from(sorted(names))
        for x, y, edge in network.graph.edges(data=True):
            graph.add_edge(x, y, weight=max(float(edge["length_km"]), 1e-3))
        # the key network's links place trusted relays too; a free-space link, with no
        # fibre length, weighs as the longest fibre does
        longest = max([float(e["length_km"]) for _x, _y, e in network.graph.edges(data=True)]
                      + [k.length_km for k in network.key_links if k.length_km is not None]
                      + [1.0])
        for link in network.key_links:
            if not graph.has_edge(*link.between):
                graph.add_edge(*link.between, weight=max(link.length_km or longest, 1e-3))
        placed = nx.kamada_kawai_layout(graph, weight="weight") if len(graph) > 2 else \
            nx.circular_layout(graph)
        points = _levelled({n: (float(placed[n][0]), float(placed[n][1])) for n in names})
        source = "computed"
    scaled = _scaled(points)
    return {"source": source,
            "nodes": [{"name": n, "x": scaled[n][0], "y": scaled[n][1]} for n in names],
            "links": [{"name": edge["info"].name, "between": [x, y]}
                      for x, y, edge in network.graph.edges(data=True)],
            "key_links": [link.as_json() for link in network.key_links]}


def add_live_views(app: FastAPI, network: LiveNetwork, *, tenant: Callable[[Request], str],
                   owned: Callable[[Request, str], LiveRequest]) -> None:
    """Add the event streams (:func:`~qinet.service.eaas.stream.add_stream_routes`), the
    dashboard and its layout route to ``app``.

    Args:
        app: the service's application.
        network: the live network.
        tenant: the caller's tenant, or the API's 401.
        owned: the caller's request of that id, or the API's 404.
    """
    add_stream_routes(app, network, tenant=tenant, owned=owned)
    page = static_text("index.html").encode()
    files = {name: static_text(name).encode() for name in STATIC_FILES}
    placed = layout(network)

    @app.get("/", include_in_schema=False)
    async def dashboard() -> Response:
        return Response(page, media_type="text/html; charset=utf-8",
                        headers=SECURITY_HEADERS)

    @app.get("/static/{name}", include_in_schema=False)
    async def static_file(name: str) -> Response:
        if name not in files:
            return error_response(404, f"no file {clip(name)}")
        return Response(files[name], media_type=STATIC_FILES[name], headers=SECURITY_HEADERS)

    @app.get("/v1/layout")
    async def get_layout(request: Request) -> JSONResponse:
        """Where to draw each node (from the scenario's coordinates, or computed)."""
        tenant(request)
        return JSONResponse(placed)
