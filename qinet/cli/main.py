"""The ``qinet`` app: argument parsing, help, and the one place errors become exit codes.

Only typer is imported at module level; each command imports its module (``run``,
``presets``, ``validate``) when it is called, so ``qinet --help`` starts fast.

Exit status: 0 ok, 2 for a bad scenario or bad usage (:class:`~qinet.errors.ConfigError`,
unknown option), 1 for any other :class:`~qinet.errors.QinetError`, 130 when interrupted.
"""

from __future__ import annotations

import enum
import inspect
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Annotated

import typer

app = typer.Typer(
    name="qinet",
    add_completion=False,
    rich_markup_mode="rich",
    pretty_exceptions_enable=False,
    context_settings={"help_option_names": ["-h", "--help"]},
)


class Mode(enum.StrEnum):
    """How links are simulated (mirrors ``Scenario.mode``)."""

    FAST_FORWARD = "fast-forward"
    DETAILED = "detailed"


class Backend(enum.StrEnum):
    """The pair-state formalism (mirrors ``Scenario.backend``)."""

    BELL_DIAGONAL = "bell-diagonal"
    DENSITY_MATRIX = "density-matrix"


def _reflow(func: Callable[..., None]) -> Callable[..., None]:
    """Join the wrapped lines of each docstring paragraph, so the terminal re-wraps them.

    Typer's rich help keeps single line breaks after the first paragraph; paragraphs
    that start with ``\\b`` (the examples) keep their lines as written.
    """
    paragraphs = inspect.cleandoc(func.__doc__ or "").split("\n\n")
    func.__doc__ = "\n\n".join(
        p.removeprefix("\b\n") if p.startswith("\b") else " ".join(p.split("\n"))
        for p in paragraphs)
    return func


def _show_version(value: bool) -> None:
    if value:
        from qinet import __version__

        typer.echo(f"qinet {__version__}")
        raise typer.Exit(0)


@app.callback(invoke_without_command=True)
@_reflow
def _root(
    ctx: typer.Context,
    version: Annotated[bool, typer.Option(
        "--version", is_eager=True, callback=_show_version,
        help="Print the qinet version and exit.")] = False,
) -> None:
    """qinet: a quantum internet in software.

    Simulate entanglement and QKD networks from a scenario file or a built-in preset, and
    read pair rates (pairs/s), fidelities, latencies (s), outage, QBER and secret-key
    rates (bit/s) next to the PLOB bound; serve the keys over ETSI GS QKD 014 and the
    entanglement network as a service.

    \b
    Examples:
      qinet run                                  # the default preset, metro-link
      qinet run my-network.yaml --duration "10 s" --seed 3
      qinet run metro-link --json --out result.json
      qinet run qkd-protocols                    # BB84, decoy, MDI, twin-field
      qinet run trusted-relay                    # keys relayed by trusted nodes
      qinet presets                              # list the built-in scenarios
      qinet validate my-network.yaml
      qinet keyrate --plot keyrate.png            # QKD key rate against distance
      qinet certs init certs && qinet serve --certs certs --data kms
    """
    if ctx.invoked_subcommand is None:
        typer.echo(ctx.get_help(), nl=False)
        raise typer.Exit(0)


