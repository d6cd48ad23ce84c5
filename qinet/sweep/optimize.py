"""The cheapest design that meets a set of goals: a seeded search over scenario fields.

``--vary PATH=RANGE`` names a field with the path grammar of ``qinet sweep --set``
(:mod:`qinet.sweep.spec`) and the range it may take:

- ``1..50``: an integer from 1 to 50 (both ends);
- ``1ms..1s`` or ``0.5..0.99``: a number between the two ends, in the first end's unit,
  searched on a log scale when the ends differ by a factor of 100 or more (or when
  written ``log:1ms..1s``);
- ``10km..50km:5``, ``snspd,ingaas``: one of those values (the ``--set`` grammar).

``--goal METRIC>=X`` (or ``<=``) is a figure of the run's JSON document, a full path
(``demands[1].fidelity_mean``, ``key_demands[0].key_rate_bps``) or a bare name looked up
in ``demands[0]``, ``demands[0].key``, ``key_demands[0]``, ``qkd_links[0]``, ``cost`` and
the top level, in that order (``rate_hz``, ``fidelity_mean``, ``secret_key_rate_bps``).

Each trial is a point of the scenario, validated and named like a sweep's task
(:func:`qinet.sweep.execute.resolve`), and run only if the task store of ``out`` holds
no finished record of it; its record is written as soon as it finishes. The sampler is
optuna's TPE with a seed and the goals as constraints, so a rerun proposes the same
trials in the same order, finds them in the store and goes on where it stopped.

Trials run one at a time in this process, or, with ``workers`` or ``dask``, in batches
on the sweep's executors (:class:`qinet.sweep.execute.Runner`): the sampler is asked for
a batch of as many trials as there are workers (the last batch: those left), they run
in parallel, and their results are told to it in trial order once the whole batch is
back. Each ask of a batch sees the trials of the earlier batches only, so the search
depends on the batch size: the same seed and the same number of workers give the same
trials, in the same order, whatever order the runs finish in; another number of workers
gives another (equally valid) search, and one worker gives the serial one.

The objective is the network's capital cost (:func:`qinet.analysis.costs.capital_cost_eur`),
a function of the scenario alone. The best design is the cheapest trial meeting every
goal. The goal that *binds* is the one the cheaper trials failed most often (ties: the
least slack at the best design): what keeps the design from being cheaper. When no
cheaper trial was tried, no goal binds and the answer is ``"cost"``: the cheapest point
tried already meets every goal.
"""

from __future__ import annotations

import contextlib
import importlib
import math
import re
import warnings
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path
from typing import Any, Literal

from qinet.analysis.costs import CURRENCY, capital_cost_eur
from qinet.errors import ConfigError, QinetError
from qinet.scenario.loader import read_scenario
from qinet.sweep.execute import Point, Runner, resolve, run_task
from qinet.sweep.spec import _RANGE, _quantity, _ratio, parse_set, steps
from qinet.sweep.store import flatten, read_task, write_task

TABLE = "optimize.parquet"
COSTS = ("capital",)
LOG_SPAN = 100.0  # a range whose ends differ by this factor or more is searched in log
_GOAL = re.compile(r"^\s*(?P<metric>[^<>=]+?)\s*(?P<op>>=|<=)\s*(?P<value>\S+)\s*$")
# where a bare metric name is looked up, in order
_LOOKUP = ("demands[0].{}", "demands[0].key.{}", "key_demands[0].{}", "qkd_links[0].{}",
           "cost.{}", "{}")
INSTALL = "pip install 'qinet[planner]' (or: pip install optuna)"

Evaluate = Callable[[Mapping[str, Any]], dict[str, Any]]
Template = Callable[..., Mapping[str, Any]]  # the varied values by name -> scenario data
Progress = Callable[[int, int], object]  # (trials done, trials in all)


