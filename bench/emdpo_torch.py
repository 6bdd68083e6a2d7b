#!/usr/bin/python3
"""emdpo_torch.py - EM-DPO written idiomatically in PyTorch, the peer of
`hetpref fit --model emdpo` in the issue-4 speed benchmark (bench/run_emdpo.sh).

The same algorithm as src/emdpo.c, src/dpo.c, src/nn.c:

  * policies: MLP d -> H (tanh) -> ... -> 1 (nn.Sequential of nn.Linear and
    nn.Tanh), float64 (--dtype float32: everything in float32, the peer of
    hetpref's --precision single); the reference network has Glorot-uniform hidden
    weights (nn.init.xavier_uniform_, bound sqrt(6 / (in + out))), zero
    biases and a ZERO output layer (f = 0: the uniform policy);
  * initial responsibilities: k-means on per-user summaries (mean over the
    user's answers of x_chosen - mean_j x_j; Lloyd with k-means++ seeding,
    10 restarts, lowest within-cluster sum of squares), the true types, or
    a Dirichlet(1) draw;
  * each EM iteration: M-step, policy k trained from the reference (restart:
    parameters AND Adam state reset) or from its previous state (warm) for
    `epochs` epochs of torch.optim.Adam over shuffled minibatches of `batch`
    queries, minibatch loss -(sum_q w_q log P_PL(o_q | u)) / n_batch with
    u = beta (f - logp_ref) and w_q = gamma_(user of q),k; then
    eta_k = mean_i gamma_ik (floored at 1e-12); then the E-step: every
    candidate forwarded through every policy, log L_ik summed per user,
    responsibilities by log-sum-exp;
  * Plackett-Luce for "the first r of m" (pairs, top-1, full rankings in one
    code path): candidates in canonical order (ranked ones first, in rank
    order, then the unranked in input order), log P = sum_{s<r} u_s -
    logsumexp(u_s..u_m), via a reversed logcumsumexp; queries with fewer
    candidates than the largest are padded with a utility of -1e30.

Only the EM loop is timed (time.perf_counter around M-step + eta + E-step
of every iteration); reading the CSV, importing torch and the
initialisation are outside it. Accuracy (hard labels, best permutation of
labels against the `type` column, as hetpref's eval_align) is computed after
the loop from saved posteriors.

Output: key=value lines on stdout (see the end of main()).

  /usr/bin/python3 bench/emdpo_torch.py --data bench/out/emdpo_data/prefs.csv \
      --types 2 --beta 1 --lr 0.01 --batch 64 --epochs 2 --em-iters 3 \
      --hidden 32 --layers 1 --init kmeans --threads 1 --seed 1
"""
import argparse
import csv
import itertools
import os
import sys
import time


def parse_args(argv):
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--data", required=True, help="prefs.csv")
    p.add_argument("--types", type=int, default=2)
    p.add_argument("--beta", type=float, default=0.1)
    p.add_argument("--lr", type=float, default=1e-3)
    p.add_argument("--batch", type=int, default=64)
    p.add_argument("--epochs", type=int, default=1)
    p.add_argument("--em-iters", type=int, default=8)
    p.add_argument("--hidden", type=int, default=32)
    p.add_argument("--layers", type=int, default=1)
    p.add_argument("--init", choices=["kmeans", "dirichlet", "truth"], default="kmeans")
    p.add_argument("--m-step", choices=["restart", "warm"], default="restart")
    p.add_argument("--loss", choices=["pl", "top1"], default="pl",
                   help="pl: the general Plackett-Luce path (any r, as hetpref); "
                        "top1: log_softmax(u)[:, 0], valid only when every query "
                        "has one ranked candidate and the same m (a sensitivity "
                        "check: the shortest idiomatic loss for top-1 data)")
    p.add_argument("--threads", type=int, default=1)
    p.add_argument("--dtype", choices=["float64", "float32"], default="float64",
                   help="the default tensor type: data, networks, loss, E-step")
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--hetpref-posteriors", default=None,
                   help="hetpref's DIR/posteriors.csv: report the agreement of "
                        "the final hard labels (diagnostic only)")
    p.add_argument("--check-hetpref", default=None, metavar="DIR",
                   help="a `hetpref fit --model emdpo` output DIR on the same data: "
                        "load its policies.txt into torch networks, run this "
                        "script's E-step with them and its eta, and compare the "
                        "log-likelihood with DIR/fit.csv and the responsibilities "
                        "with DIR/posteriors.csv (a check that both programs fit "
                        "the same model; not timed)")
    a = p.parse_args(argv)
    if a.types < 1 or a.em_iters < 1 or a.epochs < 1 or a.batch < 1 or a.threads < 1:
        p.error("types, em-iters, epochs, batch and threads must be >= 1")
    return a