@app.command("run")
@_reflow
def _run(
    scenario: Annotated[str | None, typer.Argument(
        metavar="SCENARIO", show_default=False,
        help="A scenario YAML file, or the name of a built-in preset "
             "(see `qinet presets`). Default: metro-link.")] = None,
    seed: Annotated[int | None, typer.Option(
        "--seed", show_default=False,
        help="Root seed of every random stream, an integer ≥ 0; the same scenario and "
             "seed give the same numbers. Default: the scenario's seed.")] = None,
    duration: Annotated[str | None, typer.Option(
        "--duration", "-d", show_default=False,
        help='Simulated time, a number with its unit: "10 s", "500 ms", "2 min", from '
             '"1 ps" to "1e6 s"; units are case-sensitive ("ms" milli-, "Ms" mega-). '
             "Default: the scenario's duration.")] = None,
    mode: Annotated[Mode | None, typer.Option(
        "--mode", show_default=False,
        help="fast-forward samples the time to the successful attempt; detailed plays "
             "every attempt (slower, same statistics). Default: the scenario's mode.")] = None,
    backend: Annotated[Backend | None, typer.Option(
        "--backend", show_default=False,
        help="State formalism of the pairs: bell-diagonal (4 numbers a pair, fast) or "
             "density-matrix (exact 4 x 4). Default: the scenario's backend.")] = None,
    as_json: Annotated[bool, typer.Option(
        "--json",
        help="Print only the result as one JSON document on stdout (rates in Hz, times "
             "in s), for scripts.")] = False,
    out: Annotated[Path | None, typer.Option(
        "--out", "-o", dir_okay=False, show_default=False,
        help="Also write the JSON document to this file.")] = None,
    plot: Annotated[Path | None, typer.Option(
        "--plot", dir_okay=False, show_default=False,
        help="Write a figure (.png, .svg or .pdf): per demand the end-to-end pair rate, "
             "its distillable rate and the PLOB bound (ebit/s) and the fidelity (more than "
             "60 demands: each as a point at its number of hops); per QKD "
             "link and BBM92/E91 demand the secret-key rate against the PLOB bound (bit/s); "
             "per relayed key demand the delivered and requested key rate against the "
             "PLOB bound of its trusted routes (bit/s).")] = None,
    pairs_out: Annotated[Path | None, typer.Option(
        "--pairs-out", dir_okay=False, show_default=False,
        help="Also write every delivered pair (demand, delivered_ps, latency_ps, fidelity) "
             "to this Parquet file; the run then keeps a record per pair.")] = None,
    quiet: Annotated[bool, typer.Option(
        "--quiet", "-q",
        help="No tables, progress bar or notes; only errors (and the JSON with "
             "--json).")] = False,
) -> None:
    """Simulate a scenario and report rates, fidelities, latencies, keys and bounds.

    Prints one table per demand (pairs, rate in pairs/s, fidelity, latency, outage,
    PLOB bound; with more than eight demands, one summary of them all, least / median /
    most over demands, and a row each for the ten least served), one per link in use
    (measured against theory; with more than eight, their count), one per QKD link (raw and
    sifted rates, QBER per basis and intensity, decoy estimates, secret-key rate
    measured, asymptotic and finite-key, bits leaked, PLOB in bit/s and bit/pulse, key
    pool) and one per relayed key demand (keys/s, latency, route, trusted nodes that saw
    the keys), notes on what was chosen for fields left out, then the wall time. A
    progress bar (simulated time, events per second, time left) is shown once a run
    has taken 1 s of wall time, labelled building while the network is built and
    routed, simulating, then summarising. Ctrl-C stops the run and prints its results so far,
    marked partial, with the simulated time run (exit status 130); a second Ctrl-C
    stops at once.

    \b
    Examples:
      qinet run
      qinet run single-click-metro --duration "10 s" --seed 3
      qinet run my-network.yaml --json --out result.json --plot result.png
      qinet run metro-link --pairs-out pairs.parquet
    """
    from qinet.cli import run

    outcome = run.run(scenario=scenario, seed=seed, duration=duration,
                      mode=mode.value if mode else None,
                      backend=backend.value if backend else None,
                      as_json=as_json, out=out, plot=plot, quiet=quiet,
                      pairs_out=pairs_out)
    if outcome.partial:
        raise typer.Exit(run.INTERRUPTED_EXIT)


@app.command("presets")
@_reflow
def _presets(
    name: Annotated[str | None, typer.Argument(
        metavar="NAME", show_default=False,
        help="Print this preset's YAML file, to read or to copy and edit.")] = None,
    as_json: Annotated[bool, typer.Option(
        "--json", help="Print the list (or the one preset) as JSON, for scripts.")] = False,
) -> None:
    """List the built-in scenarios, or print one of them.

    The list gives each preset's description and size. With a NAME, the preset's YAML
    file is printed as it is, to read or to copy and edit into your own scenario.

    \b
    Examples:
      qinet presets
      qinet presets metro-link > my-network.yaml
    """
    from qinet.cli import presets

    presets.presets(name=name, as_json=as_json)


@app.command("validate")
@_reflow
def _validate(
    file: Annotated[str, typer.Argument(
        metavar="FILE", show_default=False,
        help="A scenario YAML file (or a preset name) to check without running it.")],
) -> None:
    """Check a scenario file: fields, units, names and link physics; run nothing.

    Prints `ok: NAME (N nodes, M links, K demands)`, or one line naming the bad field
    and exits with status 2.

    \b
    Examples:
      qinet validate my-network.yaml
    """
    from qinet.cli import validate

    validate.validate(file)


# the curves of qinet.analysis.keyrate.PROTOCOLS (kept here so --help stays fast)
_KEYRATE_PROTOCOLS = "decoy-asymptotic,decoy-vacuum-weak,bb84-no-decoy,mdi,tf"