@dataclass(frozen=True, slots=True)
class Goal:
    """One ``--goal``: a metric, a sense and a threshold.

    Attributes:
        text: the goal as written (``rate_hz>=10``).
        metric: the metric as written (``rate_hz``).
        op: ``>=`` or ``<=``.
        threshold: the number the metric must reach.
    """

    text: str
    metric: str
    op: Literal[">=", "<="]
    threshold: float

    def slack(self, value: float | None) -> float | None:
        """How far ``value`` is inside the goal, relative to the threshold (negative:
        missed; ``None``: no value, e.g. a fidelity when no pair was delivered)."""
        if value is None or not math.isfinite(value):
            return None
        gap = value - self.threshold if self.op == ">=" else self.threshold - value
        return gap / abs(self.threshold) if self.threshold else gap


@dataclass(frozen=True, slots=True)
class Variable:
    """One ``--vary``: a field path and the values it may take.

    Attributes:
        text: the ``--vary`` as written.
        path: the field's path (``nodes[r*].memories``).
        kind: ``int`` (``low..high``), ``float`` (``low..high`` in ``unit``) or
            ``choice`` (one of ``choices``).
        low, high: the range's ends (in ``unit``).
        log: the range is searched on a log scale.
        unit: the unit of a ``float`` range (``ms``), or ``""``.
        choices: the values of a ``choice``.
    """

    text: str
    path: str
    kind: Literal["int", "float", "choice"]
    low: float = 0.0
    high: float = 0.0
    log: bool = False
    unit: str = ""
    choices: tuple[Any, ...] = ()

    def suggest(self, trial: Any) -> Any:
        """The value the optuna ``trial`` proposes, as a scenario file writes it."""
        if self.kind == "int":
            return trial.suggest_int(self.path, int(self.low), int(self.high), log=self.log)
        if self.kind == "float":
            value = trial.suggest_float(self.path, self.low, self.high, log=self.log)
            return f"{value:.6g} {self.unit}" if self.unit else float(f"{value:.6g}")
        return trial.suggest_categorical(self.path, list(self.choices))


@dataclass(frozen=True, slots=True)
class GoalCheck:
    """A goal at one trial.

    Attributes:
        goal: the goal as written.
        metric: the document path it was read from (``demands[0].rate_hz``).
        value: the metric's value (``None``: the run gave none).
        threshold: the goal's threshold.
        slack: ``(value - threshold) / |threshold|`` for ``>=`` (the reverse for
            ``<=``); negative when missed, ``None`` without a value.
        met: the goal holds.
    """

    goal: str
    metric: str
    value: float | None
    threshold: float
    slack: float | None
    met: bool


@dataclass(frozen=True, slots=True)
class Trial:
    """One design tried.

    Attributes:
        number: its place in the search, from 0.
        task: the task's name in the store (the scenario's content hash).
        params: each varied path and the value the validated scenario took there.
        status: ``ok`` or ``failed`` (the run raised; ``error`` says what).
        cost_eur: the capital cost of the design.
        goals: each goal at this design.
        feasible: every goal is met.
        reused: the record came from the store (an earlier trial or run).
        error: the failure, else ``None``.
    """

    number: int
    task: str
    params: dict[str, Any]
    status: str
    cost_eur: float
    goals: tuple[GoalCheck, ...]
    feasible: bool
    reused: bool
    error: str | None = None


