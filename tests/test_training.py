"""vgapp.lab.training: the engine's trace is an in-process run's, bit for bit; one training per spec
however many watch it; the cap queues with positions; the Playground controls do exactly what
they say; nobody watching means nothing trains and no process stays; failures surface as failed
snapshots; bad arguments are refused. Waits poll with a timeout, never sleep for correctness."""

from __future__ import annotations

import dataclasses
import os
import pickle
import signal
import sys
import threading
import time
from collections.abc import Callable

import numpy as np
import pytest

from vgapp.lab.controls import LAB_CONTROLS
from vgapp.lab.runs import LabRun, lab_data, spec_from_controls, train
from vgapp.lab.training import engine as training
from vgapp.lab.training import health as training_health
from vgapp.lab.training import processes as training_processes
from vgapp.lab.training.engine import (
    CANCELLED,
    FAILED,
    FINISHED,
    PAUSED,
    QUEUED,
    RUNNING,
    WAITING,
    Snapshot,
    TrainingEngine,
)
from vgcore.descent import gradient_descent

TIMEOUT_S = 60.0
DEFAULTS = {control.key: control.default for control in LAB_CONTROLS}
SMALL = {**DEFAULTS, "lab_depth": 2, "lab_width": 4, "lab_eta": "1e-3", "lab_eps": "1e-4",
         "lab_steps": 50}  # fmt: skip
STOPPING = {**SMALL, "lab_eps": "1e-2"}  # the parameter-change rule stops it at step 10
STOP_STEP = 10
BACKENDS = ["process", "thread"]


def spec_of(**changes):
    return spec_from_controls({**SMALL, **changes})


def reference(spec) -> LabRun:
    """The same run trained in this process (``vgapp.lab.runs.train``, to the budget)."""
    return train(spec, lab_data(spec.dataset, spec.seed), "reference")


def wait_for(condition: Callable[[], object], what: str, timeout: float = TIMEOUT_S):
    """Poll ``condition`` until it returns something true; fail naming ``what`` after timeout."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(0.005)
    raise AssertionError(f"timed out after {timeout} s waiting for {what}")


def watch_until(engine, session, specs, done: Callable[[tuple[Snapshot, ...]], bool], what):
    """Heartbeat with ``view`` until ``done(snapshots)``; the last snapshots."""
    seen: list[tuple[Snapshot, ...]] = []

    def poll():
        seen.append(engine.view(session, specs))
        return done(seen[-1])

    wait_for(poll, what)
    return seen[-1]


def settled(snapshots) -> bool:
    return all(s.status not in (QUEUED, RUNNING) for s in snapshots)


def assert_trace_equals(snapshot: Snapshot, run: LabRun, upto: int | None = None) -> None:
    """Every recorded row of ``snapshot`` equals the in-process trace, bit for bit."""
    result = run.result
    n = snapshot.recorded if upto is None else upto
    assert snapshot.recorded >= n
    for name in ("loss", "grad_norm", "param_norm"):
        assert np.array_equal(getattr(snapshot, name)[:n], getattr(result, name)[:n]), name
    for name in ("step_norm", "step_size"):
        assert np.array_equal(getattr(snapshot, name)[: n - 1], getattr(result, name)[: n - 1])
    for name in ("backprop_norms", "saturation"):
        assert np.array_equal(getattr(snapshot, name)[:n], result.extras[name][:n]), name


@pytest.fixture(params=BACKENDS)
def engine(request):
    engine = TrainingEngine(backend=request.param, watcher_timeout_s=30.0, idle_exit_s=30.0)
    yield engine
    engine.close()


@pytest.fixture
def process_engine():
    engine = TrainingEngine(backend="process", watcher_timeout_s=30.0, idle_exit_s=30.0)
    yield engine
    engine.close()


# ----------------------------------------------------------------------------- the trace


def test_trace_to_the_budget_equals_an_in_process_descent_bit_for_bit(engine):
    """Stopped by the rules, then continued: loss, norms, per-layer rows, first_fired, the
    stop and the parameters equal ``gradient_descent`` run here (via lab_runs.train)."""
    spec = spec_from_controls(STOPPING)
    run = reference(spec)
    assert run.result.stopped_by == "eps"
    assert run.stop_step == STOP_STEP

    (waiting,) = watch_until(engine, "s", (spec,), settled, "the rules' stop")
    assert waiting.status == WAITING
    assert waiting.steps_per_second > 0  # measured over the steps so far: what continuing costs
    assert waiting.seconds_left == pytest.approx(40 / waiting.steps_per_second)
    assert (waiting.step, waiting.stop_step, waiting.stopped_by) == (STOP_STEP, STOP_STEP, "eps")
    assert waiting.stop_loss == run.result.loss[STOP_STEP]
    assert np.array_equal(waiting.x_stop, run.x_stop)
    assert_trace_equals(waiting, run)

    engine.continue_past_stop(spec)
    (final,) = watch_until(engine, "s", (spec,), settled, "the budget")
    assert final.status == FINISHED
    assert final.continued
    assert final.step == final.budget == 50
    assert_trace_equals(final, run, upto=run.recorded)
    assert dict(final.first_fired) == run.result.first_fired
    assert np.array_equal(final.x_now, run.result.x)
    assert np.array_equal(final.x_stop, run.x_stop)
    assert final.n_evaluations == run.result.n_evaluations
    assert final.seconds_left is None


def test_trace_equals_gradient_descent_called_directly():
    """The pin against the core itself: the engine (thread backend, float16) and a bare
    ``gradient_descent`` on the lab's objective agree bit for bit."""
    from vgapp.lab.runs import initial_parameters, run_objective

    spec = spec_of(lab_dtype="float16", lab_activation="tanh", lab_steps=30)
    data = lab_data(spec.dataset, spec.seed)
    result = gradient_descent(
        run_objective(spec, data),
        initial_parameters(spec, data.X.shape[1]),
        step=spec.step_rule,
        eta=spec.eta,
        rules=spec.rules,
        dtype=spec.dtype,
        run_past_stop=True,
    )
    engine = TrainingEngine(backend="thread")
    try:
        engine.view("s", (spec,))
        engine.continue_past_stop(spec)
        (final,) = watch_until(engine, "s", (spec,), settled, "the budget")
    finally:
        engine.close()
    assert final.recorded == result.loss.size
    assert np.array_equal(final.loss, result.loss)
    assert np.array_equal(final.backprop_norms, result.extras["backprop_norms"])
    assert np.array_equal(final.x_now, result.x)