@app.command("keyrate")
@_reflow
def _keyrate(
    max_distance: Annotated[str, typer.Option(
        "--max-distance", help='Longest fibre, with a unit ("200 km").')] = "200 km",
    step: Annotated[str, typer.Option("--step", help='Distance step ("10 km").')] = "10 km",
    attenuation: Annotated[str, typer.Option(
        "--attenuation", help='Fibre loss ("0.2 dB/km").')] = "0.2 dB/km",
    detector_efficiency: Annotated[float, typer.Option(
        "--detector-efficiency", help="Bob's detection efficiency, in (0, 1].")] = 0.1,
    dark_count_probability: Annotated[float, typer.Option(
        "--dark-count-probability", help="Y0: background clicks per pulse.")] = 1e-6,
    misalignment: Annotated[float, typer.Option(
        "--misalignment", help="e_d: probability a photon hits the wrong detector.")] = 0.01,
    mu: Annotated[float | None, typer.Option(
        "--mu", show_default=False,
        help="Signal mean photon number of decoy BB84 (default: the best at each "
             "distance).")] = None,
    nu: Annotated[float | None, typer.Option(
        "--nu", show_default=False,
        help="Weak decoy mean photon number of decoy-vacuum-weak (default: the best at "
             "each distance).")] = None,
    f_ec: Annotated[float, typer.Option(
        "--f-ec", help="Error-correction inefficiency (1.16 for Cascade-like codes).")] = 1.16,
    pulse_rate: Annotated[str, typer.Option(
        "--pulse-rate", help='Source repetition rate ("1 GHz"), to give bit/s.')] = "1 GHz",
    protocols: Annotated[str, typer.Option(
        "--protocols", help="Comma-separated curves: decoy-asymptotic, decoy-vacuum-weak, "
                            "bb84-no-decoy, mdi, tf (the default), and the protocols of "
                            "the fibre records: one-decoy, sns, sns-aopp, four-phase.")
    ] = _KEYRATE_PROTOCOLS,
    as_json: Annotated[bool, typer.Option(
        "--json", help="Print the curve as JSON (bit/pulse and bit/s per distance).")] = False,
    plot: Annotated[Path | None, typer.Option(
        "--plot", dir_okay=False, show_default=False,
        help="Write the curve as a figure (.png, .svg or .pdf), log scale.")] = None,
) -> None:
    """Secret-key rate against distance for QKD protocols, with the PLOB bound.

    Asymptotic rates of decoy-state BB84 with infinitely many decoys and with a vacuum
    and a weak decoy (Ma, Qi, Zhao and Lo 2005), BB84 without decoys (GLLP), MDI-QKD
    (Lo, Curty and Qi 2012) and phase-matching twin-field QKD (Ma, Zeng and Zhou 2018),
    the last three at their best mean photon number, next to the repeaterless bound, in
    bit/s at the pulse rate. MDI and twin-field have their station mid-way.

    \b
    Examples:
      qinet keyrate
      qinet keyrate --max-distance "150 km" --detector-efficiency 0.045 --plot keyrate.png
      qinet keyrate --max-distance "500 km" --protocols decoy-asymptotic,tf \\
          --detector-efficiency 0.3 --dark-count-probability 1e-8
    """
    from qinet.cli import keyrate

    keyrate.keyrate(max_distance=max_distance, step=step, attenuation=attenuation,
                    detector_efficiency=detector_efficiency,
                    dark_count_probability=dark_count_probability, misalignment=misalignment,
                    mu=mu, nu=nu, f_ec=f_ec, pulse_rate=pulse_rate, protocols=protocols,
                    as_json=as_json, plot=plot)


@app.command("reproduce")
@_reflow
def _reproduce(
    names: Annotated[list[str] | None, typer.Argument(
        metavar="NAME", show_default=False,
        help="Reproductions to run (default: all; see --list).")] = None,
    as_json: Annotated[bool, typer.Option(
        "--json", help="Print the rows as JSON.")] = False,
    quick: Annotated[bool, typer.Option(
        "--quick", help="Short runs for figures that are simulated. The current "
                        "figures are closed forms or small optimisations over them and "
                        "take under a second already, so it changes nothing for them.")] = False,
    list_only: Annotated[bool, typer.Option(
        "--list", help="List the names, with what each recomputes, and exit.")] = False,
) -> None:
    """Recompute published QKD figures with qinet and compare them with the papers.

    Each row names the paper (authors, journal, year, DOI), the published figure with
    its unit, qinet's figure from the paper's stated parameters, their ratio, the
    tolerance with its reason, and a verdict: ✓ within tolerance, ✗ outside. The exit
    status is 0 when every selected figure is within tolerance and 1 otherwise, so a
    change that moves a published figure fails the command; an unknown NAME exits
    with 2 and lists the known ones.

    \b
    Examples:
      qinet reproduce
      qinet reproduce --list
      qinet reproduce ma2005-gys-decoy-distance lim2014-block-ratio --json
    """
    from qinet.cli import reproduce

    status = reproduce.reproduce(names=tuple(names or ()), as_json=as_json, quick=quick,
                                 list_only=list_only)
    if status:
        raise typer.Exit(status)


def _key_service_scenario(scenario: str | None) -> str | None:
    """The scenario of ``certs init`` / ``serve``: given, else the first preset with SAEs."""
    from qinet.scenario.presets import preset_names

    if scenario is not None or "trusted-relay" not in preset_names():
        return scenario
    return "trusted-relay"


# options that `qinet serve` and `qinet eaas` share; in `serve` the entanglement
# service's own ones are shown in a panel of their own
_EAAS_PANEL = "Entanglement service (scenarios with heralded links)"
_KMS_PANEL = "Key delivery service (scenarios with nodes that list saes)"
_Host = Annotated[str, typer.Option("--host", help="Address to listen on.")]
_Speedup = Annotated[float, typer.Option(
    "--speedup", help="Simulated seconds per wall second.")]