@dataclass(frozen=True, slots=True)
class OptimizeResult:
    """The outcome of :func:`optimize`.

    Attributes:
        best: the cheapest feasible trial, or ``None`` when no trial met every goal.
        binding: the goal (as written) that keeps the design from being cheaper,
            ``"cost"`` when none does, ``None`` without a best design.
        trials: every trial, in the order tried.
        currency: the currency of every ``_eur`` figure.
        objective: what was minimised (``capital``).
        seed: the sampler's seed.
        notes: why there is no best design, or why nothing binds.
        closest: without a best design, the trial that missed the goals by least (the
            sum of its relative shortfalls; ties: the cheaper), else ``None``.
    """

    best: Trial | None
    binding: str | None
    trials: tuple[Trial, ...]
    currency: str = CURRENCY
    objective: str = "capital"
    seed: int = 0
    notes: tuple[str, ...] = field(default_factory=tuple)
    closest: Trial | None = None

    @property
    def reused(self) -> int:
        """Trials whose run came from the store rather than being run now."""
        return sum(t.reused for t in self.trials)

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dict (``qinet optimize --json``)."""
        out: dict[str, Any] = asdict(self)
        out["reused"] = self.reused
        return out

    def table(self) -> Any:
        """The trials as a pandas DataFrame: ``trial``, ``task``, ``status``, each varied
        path, ``cost_eur``, each goal's metric value (column: the goal's text) and
        ``feasible``."""
        pandas = importlib.import_module("pandas")  # untyped: reached by name
        rows = []
        for t in self.trials:
            row: dict[str, Any] = {"trial": t.number, "task": t.task, "status": t.status}
            row.update(t.params)
            row["cost_eur"] = t.cost_eur
            row.update({g.goal: g.value for g in t.goals})
            row.update(feasible=t.feasible, reused=t.reused, error=t.error)
            rows.append(row)
        return pandas.DataFrame(rows)


def parse_goal(text: str) -> Goal:
    """Read one ``--goal METRIC>=X`` (or ``<=``).

    Examples:
        >>> parse_goal("rate_hz>=10")
        Goal(text='rate_hz>=10', metric='rate_hz', op='>=', threshold=10.0)
        >>> parse_goal("demands[1].latency_p99_s <= 2e-3").threshold
        0.002

    Raises:
        ConfigError: naming ``--goal`` and the text.
    """
    match = _GOAL.match(text)
    where = f"--goal {text!r}"
    if match is None:
        raise ConfigError(where, "write METRIC>=NUMBER or METRIC<=NUMBER, e.g. rate_hz>=10")
    try:
        threshold = float(match["value"])
    except ValueError:
        raise ConfigError(where, f"the threshold is a plain number, got "
                                 f"{match['value']!r}") from None
    if not math.isfinite(threshold):
        raise ConfigError(where, f"the threshold must be finite, got {threshold}")
    op: Literal[">=", "<="] = ">=" if match["op"] == ">=" else "<="
    return Goal(text, match["metric"], op, threshold)


def parse_vary(text: str) -> Variable:
    """Read one ``--vary PATH=RANGE`` (grammar in the module docstring).

    Examples:
        >>> v = parse_vary("nodes[r*].memories=1..50")
        >>> v.kind, v.low, v.high
        ('int', 1.0, 50.0)
        >>> v = parse_vary("policy.cutoff=1ms..1s")
        >>> v.kind, v.low, v.high, v.unit, v.log
        ('float', 1.0, 1000.0, 'ms', True)
        >>> parse_vary("links[0].detector=snspd,ingaas").choices
        ('snspd', 'ingaas')

    Raises:
        ConfigError: naming ``--vary`` and the text.
    """
    where = f"--vary {text!r}"
    path, sep, spec = (part.strip() for part in text.partition("="))
    if not sep or not path or not spec:
        raise ConfigError(where, "write PATH=RANGE, e.g. nodes[r*].memories=1..50")
    steps(path, where)
    match = _RANGE.match(spec)
    if match is None or match["count"] is not None:
        try:
            axis = parse_set(f"{path}={spec}")
        except ConfigError as exc:
            raise ConfigError(where, exc.reason) from None
        return Variable(text, path, "choice", choices=tuple(dict.fromkeys(axis.values)))
    low, unit = _quantity(match["start"], where)
    high, high_unit = _quantity(match["stop"], where)
    if high_unit != unit:
        high *= _ratio(high_unit, unit, where)
    if not high > low:
        raise ConfigError(where, f"the range must run upwards, got {spec!r}")
    written = match["start"] + match["stop"]
    log = match["log"] is not None
    if log and low <= 0:
        raise ConfigError(where, "a log range needs both ends above zero")
    if not unit and not log and not any(c in written for c in ".eE"):
        return Variable(text, path, "int", low, high)
    log = log or (low > 0 and high / low >= LOG_SPAN)
    return Variable(text, path, "float", low, high, log, unit)


def metric_value(document: Mapping[str, Any], metric: str) -> tuple[str, Any]:
    """The path and value of ``metric`` in a run's document (lookup in the module
    docstring); the path is ``""`` when the document has no such figure.

    Examples:
        >>> metric_value({"demands": [{"rate_hz": 5.0}]}, "rate_hz")
        ('demands[0].rate_hz', 5.0)
        >>> metric_value({"cost": {"capital_cost_eur": 9.0}}, "capital_cost_eur")
        ('cost.capital_cost_eur', 9.0)
    """
    flat = flatten(document)
    candidates = ([metric] if any(c in metric for c in ".[") else
                  [form.format(metric) for form in _LOOKUP])
    for path in candidates:
        if path in flat:
            return path, flat[path]
    # a figure that is null in this run (a fidelity without pairs) flattens to nothing
    # below it, but a full path still names it
    return "", None


def optimize(scenario: str | Path | Mapping[str, Any] | Template | None, goals: Sequence[str],
             vary: Sequence[str], *, cost: str = "capital", trials: int = 50,
             seed: int = 0, out: str | Path | None = None, duration: str | None = None,
             evaluate: Evaluate | None = None, workers: int | None = None,
             dask: str | None = None, progress: Progress | None = None) -> OptimizeResult:
    """Search for the cheapest design of ``scenario`` that meets every goal.

    Args:
        scenario: a preset name, a YAML file, or scenario data; ``None``: metro-link.
            Or a template: a function that takes the varied values by name (each
            ``--vary`` path is then a keyword, e.g. ``relays=0..20``) and returns the
            scenario data, for designs whose structure changes (the number of nodes).
        goals: the ``METRIC>=X`` / ``METRIC<=X`` texts (see :func:`parse_goal`).
        vary: the ``PATH=RANGE`` texts (see :func:`parse_vary`).
        cost: what to minimise; ``capital`` (the capital cost, euros).
        trials: designs to try (runs already in the store count, and cost nothing);
            the search stops sooner once every design of a finite space (integer ranges
            and lists only) has been tried.
        seed: the sampler's seed; the same seed, scenario and options give the same
            trials in the same order.
        out: the folder of the task store (``tasks/``) and the trials' table
            (``optimize.parquet``); ``None``: nothing is stored, nothing resumed.
        duration: the simulated time of every run, e.g. ``"50 ms"``.
        evaluate: turns scenario data into the run's JSON document; default: run
            the simulation (:func:`qinet.sweep.execute.run_task`). A closed-form
            stand-in makes tests and planning studies fast. With ``workers`` or
            ``dask`` it runs in other processes, so it must be a module's function.
        workers: run each batch of this many trials on as many local processes
            (module docstring); ``None``: one trial at a time, in this process.
        dask: run each batch on the ``dask.distributed`` scheduler at this address,
            as many trials to a batch as it has worker threads.
        progress: called with (trials done, trials in all) after each trial.

    Returns:
        The best design, the goal that binds, and every trial.

    Raises:
        ConfigError: a bad goal, range, cost, trial count, worker count, or a design
            the schema refuses; a goal naming a metric the runs do not report; no
            scheduler at ``dask``.
        QinetError: optuna is not installed (the message says how to install it), or
            a record could not be written.

    Examples:
        >>> from qinet.sweep.optimize import optimize
        >>> def closed_form(data):  # rate grows with memories; no simulation
        ...     memories = data["nodes"][0]["memories"]
        ...     return {"demands": [{"rate_hz": 3.0 * memories}]}
        >>> result = optimize("metro-link", ["rate_hz>=20"], ["nodes[alice].memories=1..12"],
        ...                   trials=30, seed=1, evaluate=closed_form)
        >>> result.best.params, result.binding
        ({'nodes[alice].memories': 7}, 'rate_hz>=20')
    """
    optuna = _optuna()
    if cost not in COSTS:
        raise ConfigError("--cost", f"must be one of {', '.join(COSTS)}, got {cost!r}")
    if trials < 1:
        raise ConfigError("--trials", f"must be at least 1, got {trials}")
    if not goals:
        raise ConfigError("--goal", "give at least one goal, e.g. --goal 'rate_hz>=10'")
    if not vary:
        raise ConfigError("--vary", "give at least one field to vary, e.g. "
                                    "--vary 'nodes[r*].memories=1..50'")
    parsed_goals = [parse_goal(text) for text in goals]
    variables = [parse_vary(text) for text in vary]
    paths = [v.path for v in variables]
    for path in paths:
        if paths.count(path) > 1:
            raise ConfigError("--vary", f"{path!r} is varied twice; give it one --vary")
    template: Template | None = None
    base: dict[str, Any] | None = None
    if callable(scenario):
        template = scenario
    else:
        base = resolve(scenario, [], duration=duration)[0].data
    if workers is not None and workers < 1:
        raise ConfigError("--workers", f"must be at least 1, got {workers}")
    folder = None if out is None else Path(out)
    done: dict[str, dict[str, Any]] = {}  # task -> record, this search's own
    tried: list[Trial] = []
    space = _space_size(variables)
    parallel = workers is not None or dask is not None
    with _quiet(optuna), (Runner(workers=workers, dask=dask, run=evaluate) if parallel
                          else contextlib.nullcontext()) as runner:
        study = optuna.create_study(direction="minimize", sampler=_sampler(optuna, seed))
        batch = 1 if runner is None else runner.slots
        while len(tried) < trials:
            asked = [study.ask() for _ in range(min(batch, trials - len(tried)))]
            points = [_point(template, base, {v.path: v.suggest(t) for v in variables},
                          duration) for t in asked]
            if runner is None:
                records = [_record(points[0], folder, done, evaluate or run_task)]
            else:
                records = _records(points, folder, done, runner)
            for trial, point, (record, reused) in zip(asked, points, records, strict=True):
                outcome = _trial(len(tried), point.task, point.params, record, reused,
                                 parsed_goals,
                                 capital_cost_eur(read_scenario(point.data).scenario))
                tried.append(outcome)
                if outcome.status == "ok":
                    _constrain(trial, [_violation(g) for g in outcome.goals])
                    study.tell(trial, outcome.cost_eur)
                else:
                    study.tell(trial, state=optuna.trial.TrialState.FAIL)
                if progress is not None:
                    progress(len(tried), trials)
            if len({t.task for t in tried}) == space:
                break  # every design of a finite space tried: more trials only repeat
    result = _result(tuple(tried), parsed_goals, seed=seed, objective=cost)
    if len(tried) < trials:
        result = replace(result, notes=(*result.notes, f"all {space} designs tried after "
                                                       f"{len(tried)} trials"))
    if folder is not None:
        _write_table(folder, result)
    return result


def _space_size(variables: Sequence[Variable]) -> int | None:
    """How many designs the ranges hold, or ``None`` when one is continuous."""
    if any(v.kind == "float" for v in variables):
        return None
    return math.prod(int(v.high - v.low) + 1 if v.kind == "int" else len(v.choices)
                     for v in variables)


def _point(template: Template | None, base: Mapping[str, Any] | None,
           values: Mapping[str, Any], duration: str | None) -> Point:
    """The trial's scenario point: the template called with the values, or the base
    scenario with each value set at its path (as ``qinet sweep --set`` does)."""
    if template is not None:
        point = resolve(template(**values), [], duration=duration)[0]
        return Point(point.task, dict(values), point.data)
    try:
        return resolve(base, [f"{path}={_text(value)}" for path, value in values.items()])[0]
    except ConfigError as exc:
        # the design came from --vary, not from a --set the user wrote
        shown = ", ".join(f"{path}={_text(value)}" for path, value in values.items())
        reason = exc.reason.split(": ", 1)[-1] if exc.reason.startswith("at ") else exc.reason
        raise ConfigError("--vary", f"the design {shown} is refused: {reason}") from None


def _optuna() -> Any:
    try:
        # an optional extra, untyped where it matters here: reached by name
        return importlib.import_module("optuna")
    except ImportError:
        raise QinetError(f"optimisation needs optuna, which is not installed: {INSTALL}") \
            from None


def _sampler(optuna: Any, seed: int) -> Any:
    if hasattr(optuna.trial.Trial, "set_constraint"):
        return optuna.samplers.TPESampler(seed=seed)  # optuna >= 5 reads trial constraints

    def constraints(frozen: Any) -> Sequence[float]:
        # optuna reads a value <= 0 as a constraint met
        return list(frozen.user_attrs.get("violations", [1.0]))

    with warnings.catch_warnings():
        # constraints_func is marked experimental in optuna; its behaviour is what we use
        warnings.simplefilter("ignore", optuna.exceptions.ExperimentalWarning)
        return optuna.samplers.TPESampler(seed=seed, constraints_func=constraints)


def _constrain(trial: Any, violations: Sequence[float]) -> None:
    """Give the sampler the goals' violations (a value <= 0: met)."""
    if hasattr(trial, "set_constraint"):
        for i, violation in enumerate(violations):
            trial.set_constraint(f"goal{i}", violation)
    else:  # optuna < 5: read back by the sampler's constraints_func
        trial.set_user_attr("violations", list(violations))