def test_a_finished_snapshot_holds_the_in_process_runs_stop(process_engine):
    """What ``vgapp.lab.view`` composes its charts from (the stop, its loss and parameters) is the
    in-process run's, after continuing to the budget."""
    spec = spec_from_controls(STOPPING)
    process_engine.view("s", (spec,))
    process_engine.continue_past_stop(spec)
    (final,) = watch_until(process_engine, "s", (spec,), settled, "the budget")
    theirs = reference(spec)
    assert final.stop_step == theirs.stop_step
    assert final.stopped_by == theirs.result.stopped_by
    assert final.stop_iter == theirs.result.stop_iter
    assert final.stop_loss == theirs.result.loss[theirs.stop_step]
    assert np.array_equal(final.x_stop, theirs.x_stop)


def test_snapshots_are_immutable(process_engine):
    """Snapshot arrays are read-only, and an early snapshot keeps its values."""
    spec = spec_from_controls(STOPPING)
    first = watch_until(process_engine, "s", (spec,), lambda s: s[0].step >= 0, "step 0")[0]
    loss0 = first.loss.copy()
    with pytest.raises(ValueError, match="read-only"):
        first.loss[0] = 1.0
    with pytest.raises(dataclasses.FrozenInstanceError):
        first.status = "x"
    process_engine.continue_past_stop(spec)
    watch_until(process_engine, "s", (spec,), settled, "the budget")
    assert np.array_equal(first.loss, loss0)
    assert first.loss.size == first.recorded
    copy = pickle.loads(pickle.dumps(first))
    assert np.array_equal(copy.loss, first.loss)
    assert copy.first_fired == first.first_fired


# ----------------------------------------------------------------------------- sharing and cap


def test_two_watchers_of_one_spec_share_one_training(engine):
    spec = spec_from_controls(STOPPING)
    a, b = engine.view("a", (spec,)), engine.view("b", (spec,))
    assert a[0].spec == b[0].spec
    done = watch_until(engine, "a", (spec,), settled, "the stop")
    assert engine.view("b", (spec,))[0].version == done[0].version
    assert engine.stats().trainings_started == 1