_ReadyFile = Annotated[Path | None, typer.Option(
    "--ready-file", dir_okay=False, show_default=False,
    help="Once listening, write the URLs here as JSON (for scripts): `{\"url\": URL}` of "
         "the entanglement service, `{KME: URL}` of the KMEs, `{\"kmes\": {KME: URL}, "
         "\"url\": URL}` for both.")]
_Tokens = Annotated[Path | None, typer.Option(
    "--tokens", dir_okay=False, show_default=False, rich_help_panel=_EAAS_PANEL,
    help="The tenants' bearer tokens: one `TENANT TOKEN` line each, tokens of 16 "
         "characters or more (needed unless client certificates name the tenants).")]
_MaxUtilisation = Annotated[float, typer.Option(
    "--max-utilisation", rich_help_panel=_EAAS_PANEL,
    help="Share of a link's spare pair rate admission may promise to new requests, in "
         "(0, 4]; above 1 overbooks the links, shared by priority.")]
_Certfile = Annotated[Path | None, typer.Option(
    "--certfile", dir_okay=False, show_default=False, rich_help_panel=_EAAS_PANEL,
    help="PEM server certificate of the entanglement service: serve HTTPS (with "
         "--keyfile).")]
_Keyfile = Annotated[Path | None, typer.Option(
    "--keyfile", dir_okay=False, show_default=False, rich_help_panel=_EAAS_PANEL,
    help="The certificate's private key.")]
_ClientCa = Annotated[Path | None, typer.Option(
    "--client-ca", dir_okay=False, show_default=False, rich_help_panel=_EAAS_PANEL,
    help="PEM CA: require client certificates it signed (mutual TLS; needs --certfile); "
         "the certificate's common name is the tenant.")]
_CertTenants = Annotated[Path | None, typer.Option(
    "--cert-tenants", dir_okay=False, show_default=False, rich_help_panel=_EAAS_PANEL,
    help="`COMMON_NAME TENANT` lines mapping client certificates to tenants (default: the "
         "common name is the tenant).")]


certs_app = typer.Typer(name="certs", no_args_is_help=True,
                        help="Development certificates for the key delivery and "
                             "entanglement services.")
app.add_typer(certs_app, name="certs")


@certs_app.command("init")
@_reflow
def _certs_init(
    directory: Annotated[Path, typer.Argument(
        metavar="DIR", show_default=False, file_okay=False,
        help="Folder for the PEM files (created if missing; an existing CA is reused).")],
    scenario: Annotated[str | None, typer.Argument(
        metavar="SCENARIO", show_default=False,
        help="A scenario YAML file or preset: its KMEs and SAEs (nodes with `saes`) get "
             "certificates, and with heralded links so does the entanglement service. "
             "Default: trusted-relay.")] = None,
    tenants: Annotated[list[str] | None, typer.Option(
        "--tenant", show_default=False,
        help="A client certificate for this tenant of the entanglement service (its "
             "common name is the tenant). Repeat for more.")] = None,
) -> None:
    """Make a development PKI: a CA, a server certificate per KME, a client one per SAE,
    and for a scenario with heralded links a server certificate for the entanglement
    service.

    Server certificates carry DNS:localhost, IP:127.0.0.1 and the server's name; a
    client certificate's common name is its SAE ID (or tenant), the only identity the
    KMEs accept. Served by `qinet serve --certs DIR`, the entanglement service takes
    every client certificate of this CA, its common name the tenant. Keys are
    unencrypted PEM (development only). Layout: docs/kms.md.

    \b
    Examples:
      qinet certs init certs
      qinet certs init certs my-network.yaml --tenant lab-a
    """
    from rich.table import Table

    from qinet.cli._common import stdout_console
    from qinet.scenario import load_scenario
    from qinet.scenario.key_service import key_service_plan
    from qinet.scenario.presets import scenario_path
    from qinet.service.certs import init_pki
    from qinet.service.runner import services_needed

    loaded = load_scenario(scenario_path(_key_service_scenario(scenario)))
    needed = services_needed(loaded)
    kmes = key_service_plan(loaded)[0] if needed.kmes else []
    layout = init_pki(directory, kmes, eaas=bool(needed.entanglement_links),
                      tenants=tenants or [])
    table = Table(title=f"Development PKI in {layout.root}")
    for column in ("server", "server certificate", "client", "client certificate"):
        table.add_column(column)
    for kme in kmes:
        for i, sae in enumerate(kme.saes or ("",)):
            table.add_row(kme.name if i == 0 else "",
                          str(layout.kme_cert(kme.name)) if i == 0 else "",
                          sae, str(layout.sae_cert(sae)) if sae else "")
    if needed.entanglement_links:
        table.add_row("entanglement service", str(layout.eaas_cert), "", "")
    for tenant in tenants or []:
        table.add_row("", "", tenant, str(layout.sae_cert(tenant)))
    console = stdout_console()
    console.print(table)
    console.print(f"CA: {layout.ca_cert}")
    if needed.entanglement_links and not kmes and not tenants:
        console.print("No client certificate yet: add tenants of the entanglement service "
                      "with --tenant NAME.", soft_wrap=True)