@contextlib.contextmanager
def _quiet(optuna: Any) -> Iterator[None]:
    """optuna logs a line per trial; hush it for the search and restore it after."""
    before = optuna.logging.get_verbosity()
    optuna.logging.set_verbosity(optuna.logging.WARNING)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", optuna.exceptions.ExperimentalWarning)
            yield
    finally:
        optuna.logging.set_verbosity(before)


def _text(value: Any) -> str:
    return str(value).lower() if isinstance(value, bool) else str(value)


def _record(point: Point, folder: Path | None, done: dict[str, dict[str, Any]],
            run: Evaluate) -> tuple[dict[str, Any], bool]:
    """The task's record: from this search, from the store, or run now (and stored)."""
    known = _known(point.task, folder, done)
    if known is not None:
        return known, True
    try:
        document: dict[str, Any] | None = run(point.data)
        error = None
    except (QinetError, ArithmeticError, ValueError, RuntimeError) as exc:
        document, error = None, f"{type(exc).__name__}: {exc}"
    return _store(point, document, error, folder, done), False


def _records(points: Sequence[Point], folder: Path | None, done: dict[str, dict[str, Any]],
             runner: Runner) -> list[tuple[dict[str, Any], bool]]:
    """A batch's records, in the batch's order: those of this search or the store, and
    the others run on ``runner`` in parallel (a design asked twice runs once), each
    stored as it finishes."""
    pending = {p.task: p for p in points if _known(p.task, folder, done) is None}
    for name, document, error in runner.map([(t, p.data) for t, p in pending.items()]):
        _store(pending[name], document, error, folder, done)
    records = []
    for point in points:
        # run now: the first trial of the batch to ask for it; the others reuse it
        records.append((done[point.task], pending.pop(point.task, None) is None))
    return records