ARGS = parse_args(sys.argv[1:])
# Thread pools are sized when torch loads: set the environment first (the
# bench script sets it too), then torch.set_num_threads.
for _v in ("OMP_NUM_THREADS", "MKL_NUM_THREADS", "OPENBLAS_NUM_THREADS"):
    os.environ.setdefault(_v, str(ARGS.threads))

import torch  # noqa: E402
from torch import nn  # noqa: E402

torch.set_num_threads(ARGS.threads)
torch.set_default_dtype(torch.float32 if ARGS.dtype == "float32" else torch.float64)

PAD = -1e30  # utility of a padding candidate: exp(PAD - anything) == 0


# ---- data -------------------------------------------------------------------

def load(path):
    """Long-format CSV -> dense tensors. Users and queries in first-appearance
    order (as hetpref's reader), candidates in canonical order."""
    with open(path, newline="") as fh:
        rd = csv.reader(fh)
        head = next(rd)
        col = {name: i for i, name in enumerate(head)}
        xcols = []
        while "x%d" % (len(xcols) + 1) in col:
            xcols.append(col["x%d" % (len(xcols) + 1)])
        if not xcols:
            sys.exit("emdpo_torch.py: %s: no x1 column" % path)
        ci_user, ci_query, ci_rank = col["user"], col["query"], col["rank"]
        ci_lref, ci_type = col.get("logp_ref"), col.get("type")
        users, user_type, queries = {}, [], {}
        for row in rd:
            u = row[ci_user]
            if u not in users:
                users[u] = len(users)
                user_type.append(row[ci_type] if ci_type is not None else None)
            key = (u, row[ci_query])
            q = queries.get(key)
            if q is None:
                q = queries[key] = (users[u], [])
            q[1].append((int(row[ci_rank]), [float(row[i]) for i in xcols],
                         float(row[ci_lref]) if ci_lref is not None else 0.0))
    Q, d = len(queries), len(xcols)
    M = max(len(c) for _, c in queries.values())
    X = torch.zeros(Q, M, d)
    lref = torch.zeros(Q, M)
    valid = torch.zeros(Q, M, dtype=torch.bool)
    r = torch.zeros(Q, dtype=torch.long)
    q_user = torch.zeros(Q, dtype=torch.long)
    for qi, (ui, cands) in enumerate(queries.values()):
        ranked = sorted((c for c in cands if c[0] > 0), key=lambda c: c[0])
        order = ranked + [c for c in cands if c[0] == 0]
        m = len(order)
        X[qi, :m] = torch.tensor([c[1] for c in order])
        lref[qi, :m] = torch.tensor([c[2] for c in order])
        valid[qi, :m] = True
        r[qi] = min(len(ranked), m - 1)
        q_user[qi] = ui
    types = None
    if user_type and user_type[0] is not None:
        types = torch.tensor([int(t) - 1 for t in user_type], dtype=torch.long)
    return X, lref, valid, r, q_user, len(users), types