@app.command("serve")
@_reflow
def _serve(
    scenario: Annotated[str | None, typer.Argument(
        metavar="SCENARIO", show_default=False,
        help="A scenario YAML file or preset. Nodes that list `saes` get KMEs (the key "
             "delivery service), heralded links (single-click, double-click, "
             "midpoint-source) the entanglement service. Default: trusted-relay.")] = None,
    certs: Annotated[Path | None, typer.Option(
        "--certs", file_okay=False, show_default=False,
        help="The PKI folder made by `qinet certs init` (required with KMEs). It serves "
             "the entanglement service too, over mutual TLS, unless --certfile or "
             "--client-ca is given.")] = None,
    speedup: _Speedup = 1.0,
    host: _Host = "127.0.0.1",
    port: Annotated[int, typer.Option(
        "--port", help="First port: the KMEs take PORT, PORT+1, ... in name order, then the "
                       "entanglement service (0: ephemeral ports).")] = 8443,
    seed: Annotated[int | None, typer.Option(
        "--seed", show_default=False,
        help="Seed of the simulations: it shapes how much key each pair of KMEs gets and "
             "when, and the entanglement network's randomness, never the key bytes (those "
             "come from the OS CSPRNG). Default: the scenario's seed.")] = None,
    idle_timeout: Annotated[str, typer.Option(
        "--idle-timeout", help="Close connections with no request under way for this "
                               "long.")] = "30 s",
    request_timeout: Annotated[str, typer.Option(
        "--request-timeout", help="A request must arrive whole within this of its first "
                                  "byte, else 408.")] = "10 s",
    log_format: Annotated[str, typer.Option(
        "--log-format", help="Log lines on stderr as `text` or `json` (one object per "
                             "line).")] = "text",
    ready_file: _ReadyFile = None,
    data: Annotated[Path | None, typer.Option(
        "--data", file_okay=False, show_default=False, rich_help_panel=_KMS_PANEL,
        help="Folder of the durable key store, created if missing and kept across "
             "restarts (required with KMEs).")] = None,
    key_lifetime: Annotated[str, typer.Option(
        "--key-lifetime", rich_help_panel=_KMS_PANEL,
        help="Issued keys that no slave fetched within this are erased (a duration with "
             "its unit).")] = "1 h",
    tokens: _Tokens = None,
    eaas_port: Annotated[int | None, typer.Option(
        "--eaas-port", show_default=False, rich_help_panel=_EAAS_PANEL,
        help="The entanglement service's port (0: ephemeral). Default: the one after the "
             "KMEs'.")] = None,
    max_utilisation: _MaxUtilisation = 0.9,
    certfile: _Certfile = None,
    keyfile: _Keyfile = None,
    client_ca: _ClientCa = None,
    cert_tenants: _CertTenants = None,
) -> None:
    """Serve a scenario in real time: its KMEs behind ETSI GS QKD 014 over mutual TLS,
    its entanglement network as a service, or both in one process.

    Key delivery (nodes with `saes`): one HTTPS server per KME. The simulated QKD links
    and trusted relays decide how much key each pair of KMEs gets and when; the key
    bytes come from the operating system's CSPRNG, so no scenario file or seed can
    recompute them. Keys are kept in one private SQLite store under --data (folder
    0700, files 0600); restarted on the same --data, the supply continues where it
    stopped and no key is ever issued twice. GET /status on any KME shows the pool
    levels, GET /metrics the Prometheus metrics, /docs the API.

    Entanglement service (heralded links): the API of `qinet eaas` (requests for pairs,
    event streams, the dashboard at /, Prometheus metrics); with KMEs too, its network
    state and dashboard show the key pools. The two simulations keep their own
    timelines, advanced by the same wall clock at the same speed-up. Stops cleanly on
    Ctrl+C or SIGTERM. See docs/kms.md and docs/eaas.md.

    \b
    Examples:
      qinet certs init certs && qinet serve --certs certs --data kms-data
      qinet serve my-network.yaml --speedup 10 --port 9000 --log-format json
      qinet serve chain-9 --tokens tokens.txt --port 8080
    """
    from qinet.errors import ConfigError, UnitError
    from qinet.scenario.presets import scenario_path
    from qinet.service.kms.connection import ConnectionLimits
    from qinet.service.log_format import configure_logging
    from qinet.service.runner import EaasOptions, serve_scenario
    from qinet.units import parse_quantity

    def seconds(option: str, text: str) -> float:
        try:
            return parse_quantity(text, "time_s")
        except UnitError as exc:
            raise ConfigError(option, exc.reason) from None

    if log_format not in ("text", "json"):
        raise ConfigError("--log-format", f"must be text or json, got {log_format!r}")
    configure_logging(level="INFO", fmt="json" if log_format == "json" else "text")
    limits = ConnectionLimits(idle_timeout_s=seconds("--idle-timeout", idle_timeout),
                              request_timeout_s=seconds("--request-timeout", request_timeout))
    eaas = EaasOptions(tokens=tokens, port=eaas_port, max_utilisation=max_utilisation,
                       certfile=certfile, keyfile=keyfile, client_ca=client_ca,
                       cert_tenants=cert_tenants)
    serve_scenario(scenario_path(_key_service_scenario(scenario)), certs=certs, data=data,
                   speedup=speedup, host=host, port=port, seed=seed,
                   key_lifetime_s=seconds("--key-lifetime", key_lifetime),
                   connection_limits=limits, eaas=eaas, ready_file=ready_file)