def _known(task: str, folder: Path | None,
           done: dict[str, dict[str, Any]]) -> dict[str, Any] | None:
    """The task's finished record from this search or from the store, else ``None``."""
    if task in done:
        return done[task]
    stored = read_task(folder, task) if folder is not None else None
    if stored is not None and stored.get("status") == "ok":
        done[task] = stored
        return stored
    return None


def _store(point: Point, document: dict[str, Any] | None, error: str | None,
           folder: Path | None, done: dict[str, dict[str, Any]]) -> dict[str, Any]:
    record = {"task": point.task, "status": "ok" if error is None else "failed",
              "error": error, "params": dict(point.params), "document": document}
    if folder is not None:
        write_task(folder, point.task, record)
    done[point.task] = record
    return record


def _trial(number: int, task: str, params: Mapping[str, Any], record: Mapping[str, Any],
           reused: bool, goals: Sequence[Goal], cost_eur: float) -> Trial:
    document = record.get("document")
    if record.get("status") != "ok" or not isinstance(document, Mapping):
        return Trial(number, task, dict(params), "failed", cost_eur, (), False, reused,
                     record.get("error") or "no document")
    checks = []
    for goal in goals:
        path, value = metric_value(document, goal.metric)
        if not path and goal.metric not in _nulls(document):
            raise ConfigError(f"--goal {goal.text!r}", f"the run reports no metric "
                              f"{goal.metric!r}; e.g. {_examples(document)}")
        number_ = float(value) if isinstance(value, int | float) and not isinstance(
            value, bool) else None
        slack = goal.slack(number_)
        checks.append(GoalCheck(goal.text, path or goal.metric, number_, goal.threshold,
                                slack, slack is not None and slack >= 0))
    return Trial(number, task, dict(params), "ok", cost_eur, tuple(checks),
                 all(c.met for c in checks), reused)