def top1_loglik(u, r, valid):
    """log P of the chosen candidate (canonical row 0) for top-1 answers."""
    return torch.log_softmax(u, dim=-1)[:, 0]


def pl_loglik(u, r, valid):
    """log P_PL of "the first r of m" for each row of u (B, M)."""
    u = torch.where(valid, u, torch.full_like(u, PAD))
    lse = torch.logcumsumexp(u.flip(-1), dim=-1).flip(-1)  # log sum_{j>=s} e^u_j
    stage = torch.arange(u.shape[-1]) < r.unsqueeze(-1)
    return torch.where(stage, u - lse, torch.zeros_like(u)).sum(-1)


# ---- policies -----------------------------------------------------------------

def make_reference(d, hidden, layers, seed):
    torch.manual_seed(seed)
    mods, width = [], d
    for _ in range(layers):
        lin = nn.Linear(width, hidden)
        nn.init.xavier_uniform_(lin.weight)
        nn.init.zeros_(lin.bias)
        mods += [lin, nn.Tanh()]
        width = hidden
    out = nn.Linear(width, 1)
    nn.init.zeros_(out.weight)  # zero output layer: the uniform policy
    nn.init.zeros_(out.bias)
    return nn.Sequential(*mods, out)


# ---- initialisation -------------------------------------------------------------

def user_summaries(X, valid, r, q_user, N):
    m = valid.sum(1, keepdim=True).to(X.dtype)
    mean = (X * valid.unsqueeze(-1)).sum(1) / m        # (Q, d)
    diff = X[:, 0, :] - mean                            # chosen = canonical row 0
    s = torch.zeros(N, X.shape[-1]).index_add_(0, q_user, diff)
    cnt = torch.zeros(N).index_add_(0, q_user, torch.ones(len(q_user)))
    return s / cnt.clamp(min=1).unsqueeze(1)


def kmeans(x, K, gen, restarts=10, iters=100):
    n = x.shape[0]
    best_sse, best_lab = float("inf"), None
    for _ in range(restarts):
        idx = [int(torch.randint(n, (1,), generator=gen))]
        dist = torch.full((n,), float("inf"))
        for _k in range(1, K):  # k-means++
            dist = torch.minimum(dist, ((x - x[idx[-1]]) ** 2).sum(1))
            u = float(torch.rand((), generator=gen)) * float(dist.sum())
            pick = int(torch.searchsorted(torch.cumsum(dist, 0), torch.tensor([u]),
                                          right=True))
            idx.append(min(pick, n - 1))
        cen = x[idx].clone()
        lab = None
        for _it in range(iters):
            e = torch.cdist(x, cen) ** 2
            sse_i, new = e.min(1)
            sse = float(sse_i.sum())
            if lab is not None and torch.equal(new, lab):
                break
            lab = new
            for k in range(K):
                sel = lab == k
                cen[k] = x[sel].mean(0) if sel.any() else \
                    x[int(torch.randint(n, (1,), generator=gen))]
        if sse < best_sse:
            best_sse, best_lab = sse, lab.clone()
    return best_lab


def initial(args, X, valid, r, q_user, N, types, gen):
    K = args.types
    if args.init == "truth":
        if types is None:
            sys.exit("emdpo_torch.py: --init truth needs a type column")
        return nn.functional.one_hot(types, K).to(X.dtype)
    if args.init == "dirichlet":
        return torch.distributions.Dirichlet(torch.ones(K)).sample((N,))
    lab = kmeans(user_summaries(X, valid, r, q_user, N), K, gen)
    return nn.functional.one_hot(lab, K).to(X.dtype)


# ---- evaluation -------------------------------------------------------------------

def accuracy(post, truth):
    """Hard labels, best label permutation (hetpref's eval_align)."""
    hat = post.argmax(1)
    K = post.shape[1]
    Kt = int(truth.max()) + 1
    Km = max(K, Kt)
    conf = torch.zeros(Km, Km)
    conf.index_put_((hat, truth), torch.ones(len(hat)), accumulate=True)
    best = max(sum(float(conf[j, p[j]]) for j in range(Km))
               for p in itertools.permutations(range(Km)))
    return best / len(hat)