@app.command("eaas")
@_reflow
def _eaas(
    scenario: Annotated[str, typer.Argument(
        metavar="SCENARIO", show_default=False,
        help="A scenario YAML file or preset: its nodes, links and policy make the "
             "network (its own demands are not run).")],
    tokens: _Tokens = None,
    host: _Host = "127.0.0.1",
    port: Annotated[int, typer.Option("--port", help="Port (0: ephemeral).")] = 8080,
    speedup: _Speedup = 1.0,
    seed: Annotated[int | None, typer.Option(
        "--seed", show_default=False, help="Seed of the simulation. Default: the "
                                           "scenario's.")] = None,
    max_utilisation: _MaxUtilisation = 0.9,
    certfile: _Certfile = None,
    keyfile: _Keyfile = None,
    client_ca: _ClientCa = None,
    cert_tenants: _CertTenants = None,
    ready_file: _ReadyFile = None,
) -> None:
    """Serve entanglement as a service alone: a REST API over the scenario's network,
    run in real time (`qinet serve` runs it too, beside the KMEs of a scenario that has
    them).

    Tenants POST /v1/requests for pairs between two nodes (min_fidelity, rate_hz or
    count with deadline_s); each is admitted only if the network layer's estimates say
    the routed path can deliver it with the rate not yet promised to others, and then
    served as a new demand of the running simulation. GET /v1/requests/ID shows its
    pairs (id, time, fidelity of the simulated state) and SLO status, DELETE cancels it,
    GET /v1/network the links and memories, GET /metrics the Prometheus metrics, /docs
    the API. Every call needs `Authorization: Bearer TOKEN`, or with --client-ca a
    client certificate. See docs/eaas.md.

    \b
    Examples:
      qinet eaas chain-9 --tokens tokens.txt --port 8080
      qinet eaas my-network.yaml --tokens tokens.txt --speedup 0.1
    """
    from qinet.scenario.presets import scenario_path
    from qinet.service.eaas import serve_eaas
    from qinet.service.log_format import configure_logging

    configure_logging(level="INFO", fmt="text")
    serve_eaas(scenario_path(scenario), tokens=tokens, host=host, port=port,
               speedup=speedup, seed=seed, max_utilisation=max_utilisation,
               certfile=certfile, keyfile=keyfile, client_ca=client_ca,
               cert_tenants=cert_tenants, ready_file=ready_file)


@app.command("plot")
@_reflow
def _plot(
    results: Annotated[Path, typer.Argument(
        metavar="RESULTS_DIR", show_default=False,
        help="The --out folder of a qinet sweep (results.parquet and sweep.json).")],
    x: Annotated[str, typer.Option(
        "--x", show_default=False,
        help="The swept column on the x axis: links[*].length, or links.length (indices "
             "may be left out), seed, ...")],
    y: Annotated[str, typer.Option(
        "--y", show_default=False,
        help="The metric on the y axis: a column of the table, or the end of one "
             "(secret_key_rate_bps, fidelity_mean) when only one column ends so.")],
    hue: Annotated[str | None, typer.Option(
        "--hue", show_default=False,
        help="A swept column to draw one line per value of (detector).")] = None,
    out: Annotated[Path | None, typer.Option(
        "--out", "-o", dir_okay=False, show_default=False,
        help="The figure: .png, .svg or .pdf. Default: RESULTS_DIR/plot.png.")] = None,
    as_json: Annotated[bool, typer.Option(
        "--json", help="Print the plotted numbers (means, standard errors, bound) as "
                       "JSON.")] = False,
) -> None:
    """Plot a sweep: a metric's mean over seeds, with standard-error bars, against a
    swept parameter, one line per --hue value, beside its bound.

    Key rates are drawn with the PLOB bound and pair rates with the repeaterless (PLOB)
    bound in ebit/s, both computed at each swept fibre length from the scenario's
    attenuation and the run's channel-use rate. Rates are drawn on a log axis, and the x
    axis too when the swept values span 100-fold or more.

    \b
    Examples:
      qinet plot results/ --x links.length --y secret_key_rate_bps
      qinet plot results/ --x links.length --y 'demands[0].rate_hz' --hue detector -o fig.pdf
    """
    from qinet.cli import plot

    plot.plot(results=results, x=x, y=y, hue=hue, out=out, as_json=as_json)


