"""Lesson 7's bird-source transfer grid: every training-set size, method, depth and seed, into a CSV.

The lesson pretrains a small CNN (a Conv-4 at 48 px) on 80 CUB species that are not its 10, then
transfers it to the 10 species (``course_utils.lessons.bird_source``). It runs a live slice of
the grid; this command runs all of it and writes ``docs/results/07_bird_source_grid.csv``, which
the lesson reads. It uses the lesson's own splits (``load_bird_datasets``, seed 42, 20% of the
training photos for validation) and the lesson's source model (the same cache file, trained here
if missing). Each row names the source model's file (``source``) and the fingerprint of its weights
(``source_weights``): the file name hashes the settings and photos, not the trained weights, and training need
not be bit-reproducible across machines or thread settings (two retrainings on one machine both gave 05acc907ff6a;
the recorded grid's source, trained earlier under other conditions, reached validation accuracy 0.269, not 0.253),
so only the fingerprint says whether two tables used the same source model (``bird_source.rerun_gaps``; files
written before the column existed lack it, and ``docs/results/07_bird_source_grid.source.json`` keeps the grid
source's validation accuracy instead).

Usage (from the course folder; set ``COURSE_DATA_MIRROR`` first if you are offline)::

    python -m course_utils.tools.bird_source_grid                      # the recorded grid
    python -m course_utils.tools.bird_source_grid --pretrain-only      # build the source model only (--retrain: again)
    python -m course_utils.tools.bird_source_grid --seeds 0 1 --sizes 1 all --depth-sizes all --out /tmp/grid.csv
    python -m course_utils.tools.bird_source_grid --methods "frozen random" \
        --out docs/results/07_bird_source_random.csv                   # the probe's untrained control

The recorded grid (4 sizes x 5 seeds x frozen, fine-tuned and scratch, plus the head-only and top-block depths at 5
and all photos per species) is 60 network runs of a few seconds each on one quiet CPU core, and 20 linear probes.
``--methods "frozen random"`` runs the probe's untrained control (``bird_source.random_network``: the scratch arm's
network before training, read by the same probe); it trains no network of its own and does not use the source
model's weights, but the tool loads the source model first (for its input size and width, and the ``source``
columns), so from an empty artifacts folder it trains the source model before the probes (59 s and 66 s in two trainings on
the course's 2-core machine; 1,794 s for the recorded grid's, at load average 20-30).
"""
from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

SIZES = ("1", "5", "10", "all")
SEEDS = (0, 1, 2, 3, 4)
DEPTHS = ("head only", "top block", "everything")
DEPTH_SIZES = ("5", "all")
COLUMNS = ("method", "n_per_class", "seed", "n_train", "steps", "depth", "C", "val_accuracy", "test_accuracy", "seconds")
DEFAULT_OUT = Path("docs/results/07_bird_source_grid.csv")


def bird_source_methods() -> tuple[str, ...]:
    """The arms ``bird_source.transfer_run`` knows (``"frozen random"`` is not in the default grid)."""
    from course_utils.lessons import bird_source

    return bird_source.METHODS


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seeds", type=int, nargs="+", default=list(SEEDS))
    parser.add_argument("--sizes", nargs="+", default=list(SIZES), help="photos per species, or 'all'")
    parser.add_argument("--depths", nargs="+", default=list(DEPTHS), choices=DEPTHS)
    parser.add_argument("--depth-sizes", nargs="+", default=list(DEPTH_SIZES),
                        help="sizes at which every depth runs (elsewhere: 'everything' only)")
    parser.add_argument("--steps", type=int, default=None, help="gradient steps per run (default: bird_source.STEPS)")
    parser.add_argument("--methods", nargs="+", default=["frozen", "fine-tuned", "scratch"],
                        choices=list(bird_source_methods()))
    parser.add_argument("--append", action="store_true", help="add the runs to an existing --out file")
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT)
    parser.add_argument("--pretrain-only", action="store_true", help="build the source model if missing, and stop")
    parser.add_argument("--retrain", action="store_true", help="train the source model again even when cached")
    args = parser.parse_args(argv)

    import pandas as pd

    from course_utils import stats
    from course_utils.data import birds
    from course_utils.lessons import bird_source

    photos = bird_source.source_photos()
    source, record = bird_source.pretrained_source_model(photos, retrain=args.retrain)
    print(f"source model: {record['file']} (weights {record['weights fingerprint']}), {record['train photos']} "
          f"training photos of {record['species']} species, source validation accuracy "
          f"{record['source val accuracy']:.3f}, cache hit {record['cache hit']}")
    if args.pretrain_only:
        return 0
    data = birds.load_bird_datasets(image_size=bird_source.IMAGE_SIZE, verbose=False)
    target = bird_source.target_arrays(data.splits)
    sizes = [None if s == "all" else int(s) for s in args.sizes]
    start = time.perf_counter()
    depth_sizes = [None if s == "all" else int(s) for s in args.depth_sizes]
    args.out.parent.mkdir(parents=True, exist_ok=True)
    done = pd.read_csv(args.out, dtype={"n_per_class": str}) if args.append and args.out.exists() else None
    partial = args.out.with_suffix(".partial.csv")

    def progress(row):
        print(f"  {row['n_per_class']:>3} per species, seed {row['seed']}, {bird_source.method_label(row)}: test "
              f"{row['test_accuracy']:.3f}, val {row['val_accuracy']:.3f} ({row['seconds']:.1f} s)", flush=True)
        line = pd.DataFrame([{k: row.get(k) for k in COLUMNS}]).assign(**source_columns)
        line.to_csv(partial, mode="a", header=not partial.exists(), index=False, float_format="%.4f")

    source_columns = {"source": record["file"], "source_weights": record["weights fingerprint"]}
    partial.unlink(missing_ok=True)
    rows = bird_source.run_grid(source, target, sizes, args.seeds, methods=args.methods, depths=args.depths,
                                depth_sizes=depth_sizes, steps=args.steps or bird_source.STEPS, progress=progress)
    table = pd.DataFrame([{k: v for k, v in r.items() if k != "test_correct"} for r in rows]).assign(**source_columns)
    if done is not None:
        table = pd.concat([done, table], ignore_index=True)
    table.to_csv(args.out, index=False, float_format="%.4f")
    partial.unlink(missing_ok=True)
    if "scratch" in set(table["method"]):
        gains = bird_source.paired_gains(table)
        print(gains.round(3).to_string(index=False))
        print(f"{len(gains)} intervals: about {stats.expected_false_exclusions(len(gains)):.1f} would exclude 0 by "
              f"chance alone")
    else:   # nothing to pair with: each arm's mean over the seeds
        arms = table.assign(arm=table.apply(bird_source.method_label, axis=1))
        print(stats.summarize(arms, ["arm", "n_per_class"]).round(3).to_string(index=False))
    print(f"{len(rows)} runs in {time.perf_counter() - start:.0f} s; written to {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