def read_posteriors(path):
    with open(path, newline="") as fh:
        rows = list(csv.reader(fh))
    return torch.tensor([[float(v) for v in row[1:]] for row in rows[1:]])


def read_policies(path, d):
    """hetpref's policies.txt (src/policyio.h) -> (list of nn.Sequential, eta)."""
    with open(path) as fh:
        lines = [ln.split() for ln in fh if ln.strip()]
    head = {ln[0]: ln[1:] for ln in lines if ln[0] in
            ("d", "layers", "hidden", "activation", "beta", "policies", "weights", "params")}
    if lines[0] != ["hetpref-policies", "1"] or int(head["d"][0]) != d \
            or head["activation"][0] != "tanh":
        sys.exit("emdpo_torch.py: %s: not a tanh policy file for d = %d" % (path, d))
    L, H = int(head["layers"][0]), int(head["hidden"][0])
    np_ = int(head["params"][0])
    eta = torch.tensor([float(v) for v in head["weights"]])
    nets, i = [], 0
    while i < len(lines):
        if lines[i][0] == "policy":
            flat = torch.tensor([float(ln[0]) for ln in lines[i + 1:i + 1 + np_]])
            net = make_reference(d, H, L, 0)
            off, width = 0, d
            lins = [m for m in net if isinstance(m, nn.Linear)]
            with torch.no_grad():
                for lin in lins:  # nn.h layout: W (in, out) row major, then b
                    out = lin.out_features
                    lin.weight.copy_(flat[off:off + width * out].view(width, out).t())
                    off += width * out
                    lin.bias.copy_(flat[off:off + out])
                    off += out
                    width = out
            nets.append(net)
            i += 1 + np_
        else:
            i += 1
    return nets, eta


def estep(policies, eta, X, lref, r, valid, q_user, N, beta, loglik):
    with torch.no_grad():
        la = torch.zeros(N, len(policies))
        for k, policy in enumerate(policies):
            f = policy(X).squeeze(-1)
            llq = loglik(beta * (f - lref), r, valid)
            la[:, k].index_add_(0, q_user, llq)
        a = torch.log(eta) + la
        lse = torch.logsumexp(a, 1, keepdim=True)
        return torch.exp(a - lse), float(lse.sum())


# ---- EM -----------------------------------------------------------------------------