@app.command("report")
@_reflow
def _report(
    source: Annotated[Path, typer.Argument(
        metavar="RESULT_OR_SWEEP", show_default=False,
        help="A run's JSON result (qinet run X --json > r.json) or the --out folder of "
             "a qinet sweep.")],
    out: Annotated[Path, typer.Option(
        "--out", "-o", dir_okay=False,
        help="The HTML file to write.")] = Path("report.html"),
    scenario: Annotated[str | None, typer.Option(
        "--scenario", "-s", show_default=False,
        help="The scenario file (or preset) the run used, to show in the report. "
             "Default: the preset the result names, if there is one; a sweep "
             "records its own.")] = None,
    x: Annotated[str | None, typer.Option(
        "--x", show_default=False,
        help="A sweep's figures: the swept column on their x axis. Default: the first "
             "swept column other than seed.")] = None,
    ys: Annotated[list[str] | None, typer.Option(
        "--y", show_default=False,
        help="A sweep's figures: a metric to draw (repeat for more). Default: the rates, "
             "fidelities and key rates of the table.")] = None,
    hue: Annotated[str | None, typer.Option(
        "--hue", show_default=False,
        help="A sweep's figures: one line per value of this swept column.")] = None,
) -> None:
    """Write a self-contained HTML report of a run or a sweep: figures (inline PNG),
    tables, the scenario as YAML, the command and seeds, and the versions of qinet and
    its dependencies. It loads nothing from elsewhere and opens offline.

    \b
    Examples:
      qinet run metro-link --json > r.json && qinet report r.json -o report.html
      qinet report results/ -o sweep.html --x links.length --y secret_key_rate_bps
    """
    from qinet.cli import report

    report.report(source=source, out=out, scenario=scenario, x=x, ys=ys or [], hue=hue)


# the scenario and run length of `qinet sweep` and `qinet optimize`
_PresetScenario = Annotated[str | None, typer.Argument(
    metavar="SCENARIO", show_default=False,
    help="A scenario YAML file, or the name of a built-in preset. Default: metro-link.")]
_RunDuration = Annotated[str | None, typer.Option(
    "--duration", "-d", show_default=False,
    help='Simulated time of every run ("50 ms"). Default: the scenario\'s.')]


@app.command("sweep")
@_reflow
def _sweep(
    scenario: _PresetScenario = None,
    sets: Annotated[list[str] | None, typer.Option(
        "--set", "-s", show_default=False,
        help="An axis PATH=VALUES: links[*].length=10km..200km:20 (linear, 20 points), "
             "log:1Hz..1MHz:7, seed=1..5 (integers), links[0].detector=snspd,ingaas. "
             "Repeat for more axes; their product is run.")] = None,
    out: Annotated[Path, typer.Option(
        "--out", "-o", file_okay=False,
        help="Folder of the task records (tasks/) and the table (results.parquet); "
             "a rerun skips the tasks finished there.")] = Path("results"),
    zip_sets: Annotated[list[str] | None, typer.Option(
        "--zip", "-z", show_default=False,
        help="An axis PATH=VALUES taken together with the other --zip axes, index by "
             "index (all of one length), as one axis of the product of the --set axes: "
             "--zip 'links[0].length=10km,50km' --zip 'links[1].length=10km,50km'.")] = None,
    workers: Annotated[int | None, typer.Option(
        "--workers", "-w", show_default=False,
        help="Local worker processes. Default: one per core.")] = None,
    dask: Annotated[str | None, typer.Option(
        "--dask", show_default=False,
        help="Run on a dask.distributed scheduler at this address "
             "(tcp://host:8786).")] = None,
    duration: _RunDuration = None,
    quiet: Annotated[bool, typer.Option(
        "--quiet", "-q", help="No progress bar or summary; only errors.")] = False,
) -> None:
    """Run a parameter sweep and write one row per run to OUT/results.parquet.

    Each point of the grid is validated as a scenario, run with its own seed, and
    recorded in OUT/tasks/ as soon as it finishes, so an interrupted sweep resumes
    where it stopped. Columns: task, status, error, each swept path, then every metric
    of the run's JSON document under its path (demands[0].rate_hz). Exit status 1 when
    some runs failed (their errors are in the table).

    \b
    Examples:
      qinet sweep metro-link --set 'links[*].length=10km..100km:10' --set 'seed=1..3'
      qinet sweep metro-link --set 'seed=1..5' --duration "50 ms" --out results/
      qinet sweep my-net.yaml --set 'seed=1..100' --dask tcp://scheduler:8786
      qinet sweep chain.yaml --zip 'links[0].length=10km,50km' \\
          --zip 'links[1].length=10km,50km' --set 'seed=1..3'
    """
    from qinet.cli import sweep

    failed = sweep.sweep(scenario=scenario, sets=sets or [], out=out, zip_sets=zip_sets,
                         workers=workers, dask=dask, duration=duration, quiet=quiet)
    if failed:
        raise typer.Exit(1)