def test_coming_back_to_a_finished_setting_shows_it_without_training(process_engine):
    spec, other = spec_of(), spec_of(lab_seed=1)
    (done,) = watch_until(process_engine, "s", (spec,), settled, "the budget")
    assert done.status == FINISHED
    watch_until(process_engine, "s", (other,), settled, "the other run")
    started = process_engine.stats().trainings_started
    (again,) = process_engine.view("s", (spec,))
    assert again.status == FINISHED
    assert again.step == 50
    assert process_engine.stats().trainings_started == started


def test_the_cap_queues_extra_jobs_with_their_positions_and_runs_them_in_turn():
    """max_running=1: the second and third jobs are queued 1 and 2; each runs when a slot
    frees (a job waiting at the rules' stop does not hold a slot)."""
    engine = TrainingEngine(backend="process", max_running=1, watcher_timeout_s=30.0)
    specs = tuple(spec_from_controls({**STOPPING, "lab_seed": seed}) for seed in (0, 1, 2))
    try:
        first = engine.view("s", specs)
        assert [s.status for s in first] == [RUNNING, QUEUED, QUEUED]
        assert [s.queue_position for s in first] == [None, 1, 2]
        seen_running = []

        def all_settled(snapshots):
            seen_running.append(engine.stats().running)
            return settled(snapshots)

        final = watch_until(engine, "s", specs, all_settled, "all three")
        assert max(seen_running) <= 1
        assert engine.stats().trainings_started == 3
        for snapshot, spec in zip(final, specs, strict=True):
            assert snapshot.queue_position is None
            assert_trace_equals(snapshot, reference(spec))
    finally:
        engine.close()


