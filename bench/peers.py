#!/usr/bin/python3
"""peers.py - the Python peers of bench/run_data.sh (Debian python3-numpy,
python3-pandas).

  peers.py gen USERS T REPS   numpy: the same answers as bench_data gen
  peers.py read CSV           pandas.read_csv of the file bench_data wrote

gen draws what `bench_data gen` draws, the way a researcher would write it
in numpy: type of each user from eta, N(0, 1) features for every candidate,
linear utilities, Gumbel-max for the top-1 of 3 (vectorised over all users
at once, one generator; numpy runs this on one core). It times REPS
repetitions and prints the median answers per second.

read times pandas.read_csv with its defaults (C parser) and prints MB/s
(MB = 10^6 bytes) and the in-process peak RSS (ru_maxrss); run_data.sh also
wraps it in /usr/bin/time -v.

Output: key=value lines, like bench_data. Not here: anything the scripts do
with the numbers.
"""
import os
import resource
import sys
import time

import numpy as np

# The population of bench/bench_data.c (three latent types, d = 8).
ETA = np.array([0.5, 0.3, 0.2])
THETA = np.array([
    [1.2, -0.8, 0.5, 0.3, -1.1, 0.7, 0.2, -0.4],
    [-0.9, 1.1, -0.3, 0.6, 0.8, -0.5, 1.0, 0.1],
    [0.4, 0.3, -1.2, -0.7, 0.2, 1.3, -0.6, 0.9],
])
M = 3


def gen(users, T, reps):
    d = THETA.shape[1]
    rng = np.random.default_rng(20260201)
    times = []
    for _ in range(reps):
        t0 = time.perf_counter()
        k = rng.choice(len(ETA), size=users, p=ETA)               # (N,)
        x = rng.standard_normal((users, T * M, d))                # (N, T*m, d)
        u = (x @ THETA[k][:, :, None])[..., 0].reshape(users, T, M)
        winner = np.argmax(u + rng.gumbel(size=(users, T, M)), axis=2)
        times.append(time.perf_counter() - t0)
        del k, x, u, winner
    med = float(np.median(times))
    answers = users * T
    print(f"users={users}\nT={T}\nd={d}\nm={M}\nanswers={answers}\nreps={reps}")
    print(f"gen_s_median={med:.6f}\ngen_s_min={min(times):.6f}\n"
          f"gen_s_max={max(times):.6f}")
    print(f"answers_per_s={answers / med:.6g}")
    print(f"maxrss_bytes={resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024}")


def read(path):
    import pandas as pd
    size = os.path.getsize(path)
    t0 = time.perf_counter()
    df = pd.read_csv(path)
    t = time.perf_counter() - t0
    print(f"csv_bytes={size}\nread_s={t:.6f}\nread_MBps={size / t / 1e6:.6g}")
    print(f"rows={len(df)}\ndf_bytes={int(df.memory_usage(deep=True).sum())}")
    print(f"maxrss_bytes={resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024}")
    print(f"pandas_version={pd.__version__}")


def main(argv):
    if len(argv) == 5 and argv[1] == "gen":
        gen(int(argv[2]), int(argv[3]), int(argv[4]))
    elif len(argv) == 3 and argv[1] == "read":
        read(argv[2])
    else:
        sys.stderr.write(__doc__)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
