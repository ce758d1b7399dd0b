"""Progress of a comparison on stderr: jobs done, elapsed time, and an estimate of the rest.

The estimate comes from measured costs: each model's remaining jobs times
its mean job time so far; a model with no finished job yet counts the mean
over the models measured. Jobs of one model cost about the same on every
split, while models differ by orders of magnitude (a ridge fit against a
learned task structure), so a rate over all jobs (tqdm's) misleads at the
start of a run. A timer thread redraws the line even when no job finishes
(every second on a terminal, every 10 s into a log file), and the estimate
counts down between jobs. Nothing appears before ``delay`` seconds, so short
runs print nothing.
"""

import sys
import threading
import time

DELAY = 2.0  # seconds before the first line
TTY_INTERVAL = 1.0  # redraw period on a terminal (the line is rewritten in place)
LOG_INTERVAL = 10.0  # period of the new lines written into a file or pipe


def duration(seconds):
    """``"42 s"``, ``"3 min 05 s"``, ``"1 h 02 min"``."""
    seconds = max(0, int(round(seconds)))
    if seconds < 60:
        return f"{seconds} s"
    minutes, seconds = divmod(seconds, 60)
    if minutes < 60:
        return f"{minutes} min {seconds:02d} s"
    hours, minutes = divmod(minutes, 60)
    return f"{hours} h {minutes:02d} min"


class _Silent:
    def update(self, n=1, name=None, seconds=None):
        pass

    def close(self):
        pass


class Progress:
    """``compare: [###...] 12/48 jobs, 1 min 02 s elapsed, ~4 min 10 s left``.

    Parameters
    ----------
    total : int
        Number of jobs.
    jobs : dict of str to int, default=None
        Jobs per model (the estimate's weights); None: one anonymous model.
    n_workers : int, default=1
        Jobs running at once; the estimated work left is shared among them.
    desc : str, default=""
    file : file object, default=None
        ``sys.stderr`` when None.
    delay : float, default=DELAY
        Seconds before the first line.
    interval : float, default=None
        Seconds between redraws when no job finishes; default
        ``TTY_INTERVAL`` on a terminal, ``LOG_INTERVAL`` otherwise.
    clock : callable, default=time.perf_counter
    """

    def __init__(self, total, jobs=None, n_workers=1, desc="", file=None, delay=DELAY,
                 interval=None, clock=time.perf_counter):
        self.total, self.desc, self.delay, self.clock = total, desc, delay, clock
        self.file = sys.stderr if file is None else file
        self.tty = bool(getattr(self.file, "isatty", lambda: False)())
        self.interval = interval if interval is not None else (
            TTY_INTERVAL if self.tty else LOG_INTERVAL)
        self.remaining = dict(jobs) if jobs else {None: total}
        self.n_workers = max(1, int(n_workers))
        self.times = {}  # model -> [seconds of each finished job]
        self.n = 0
        self.start = self.last_done = clock()
        self.shown, self.drawn = False, self.start
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._tick, name="mtlclassic-progress",
                                        daemon=True)
        self._thread.start()

    # -- the estimate --------------------------------------------------------------
    def work_left(self):
        """Seconds of job time left, summed over models (None before any job finished)."""
        means = {m: sum(t) / len(t) for m, t in self.times.items() if t}
        if not means:
            return None
        fallback = sum(means.values()) / len(means)
        return sum(count * means.get(model, fallback)
                   for model, count in self.remaining.items() if count > 0)

    def estimate(self, now=None):
        """Wall-clock seconds left: the work left shared by the workers, minus the time
        spent on it since the last job finished; None when nothing is measured yet."""
        work = self.work_left()
        if work is None:
            return None
        now = self.clock() if now is None else now
        left = self.total - self.n
        return work / max(1, min(self.n_workers, left)) - (now - self.last_done)

    # -- updates -------------------------------------------------------------------
    def update(self, n=1, name=None, seconds=None):
        """``n`` jobs finished; ``seconds`` is the measured cost of one job of model ``name``."""
        with self._lock:
            self.n += n
            self.last_done = self.clock()
            key = name if name in self.remaining else None
            if key in self.remaining:
                self.remaining[key] = max(0, self.remaining[key] - n)
            if seconds is not None:
                self.times.setdefault(key, []).extend([float(seconds)] * n)
        self._draw()

    def line(self, now=None):
        now = self.clock() if now is None else now
        width = 20
        done = int(width * self.n / max(self.total, 1))
        text = (f"{self.desc}: [{'#' * done}{'.' * (width - done)}] {self.n}/{self.total} jobs, "
                f"{duration(now - self.start)} elapsed")
        if self.n >= self.total:
            return text + ", done"
        left = self.estimate(now)
        if left is None:
            return text + ", time left estimated once a job has finished"
        if left <= 0:
            return text + ", longer than estimated: waiting for a job to finish"
        return text + f", ~{duration(left)} left"

    def _draw(self, force=False):
        with self._lock:
            now = self.clock()
            if not force and now - self.start < self.delay:
                return
            # Into a log, one line per interval (and the last one), not one per job.
            if (not self.tty and self.shown and self.n < self.total
                    and now - self.drawn < 0.99 * self.interval):
                return
            self.drawn = now
            text = self.line(now)
            if self.tty:
                self.file.write(f"\r{text} \x1b[K")  # rewrite the line, clear what remains
            else:
                self.file.write(text + "\n")
            self.file.flush()
            self.shown = True

    def _tick(self):
        while not self._stop.wait(self.interval):
            self._draw()

    def close(self):
        self._stop.set()
        self._thread.join()
        with self._lock:
            if self.shown and self.tty:
                self.file.write("\n")
                self.file.flush()


def progress_bar(total, enabled=True, desc="", file=None, delay=DELAY, jobs=None, n_workers=1,
                 interval=None):
    """An object with ``update(n, name=None, seconds=None)`` and ``close()``.

    See :class:`Progress`; nothing is shown when ``enabled`` is false.
    """
    if not enabled:
        return _Silent()
    return Progress(total, jobs=jobs, n_workers=n_workers, desc=desc, file=file, delay=delay,
                    interval=interval)