def main(args):
    t0 = time.perf_counter()
    X, lref, valid, r, q_user, N, types = load(args.data)
    t_load = time.perf_counter() - t0
    Q, M, d = X.shape
    K, beta, B = args.types, args.beta, args.batch
    if K > N:
        sys.exit("emdpo_torch.py: --types %d: more types than users (%d)" % (K, N))
    loglik = pl_loglik
    if args.loss == "top1":
        if not (bool((r == 1).all()) and bool(valid.all())):
            sys.exit("emdpo_torch.py: --loss top1 needs top-1 answers with one m")
        loglik = top1_loglik
    gen = torch.Generator().manual_seed(args.seed)
    torch.manual_seed(args.seed)

    t0 = time.perf_counter()
    post = initial(args, X, valid, r, q_user, N, types, gen)
    ref = make_reference(d, args.hidden, args.layers, args.seed)
    policies = [make_reference(d, args.hidden, args.layers, args.seed) for _ in range(K)]
    optims = [None] * K
    t_init = time.perf_counter() - t0

    posts, logliks, etas, iter_s = [post.clone()], [float("nan")], [post.mean(0)], []
    t_loop0 = time.perf_counter()
    for it in range(1, args.em_iters + 1):
        t_it = time.perf_counter()
        # M-step
        for k in range(K):
            policy = policies[k]
            if args.m_step == "restart" or optims[k] is None:
                policy.load_state_dict(ref.state_dict())
                optims[k] = torch.optim.Adam(policy.parameters(), lr=args.lr)
            opt = optims[k]
            qw = post[q_user, k]
            policy.train()
            for _epoch in range(args.epochs):
                perm = torch.randperm(Q, generator=gen)
                for b0 in range(0, Q, B):
                    idx = perm[b0:b0 + B]
                    f = policy(X[idx]).squeeze(-1)                    # (b, M)
                    ll = loglik(beta * (f - lref[idx]), r[idx], valid[idx])
                    loss = -(qw[idx] * ll).sum() / len(idx)
                    opt.zero_grad()
                    loss.backward()
                    opt.step()
            if not all(torch.isfinite(p_).all() for p_ in policy.parameters()):
                sys.exit("emdpo_torch.py: EM iteration %d, policy %d: training "
                         "diverged" % (it, k + 1))
        eta = post.mean(0).clamp(min=1e-12)
        # E-step
        post, L = estep(policies, eta, X, lref, r, valid, q_user, N, beta, loglik)
        iter_s.append(time.perf_counter() - t_it)
        posts.append(post.clone())
        logliks.append(L)
        etas.append(eta)
    t_loop = time.perf_counter() - t_loop0

    with open("/proc/self/maps") as fh:  # the BLAS library actually loaded
        blas = sorted({ln.split()[-1] for ln in fh if "blas" in ln.split()[-1]})
    out = {
        "torch_version": torch.__version__,
        "blas_loaded": ";".join(blas) if blas else "none",
        "torch_threads": torch.get_num_threads(),
        "loss": args.loss,
        "users": N, "queries": Q, "max_m": M, "d": d,
        "load_s": "%.6f" % t_load,
        "init_s": "%.6f" % t_init,
        "loop_s": "%.6f" % t_loop,
        "iter_s": ",".join("%.6f" % t for t in iter_s),
        "per_iter_s": "%.6f" % (t_loop / args.em_iters),
        # iterations 2.. (after torch's first-iteration warm-up); = per_iter_s
        # when there is one iteration
        "per_iter_steady_s": "%.6f" % (sum(iter_s[1:]) / (len(iter_s) - 1)
                                       if len(iter_s) > 1 else iter_s[0]),
        "loglik": ",".join("%.10g" % v for v in logliks),
        "eta_final": ",".join("%.6f" % float(v) for v in etas[-1]),
    }
    if types is not None:
        accs = [accuracy(p_, types) for p_ in posts]
        out["accuracy_trace"] = ",".join("%.4f" % a for a in accs)
        out["accuracy_init"] = "%.4f" % accs[0]
        out["accuracy"] = "%.4f" % accs[-1]
    if args.hetpref_posteriors:
        hp = read_posteriors(args.hetpref_posteriors)
        if hp.shape == post.shape:
            out["agreement_with_hetpref"] = "%.4f" % accuracy(post, hp.argmax(1))
    if args.check_hetpref:
        nets, heta = read_policies(os.path.join(args.check_hetpref, "policies.txt"), d)
        cpost, cL = estep(nets, heta, X, lref, r, valid, q_user, N, beta, loglik)
        with open(os.path.join(args.check_hetpref, "fit.csv"), newline="") as fh:
            hL = float(list(csv.DictReader(fh))[-1]["loglik"])
        hpost = read_posteriors(os.path.join(args.check_hetpref, "posteriors.csv"))
        out["check_loglik_torch"] = "%.12g" % cL
        out["check_loglik_hetpref"] = "%.12g" % hL
        out["check_loglik_reldiff"] = "%.3g" % (abs(cL - hL) / abs(hL))
        out["check_posterior_maxdiff"] = "%.3g" % float((cpost - hpost).abs().max())
    for key, val in out.items():
        print("%s=%s" % (key, val))


if __name__ == "__main__":
    main(ARGS)
