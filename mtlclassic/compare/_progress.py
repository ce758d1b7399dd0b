"""A progress bar on stderr: tqdm when installed, else a minimal one; nothing when disabled.

Both appear only once the run has lasted ``delay`` seconds, so short runs
print nothing.
"""

import sys
import time

DELAY = 2.0  # seconds before the bar appears


class _Silent:
    def update(self, n=1):
        pass

    def close(self):
        pass


class _Minimal:
    """``desc: k/total [elapsed, ~remaining]`` rewritten in place on a terminal line."""

    def __init__(self, total, desc, file, delay):
        self.total, self.desc, self.file, self.delay = total, desc, file, delay
        self.n, self.start, self.shown = 0, time.perf_counter(), False

    def update(self, n=1):
        self.n += n
        elapsed = time.perf_counter() - self.start
        if elapsed < self.delay:
            return
        rest = elapsed / self.n * (self.total - self.n) if self.n else float("nan")
        width = 30
        done = int(width * self.n / max(self.total, 1))
        self.file.write(f"\r{self.desc}: [{'#' * done}{'.' * (width - done)}] "
                        f"{self.n}/{self.total} {elapsed:.0f}s elapsed, ~{rest:.0f}s left ")
        self.file.flush()
        self.shown = True

    def close(self):
        if self.shown:
            self.file.write("\n")
            self.file.flush()


def progress_bar(total, enabled=True, desc="", file=None, delay=DELAY, use_tqdm=True):
    """An object with ``update(n)`` and ``close()``."""
    if not enabled:
        return _Silent()
    file = sys.stderr if file is None else file
    if use_tqdm:
        try:
            from tqdm.auto import tqdm
        except ImportError:
            pass
        else:
            return tqdm(total=total, desc=desc, file=file, delay=delay, leave=False,
                        unit="fit")
    return _Minimal(total, desc, file, delay)
