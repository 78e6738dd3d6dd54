"""A tiny progress bar for stderr (no tqdm needed): steps, rate, time left and a few numbers."""
import sys
import time


class ProgressBar:
    def __init__(self, total, desc="", stream=None, enabled=True, width=24, every_s=0.2):
        self.total, self.desc, self.width, self.every_s = total, desc, width, every_s
        self.stream = stream or sys.stderr
        self.enabled = enabled
        self.n, self.info, self.start, self.last, self.drawn = 0, "", time.perf_counter(), 0.0, -1

    def update(self, n=1, **info):
        self.n += n
        if info:
            self.info = "  ".join(f"{k} {v:.4g}" if isinstance(v, float) else f"{k} {v}"
                                  for k, v in info.items())
        now = time.perf_counter()
        if self.enabled and (now - self.last >= self.every_s or self.n >= self.total):
            self.last = now
            self._draw(now)

    def _draw(self, now):
        self.drawn = self.n
        frac = min(1.0, self.n / max(1, self.total))
        filled = int(frac * self.width)
        elapsed = now - self.start
        rate = self.n / elapsed if elapsed > 0 else 0.0
        left = (self.total - self.n) / rate if rate > 0 else 0.0
        bar = "#" * filled + "-" * (self.width - filled)
        self.stream.write(f"\r{self.desc} [{bar}] {self.n}/{self.total} "
                          f"{rate:.1f} it/s, {left:.0f}s left  {self.info}\033[K")
        self.stream.flush()

    def close(self):
        if self.enabled:
            if self.drawn != self.n:
                self._draw(time.perf_counter())
            self.stream.write("\n")
            self.stream.flush()


if __name__ == "__main__":
    bar = ProgressBar(40, desc="demo")
    for i in range(40):
        time.sleep(0.02)
        bar.update(loss=1.0 / (i + 1))
    bar.close()