def test_two_sessions_training_at_once_from_threads_get_the_right_results(process_engine):
    """Four threads (two sessions x yours and a comparison) call the engine at once."""
    specs = [spec_from_controls({**STOPPING, "lab_seed": seed}) for seed in (3, 4)]
    pairs = [(spec, dataclasses.replace(spec, activation="relu", init="he")) for spec in specs]
    results: dict[str, tuple[Snapshot, ...]] = {}
    errors: list[BaseException] = []

    def session(name: str, pair) -> None:
        try:
            process_engine.view(name, pair)
            for spec in pair:
                process_engine.continue_past_stop(spec)
            results[name] = watch_until(process_engine, name, pair, settled, name)
        except BaseException as error:  # reported below
            errors.append(error)

    threads = [
        threading.Thread(target=session, args=(f"session-{i}", pairs[i % 2])) for i in range(4)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(TIMEOUT_S)
    assert not errors
    assert process_engine.stats().trainings_started == 4  # two pairs, each trained once
    for i in range(4):
        for snapshot, spec in zip(results[f"session-{i}"], pairs[i % 2], strict=True):
            assert snapshot.status == FINISHED
            assert_trace_equals(snapshot, reference(spec), upto=51)


# ----------------------------------------------------------------------------- controls


@pytest.fixture(params=BACKENDS)
def one_slot_engine(request):
    engine = TrainingEngine(
        backend=request.param, max_running=1, watcher_timeout_s=30.0, idle_exit_s=30.0
    )
    yield engine
    engine.close()


def test_pause_step_resume_and_cancel_do_exactly_that(one_slot_engine):
    engine = one_slot_engine
    spec = spec_from_controls(STOPPING)
    run = reference(spec)
    # Paused while queued behind a long run, it holds before its first step: a pause sent to
    # a running job lands wherever the training has got to (a few steps of this tiny network
    # take a millisecond, and a pause that landed at step 9 would leave no room to step).
    busy = spec_of(lab_depth=8, lab_width=64, lab_steps=5000, lab_eps="off")
    assert [s.status for s in engine.view("s", (busy, spec))] == [RUNNING, QUEUED]
    engine.pause(spec)
    (paused,) = watch_until(engine, "s", (spec,), settled, "the pause")  # busy is unwatched
    assert paused.status == PAUSED
    assert paused.step == 0
    k = paused.step
    engine.step(spec, 2)
    (stepped,) = watch_until(
        engine, "s", (spec,), lambda s: settled(s) and s[0].step != k, "two steps"
    )
    assert stepped.status == PAUSED
    assert stepped.step == k + 2
    engine.resume(spec)  # play: on to the rules' stop, and it waits there
    (waiting,) = watch_until(engine, "s", (spec,), lambda s: s[0].status == WAITING, "the stop")
    assert waiting.step == STOP_STEP
    assert not waiting.continued
    engine.step(spec, 3)  # stepping at the stop goes past it
    (past,) = watch_until(
        engine, "s", (spec,), lambda s: s[0].status == PAUSED and s[0].step > STOP_STEP, "3 steps"
    )
    assert past.step == STOP_STEP + 3
    assert past.continued
    engine.cancel(spec)
    (cancelled,) = engine.view("s", (spec,))
    assert cancelled.status == CANCELLED
    assert cancelled.step == STOP_STEP + 3
    assert engine.view("s", (spec,))[0].status == CANCELLED  # viewing does not restart it
    engine.resume(spec)  # trains again from step 0; the known steps stay shown meanwhile
    (final,) = watch_until(engine, "s", (spec,), lambda s: s[0].status == FINISHED, "the end")
    assert final.step == 50
    assert_trace_equals(final, run, upto=51)
    assert engine.stats().trainings_started == 3  # busy, then this run twice


def test_resume_at_the_stop_continues_to_the_budget(process_engine):
    spec = spec_from_controls(STOPPING)
    (waiting,) = watch_until(process_engine, "s", (spec,), settled, "the stop")
    assert waiting.status == WAITING
    process_engine.resume(spec)
    (final,) = watch_until(process_engine, "s", (spec,), settled, "the budget")
    assert final.status == FINISHED
    assert final.step == 50
    assert final.continued
    assert final.stop_step == STOP_STEP  # the stop stays where the rules put it


def test_a_waiting_job_beyond_max_parked_gives_its_process_back_and_retrains_exactly():
    """max_parked=0: at the rules' stop the worker is freed; "continue" retrains from step 0
    (rows already known are not sent again) and the trace is still the in-process one."""
    engine = TrainingEngine(backend="process", max_running=1, max_parked=0)
    spec = spec_from_controls(STOPPING)
    try:
        (waiting,) = watch_until(engine, "s", (spec,), settled, "the stop")
        assert waiting.status == WAITING
        wait_for(lambda: engine.stats().parked == 0, "the process given back")
        engine.continue_past_stop(spec)
        (final,) = watch_until(engine, "s", (spec,), settled, "the budget")
        assert final.status == FINISHED
        assert_trace_equals(final, reference(spec), upto=51)
        assert engine.stats().trainings_started == 2
    finally:
        engine.close()


def test_a_parked_job_queued_for_a_slot_can_be_paused_again():
    """max_running=1: a job waiting at its stop keeps its process but no slot; resumed while
    another trains, it queues (position 1); paused, it holds its step again, and a slot freed
    later does not release it."""
    engine = TrainingEngine(backend="process", max_running=1, max_parked=2)
    parked = spec_from_controls(STOPPING)
    busy = spec_of(lab_depth=8, lab_width=64, lab_steps=5000, lab_eps="off")
    try:
        watch_until(engine, "s", (parked,), lambda s: s[0].status == WAITING, "the stop")
        engine.view("s", (parked, busy))
        engine.continue_past_stop(busy)
        watch_until(engine, "s", (parked, busy), lambda s: s[1].step >= 1, "the busy run")
        queued = engine.resume(parked)
        assert (queued.status, queued.queue_position) == (QUEUED, 1)
        again = engine.pause(parked)
        assert (again.status, again.queue_position, again.step) == (PAUSED, None, STOP_STEP)
        engine.cancel(busy)
        assert engine.view("s", (parked, busy))[0].status == PAUSED
        assert engine.stats().running == 0
    finally:
        engine.close()


# ----------------------------------------------------------------------------- leaving


def test_moving_to_another_setting_cancels_the_job_nobody_watches(process_engine):
    long_run = spec_of(lab_depth=4, lab_width=32, lab_steps=5000, lab_eps="off")
    process_engine.view("s", (long_run,))
    process_engine.continue_past_stop(long_run)
    watch_until(process_engine, "s", (long_run,), lambda s: s[0].step >= 1, "a few steps")
    other = spec_of(lab_seed=9)
    process_engine.view("s", (other,))
    left = process_engine.snapshot(long_run)
    assert left.status == CANCELLED
    assert left.step < 5000
    assert process_engine.stats().running <= 1
    # coming back shows what it had and trains on
    (back,) = process_engine.view("s", (long_run,))
    assert back.status in (RUNNING, QUEUED)
    assert back.step >= left.step


def test_a_job_whose_watchers_stop_polling_is_cancelled_and_every_process_exits():
    engine = TrainingEngine(backend="process", watcher_timeout_s=0.3, idle_exit_s=0.3)
    spec = spec_of(lab_depth=4, lab_width=32, lab_steps=5000, lab_eps="off")
    try:
        engine.view("s", (spec,))
        engine.continue_past_stop(spec)
        watch_until(engine, "s", (spec,), lambda s: s[0].step >= 1, "a few steps")
        processes = engine.worker_processes()
        assert processes
        # no more view() calls: the session's heartbeat stops
        wait_for(lambda: engine.snapshot(spec).status == CANCELLED, "the cancel")
        for process in processes:
            wait_for(lambda p=process: p.poll() is not None, f"worker {process.pid} to exit")
        assert engine.stats().workers == ()
    finally:
        engine.close()


def test_idle_warm_workers_exit_and_come_back_on_demand():
    engine = TrainingEngine(backend="process", watcher_timeout_s=0.3, idle_exit_s=0.3)
    try:
        engine.view("s", ())  # warm up, nothing to train
        processes = engine.worker_processes()
        assert len(processes) == engine.max_running
        engine.leave("s")
        for process in processes:
            wait_for(lambda p=process: p.poll() is not None, f"worker {process.pid} to exit")
        spec = spec_of()
        (done,) = watch_until(engine, "t", (spec,), settled, "a training after re-warming")
        assert done.status == FINISHED
    finally:
        engine.close()


@pytest.mark.skipif(not os.path.isdir("/proc/self/task"), reason="needs Linux /proc")
def test_workers_run_niced_with_one_blas_thread_and_leave_the_server_alone():
    """Each worker: the engine's niceness, and three threads only (its main thread, the one
    reading commands and the heartbeat: no BLAS thread pool); the server's environment and
    __main__ unchanged."""
    environment, main = dict(os.environ), sys.modules["__main__"]
    engine = TrainingEngine(backend="process", niceness=7)
    try:
        engine.view("s", ())
        wait_for(lambda: engine.stats().warm == engine.max_running, "warm workers")
        for process in engine.worker_processes():
            assert os.getpriority(os.PRIO_PROCESS, process.pid) - os.nice(0) == 7
            assert len(os.listdir(f"/proc/{process.pid}/task")) == 3
    finally:
        engine.close()
    assert dict(os.environ) == environment
    assert sys.modules["__main__"] is main


# ----------------------------------------------------------------------------- failures


def test_a_worker_that_keeps_dying_surfaces_as_a_failed_snapshot_after_the_retries(
    process_engine,
):
    """Its run is restarted on a fresh process MAX_RETRIES times; the next death fails it."""
    spec = spec_of(lab_depth=4, lab_width=32, lab_steps=5000, lab_eps="off")
    process_engine.view("s", (spec,))
    process_engine.continue_past_stop(spec)
    for restarts in range(training_health.MAX_RETRIES + 1):
        watch_until(
            process_engine,
            "s",
            (spec,),
            lambda s, r=restarts: s[0].restarts == r and process_engine.worker_of(spec),
            f"training after {restarts} restarts",
        )
        os.kill(process_engine.worker_of(spec), signal.SIGKILL)
    (failed,) = watch_until(process_engine, "s", (spec,), settled, "the failure")
    assert failed.status == FAILED
    assert failed.restarts == training_health.MAX_RETRIES
    assert "ended unexpectedly (signal 9)" in failed.error


def test_a_training_that_raises_surfaces_its_error_text(engine):
    spec = dataclasses.replace(spec_of(), dataset="no-such-set")
    (failed,) = watch_until(engine, "s", (spec,), settled, "the failure")
    assert failed.status == FAILED
    assert "ValueError" in failed.error
    assert "no-such-set" in failed.error
    # the worker is still usable
    (done,) = watch_until(engine, "s", (spec_of(),), settled, "a good run")
    assert done.status == FINISHED


def test_a_worker_that_never_gets_ready_is_killed_and_its_job_fails(monkeypatch):
    # a process that never says it is ready (a real worker may be ready within one tick)
    monkeypatch.setattr(training_processes, "WORKER_ARGS", ("-c", "import time; time.sleep(60)"))
    monkeypatch.setattr(training_health, "START_TIMEOUT_S", 0.5)
    engine = TrainingEngine(backend="process", max_running=1)
    try:
        (failed,) = watch_until(engine, "s", (spec_of(),), settled, "the failure")
        assert failed.status == FAILED
        assert failed.error == "the training process stopped answering"
        assert failed.restarts == training_health.MAX_RETRIES
    finally:
        engine.close()


def test_no_process_to_be_had_trains_in_a_thread(monkeypatch):
    def refuse(*args, **kwargs):
        raise OSError("no more processes")

    monkeypatch.setattr(training_processes.subprocess, "Popen", refuse)
    engine = TrainingEngine(backend="process")
    spec = spec_from_controls(STOPPING)
    try:
        (done,) = watch_until(engine, "s", (spec,), settled, "the stop")
        assert engine.backend == "thread"
        assert done.status == WAITING
        assert_trace_equals(done, reference(spec))
    finally:
        engine.close()


# ----------------------------------------------------------------------------- arguments


@pytest.mark.parametrize(
    ("arguments", "name"),
    [
        ({"max_running": 0}, "max_running must be an integer from 1 to 64"),
        ({"max_parked": -1}, "max_parked must be an integer from 0 to 64"),
        ({"watcher_timeout_s": 0}, r"watcher_timeout_s must be in \(0, 3600\]"),
        ({"idle_exit_s": float("nan")}, "idle_exit_s must be a number"),
        ({"memo_jobs": 1.5}, "memo_jobs must be an integer"),
        ({"niceness": 20}, "niceness must be an integer from 0 to 19"),
        ({"backend": "gpu"}, "backend must be one of process, thread"),
    ],
)
def test_bad_engine_arguments_name_the_parameter_and_its_range(arguments, name):
    with pytest.raises(ValueError, match=name):
        TrainingEngine(**arguments)


def test_bad_call_arguments_name_the_parameter_and_its_range():
    engine = TrainingEngine(backend="thread")
    spec = spec_of()
    try:
        with pytest.raises(ValueError, match="session must be a string of 1 to 200"):
            engine.view("", (spec,))
        with pytest.raises(ValueError, match="specs must hold 0 to 4 runs"):
            engine.view("s", (spec,) * 5)
        with pytest.raises(ValueError, match=r"specs\[0\] must be a RunSpec"):
            engine.view("s", ("moons",))
        with pytest.raises(ValueError, match="specs must be a sequence"):
            engine.view("s", spec)
        engine.view("s", (spec,))
        with pytest.raises(ValueError, match="n must be an integer from 1 to 50"):
            engine.step(spec, 0)
        with pytest.raises(ValueError, match="n must be an integer from 1 to 50"):
            engine.step(spec, 51)
        with pytest.raises(ValueError, match="spec must be a RunSpec"):
            engine.pause("moons")
        with pytest.raises(KeyError):
            engine.pause(spec_of(lab_seed=5))
    finally:
        engine.close()
    with pytest.raises(RuntimeError, match="closed"):
        engine.view("s", (spec,))


def test_memo_keeps_at_most_memo_jobs_that_nobody_watches():
    engine = TrainingEngine(backend="thread", memo_jobs=1)
    try:
        for seed in range(3):
            watch_until(engine, "s", (spec_of(lab_seed=seed),), settled, f"seed {seed}")
        engine.leave("s")
        wait_for(lambda: engine.stats().jobs <= 1, "the memo trimmed")
    finally:
        engine.close()


def test_default_engine_is_one_engine_that_starts_nothing_until_used():
    engine = training.default_engine()
    assert training.default_engine() is engine
    assert engine.stats().workers == ()