def _nulls(document: Mapping[str, Any]) -> set[str]:
    """Bare names and paths of the document's null figures (a fidelity without pairs)."""
    out: set[str] = set()

    def walk(value: Any, prefix: str) -> None:
        if isinstance(value, Mapping):
            for key, item in value.items():
                walk(item, f"{prefix}.{key}" if prefix else str(key))
        elif isinstance(value, list):
            for i, item in enumerate(value):
                walk(item, f"{prefix}[{i}]")
        elif value is None:
            out.update({prefix, prefix.rsplit(".", 1)[-1]})

    walk(document, "")
    return out


def _examples(document: Mapping[str, Any]) -> str:
    demands = document.get("demands") or [{}]
    names = [k for k, v in demands[0].items() if isinstance(v, int | float)][:6]
    return ", ".join(names) or "a full path such as key_demands[0].key_rate_bps"


def _violation(check: GoalCheck) -> float:
    # relative shortfall: <= 0 when met; a missing value is a plain miss
    return 1.0 if check.slack is None else -check.slack


def _result(trials: tuple[Trial, ...], goals: Sequence[Goal], *, seed: int,
            objective: str) -> OptimizeResult:
    feasible = [t for t in trials if t.feasible]
    if not feasible:
        ran = [t for t in trials if t.status == "ok"]
        closest = min(ran, key=lambda t: (sum(max(0.0, _violation(c)) for c in t.goals),
                                          t.cost_eur, t.number), default=None)
        return OptimizeResult(None, None, trials, seed=seed, objective=objective,
                              notes=("no design tried meets every goal; widen the ranges "
                                     "or run more trials",), closest=closest)
    best = min(feasible, key=lambda t: (t.cost_eur, t.number))
    cheaper = [t for t in trials if t.status == "ok" and t.cost_eur < best.cost_eur]
    if not cheaper:
        return OptimizeResult(best, "cost", trials, seed=seed, objective=objective,
                              notes=("no goal binds: the cheapest design tried meets every "
                                     "goal",))
    misses = {g.text: sum(not t.goals[i].met for t in cheaper) for i, g in enumerate(goals)}
    slack = {c.goal: (c.slack if c.slack is not None else math.inf) for c in best.goals}
    binding = max(misses, key=lambda text: (misses[text], -slack[text]))
    return OptimizeResult(best, binding, trials, seed=seed, objective=objective)


def _write_table(folder: Path, result: OptimizeResult) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    table = result.table()
    for column in table.columns:
        # a parameter that is a number in one trial and text in another is stored as text
        if table[column].dtype == object:
            table[column] = table[column].map(lambda v: None if v is None else str(v))
    path = folder / TABLE
    try:
        table.to_parquet(path, index=False)
    except OSError as exc:
        raise QinetError(f"--out: cannot write {str(path)!r}: {exc.strerror or exc}") from None
