"""The CNN recipe's clipping threshold, measured: clipped share of steps and accuracy per threshold.

Runs the recipe's defaults (4 epochs) on the digits and on a synthetic CIFAR-10-format sample,
once per threshold (0 = no clipping, the probe), and prints the probe's gradient-norm percentiles:
the clipping chapter's rule puts the threshold at a high percentile of an unclipped, stable run.

    python benchmarks/clip_sweep.py [--thresholds 0 2 5 10 20 40] [--cifar-images 5000]
"""
import argparse
import json
import sys
import tempfile
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "snippets" / "cnn_recipe"))
import cnn_train  # noqa: E402
from cifar_format import synthetic_cifar  # noqa: E402


def run(argv):
    """One recipe run; returns its per-step records and final result."""
    with tempfile.TemporaryDirectory() as tmp:
        parser = cnn_train.build_parser()
        args = parser.parse_args(argv + ["--out-dir", tmp, "--progress", "off"])
        device = cnn_train.check_args(args)
        cnn_train.prepare_out_dir(args)
        result = cnn_train.train(args, device, cnn_train.load_data(args))
        records = [json.loads(line) for line in Path(tmp, "metrics.jsonl").read_text().splitlines()]
    return [r for r in records if r["kind"] == "step"], result


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--thresholds", type=float, nargs="+", default=[0, 2, 5, 10, 20, 40])
    p.add_argument("--cifar-images", type=int, default=5000)
    args = p.parse_args()
    with tempfile.TemporaryDirectory() as data_dir:
        synthetic_cifar(data_dir, n_train=args.cifar_images, n_test=1000)
        setups = {"digits": [], "cifar-format sample": ["--dataset", "cifar10", "--data-dir", data_dir]}
        for name, argv in setups.items():
            print(f"\n{name}")
            for c in args.thresholds:
                steps, result = run(argv + ["--max-grad-norm", str(c)])
                norms = np.array([r["grad_norm"] for r in steps])
                if c == 0:
                    q = np.percentile(norms, [50, 90, 95, 99])
                    print(f"  probe (no clipping), {len(norms)} steps: median {q[0]:.2f}, "
                          f"p90 {q[1]:.2f}, p95 {q[2]:.2f}, p99 {q[3]:.2f}")
                clipped = float((norms > c).mean()) if c else 0.0
                print(f"  max-grad-norm {c:g}: clipped {100 * clipped:5.1f}% of steps, "
                      f"val acc {100 * result['val_acc']:.2f}%, test acc "
                      f"{100 * result['test_acc']:.2f}%", flush=True)


if __name__ == "__main__":
    main()