@app.command("optimize")
@_reflow
def _optimize(
    scenario: _PresetScenario = None,
    goals: Annotated[list[str] | None, typer.Option(
        "--goal", "-g", show_default=False,
        help="A goal METRIC>=X or METRIC<=X on the run's JSON: rate_hz>=10, "
             "fidelity_mean>=0.9 (bare names are read in demands[0], then its key, "
             "key_demands[0], qkd_links[0], cost), or a path: demands[1].rate_hz>=5. "
             "Repeat for more.")] = None,
    vary: Annotated[list[str] | None, typer.Option(
        "--vary", "-v", show_default=False,
        help="A field to vary, PATH=RANGE with the paths of `qinet sweep --set`: "
             "nodes\\[r*].memories=1..50 (integers), policy.cutoff=1ms..1s (a number in "
             "the first end's unit; log scale when the ends differ 100-fold), "
             "links[0].detector=snspd,ingaas (one of). Repeat for more.")] = None,
    cost: Annotated[str, typer.Option(
        "--cost", help="What to minimise: capital (the capital cost in EUR, from the "
                       "cost catalogue and the scenario's costs section).")] = "capital",
    trials: Annotated[int, typer.Option(
        "--trials", "-n", help="Designs to try (those in the task store cost "
                               "nothing).")] = 50,
    seed: Annotated[int, typer.Option(
        "--seed", help="Seed of the sampler: the same seed gives the same trials.")] = 0,
    out: Annotated[Path, typer.Option(
        "--out", "-o", file_okay=False,
        help="Folder of the task records (tasks/, shared with qinet sweep) and the "
             "trials' table (optimize.parquet); a rerun reuses the runs finished "
             "there.")] = Path("results"),
    duration: _RunDuration = None,
    workers: Annotated[int | None, typer.Option(
        "--workers", "-w", show_default=False,
        help="Run the trials N at a time on N local processes (the sampler is asked "
             "for N designs, then told their results in trial order). Default: one "
             "at a time, in this process.")] = None,
    dask: Annotated[str | None, typer.Option(
        "--dask", show_default=False,
        help="Run the trials on a dask.distributed scheduler at this address "
             "(tcp://host:8786), as many at a time as it has worker threads.")] = None,
    as_json: Annotated[bool, typer.Option(
        "--json", help="Print the answer and every trial as one JSON document.")] = False,
    quiet: Annotated[bool, typer.Option(
        "--quiet", "-q", help="No progress or table; only errors (and --json).")] = False,
) -> None:
    """Find the cheapest design of a scenario that meets every goal.

    Each trial sets the --vary fields, runs the scenario (through the task store of
    qinet sweep, so an interrupted search resumes without rerunning finished trials)
    and prices it from the cost catalogue; a seeded TPE sampler (optuna) proposes the
    next design, with the goals as constraints. The answer gives the best design, its
    capital cost, each goal's value against its threshold, and the constraint that
    binds: the goal the cheaper designs tried missed, or "cost" when none did. Needs
    optuna: pip install 'qinet\\[planner]'.

    \b
    Examples:
      qinet optimize metro-link -g 'rate_hz>=1000' -v 'nodes[*].memories=1..20'
      qinet optimize chain-9 -g 'rate_hz>=10' -g 'fidelity_mean>=0.8' \\
          -v 'nodes\\[r*].memories=1..50' -v 'policy.cutoff=1ms..1s' --json
    """
    from qinet.cli import optimize

    optimize.optimize(scenario=scenario, goals=goals or [], vary=vary or [], cost=cost,
                      trials=trials, seed=seed, out=out, duration=duration,
                      as_json=as_json, quiet=quiet, workers=workers, dask=dask)


def main(argv: list[str] | None = None) -> int:
    """Run the ``qinet`` command line in this process and return its exit status.

    Args:
        argv: the arguments after the program name; ``None`` reads ``sys.argv[1:]``.

    Returns:
        0 on success, 2 for a bad scenario or bad usage, 1 for any other qinet error,
        130 when interrupted. A qinet error prints one line ``error: ...`` on stderr,
        never a traceback.

    Examples:
        >>> main(["--version"])  # doctest: +ELLIPSIS
        qinet ...
        0
    """
    from qinet.errors import ConfigError, QinetError

    args = sys.argv[1:] if argv is None else list(argv)
    command = typer.main.get_command(app)
    try:
        command.main(args=args, prog_name="qinet", standalone_mode=True)
    except SystemExit as exc:
        return _exit_status(exc.code)
    except QinetError as exc:
        _print_error(str(exc))
        return 2 if isinstance(exc, ConfigError) else 1
    except KeyboardInterrupt:
        _print_error("interrupted")
        return 130
    return 0


def _exit_status(code: object) -> int:
    if code is None:
        return 0
    if isinstance(code, int):
        return code
    _print_error(str(code))
    return 1


def _print_error(message: str) -> None:
    from rich.console import Console
    from rich.text import Text

    # soft_wrap: one logical line, whatever the terminal width; Text: no markup parsing,
    # since messages hold user text such as "links[0].between".
    Console(stderr=True, soft_wrap=True, highlight=False).print(
        Text.assemble(("error:", "bold red"), " ", message))


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
