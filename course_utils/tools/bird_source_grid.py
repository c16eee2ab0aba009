"""Lesson 7's bird-source transfer grid: every training-set size, method, depth and seed, into a CSV.

The lesson pretrains a small CNN (a Conv-4 at 48 px) on 80 CUB species that are not its 10, then
transfers it to the 10 species (``course_utils.lessons.bird_source``). It runs a live slice of
the grid; this command runs all of it and writes ``docs/results/07_bird_source_grid.csv``, which
the lesson reads. It uses the lesson's own splits (``load_bird_datasets``, seed 42, 20% of the
training photos for validation) and the lesson's source model (the same cache file, trained here
if missing).

Usage (from the course folder; set ``COURSE_DATA_MIRROR`` first if you are offline)::

    python -m course_utils.tools.bird_source_grid                      # the recorded grid
    python -m course_utils.tools.bird_source_grid --pretrain-only      # (re)build the source model only
    python -m course_utils.tools.bird_source_grid --seeds 0 1 --sizes 1 all --out /tmp/grid.csv

The full grid (4 sizes x 5 seeds x 5 arms) costs about 100 runs of a few seconds each on one CPU core.
"""
from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

SIZES = ("1", "5", "10", "all")
SEEDS = (0, 1, 2, 3, 4)
DEPTHS = ("head only", "top block", "everything")
DEFAULT_OUT = Path("docs/results/07_bird_source_grid.csv")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seeds", type=int, nargs="+", default=list(SEEDS))
    parser.add_argument("--sizes", nargs="+", default=list(SIZES), help="photos per species, or 'all'")
    parser.add_argument("--depths", nargs="+", default=list(DEPTHS), choices=DEPTHS)
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT)
    parser.add_argument("--pretrain-only", action="store_true", help="build (or rebuild) the source model and stop")
    parser.add_argument("--retrain", action="store_true", help="train the source model again even when cached")
    args = parser.parse_args(argv)

    import pandas as pd

    from course_utils import stats
    from course_utils.data import birds
    from course_utils.lessons import bird_source

    photos = bird_source.source_photos()
    source, record = bird_source.pretrained_source_model(photos, retrain=args.retrain or args.pretrain_only)
    print(f"source model: {record['file']}, {record['train photos']} training photos of {record['species']} species, "
          f"source validation accuracy {record['source val accuracy']:.3f}, cache hit {record['cache hit']}")
    if args.pretrain_only:
        return 0
    data = birds.load_bird_datasets(image_size=bird_source.IMAGE_SIZE, verbose=False)
    target = bird_source.target_arrays(data.splits)
    sizes = [None if s == "all" else int(s) for s in args.sizes]
    start = time.perf_counter()
    rows = bird_source.run_grid(source, target, sizes, args.seeds, depths=args.depths,
                                progress=lambda r: print(f"  {r['n_per_class']!s:>3} per species, seed {r['seed']}, "
                                                         f"{bird_source.method_label(r)}: test {r['test_accuracy']:.3f}, "
                                                         f"val {r['val_accuracy']:.3f} ({r['seconds']:.1f} s)",
                                                         flush=True))
    table = pd.DataFrame([{k: v for k, v in r.items() if k != "test_correct"} for r in rows]).assign(source=record["file"])
    args.out.parent.mkdir(parents=True, exist_ok=True)
    table.to_csv(args.out, index=False, float_format="%.4f")
    gains = bird_source.paired_gains(table)
    print(gains.round(3).to_string(index=False))
    print(f"{len(gains)} intervals: about {stats.expected_false_exclusions(len(gains)):.1f} would exclude 0 by chance "
          f"alone; {len(rows)} runs in {time.perf_counter() - start:.0f} s; written to {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
