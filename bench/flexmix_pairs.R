# flexmix_pairs.R - the R peer of bench/run_lcl.sh:
# latent-class Bradley-Terry fitted by flexmix (Debian r-cran-flexmix) on the
# pairs data that `hetpref simulate bench/lcl_pairs.ini` wrote.
#
#   Rscript bench/flexmix_pairs.R fit   CSV K NREP TOL ITERMAX SEED OUT
#   Rscript bench/flexmix_pairs.R check CSV FIT1_DIR FITK_DIR FLEX_OUT OUT
#
# Model: every pair becomes one row of winner-minus-loser feature differences
# d1..dD with y = 1; a binomial GLM without intercept on these rows is the
# Bradley-Terry likelihood, log P(winner) = log plogis(theta . d) - the same
# pair likelihood as hetpref's Plackett-Luce with m = 2. The per-user
# grouping (`| user`) makes all answers of a user share one latent class, as
# in hetpref's latent-class model:
#   stepFlexmix(cbind(y, 1 - y) ~ 0 + d1 + ... + dD | user, k = K, nrep = NREP,
#               model = FLXMRglm(family = "binomial"),
#               control = list(tolerance = TOL, iter.max = ITERMAX))
# flexmix stops when |L - L_old| / (|L| + 0.1) < TOL; hetpref when
# |L - L_old| <= TOL |L| (mix.h): the same relative criterion, so both are run
# with the same TOL. Starts: random hard assignment of users to classes in
# both. Each flexmix M-step runs glm.fit (IRLS) to convergence; hetpref takes
# one damped Newton step per M-step.
#
# fit: times stepFlexmix alone (system.time, elapsed) and writes key=value
#   lines to OUT: fit_s, loglik (flexmix's), loglik_recomputed (the same
#   estimates evaluated by mix_loglik below), iterations, converged, k,
#   prior1.., theta_k_j; and appends "fit_s=..." to OUT.times.
# check: puts the two log-likelihoods on one scale. (1) K = 1: hetpref's
#   `fit --types 1` (FIT1_DIR) against glm() and flexmix with k = 1 on the
#   same rows, log-likelihoods and coefficients; (2) hetpref's K-class
#   estimates (FITK_DIR/estimates.csv) evaluated by mix_loglik in R against
#   the loglik hetpref reports in FITK_DIR/fit.csv; (3) flexmix's estimates
#   (FLEX_OUT, from fit) likewise. Writes key=value lines to OUT.

args <- commandArgs(trailingOnly = TRUE)
suppressPackageStartupMessages(library(flexmix))

# Winner-minus-loser differences, one row per pair, in (user, query) order.
read_pairs <- function(path) {
    raw <- read.csv(path, colClasses = c(user = "character", query = "character",
                                         item = "character"))
    xs <- grep("^x[0-9]+$", names(raw), value = TRUE)
    xs <- xs[order(as.integer(sub("x", "", xs)))]
    win <- raw[raw$rank == 1, ]
    los <- raw[raw$rank == 0, ]
    key <- function(d) paste(d$user, d$query, sep = "\r")
    los <- los[match(key(win), key(los)), ]
    stopifnot(nrow(win) * 2 == nrow(raw), !anyNA(los$user))
    D <- as.matrix(win[, xs]) - as.matrix(los[, xs])
    colnames(D) <- paste0("d", seq_along(xs))
    df <- data.frame(D, y = 1, user = factor(win$user, levels = unique(win$user)))
    df
}

# Marginal log-likelihood of a K-class Bradley-Terry model:
# sum_i log sum_k eta_k prod_t plogis(theta_k . d_it), in log space.
mix_loglik <- function(df, eta, theta) {
    D <- as.matrix(df[, grep("^d[0-9]+$", names(df))])
    theta <- matrix(theta, nrow = length(eta))
    lp <- sapply(seq_along(eta), function(k)
        rowsum(plogis(drop(D %*% theta[k, ]), log.p = TRUE), df$user,
               reorder = FALSE)[, 1])
    lp <- matrix(lp, ncol = length(eta))
    a <- sweep(lp, 2, log(eta), "+")
    m <- apply(a, 1, max)
    sum(m + log(rowSums(exp(a - m))))
}

flex_formula <- function(df) {
    ds <- grep("^d[0-9]+$", names(df), value = TRUE)
    as.formula(paste("cbind(y, 1 - y) ~ 0 +", paste(ds, collapse = " + "), "| user"))
}

kv <- function(out, ...) {
    x <- list(...)
    lines <- vapply(names(x), function(n) {
        v <- x[[n]]
        paste0(n, "=", if (is.numeric(v)) format(v, digits = 17) else v)
    }, "")
    cat(lines, sep = "\n", file = out, append = TRUE)
}

flex_estimates <- function(f) {
    par <- parameters(f)                      # (d, k), rows "coef.d1", ...
    list(eta = prior(f), theta = t(par))      # theta (k, d)
}

cmd_fit <- function(path, K, nrep, tol, itermax, seed, out) {
    t0 <- proc.time()[["elapsed"]]
    df <- read_pairs(path)
    prep <- proc.time()[["elapsed"]] - t0
    set.seed(seed)
    fo <- flex_formula(df)
    st <- system.time(f <- stepFlexmix(fo, data = df, k = K, nrep = nrep,
                                       model = FLXMRglm(family = "binomial"),
                                       control = list(tolerance = tol,
                                                      iter.max = itermax),
                                       verbose = FALSE))
    tm <- st[["elapsed"]]
    tu <- st[["user.self"]]
    e <- flex_estimates(f)
    # Every run appends its fit time to OUT.times (run_lcl.sh takes the
    # median over hyperfine's runs); OUT itself describes the last run.
    cat(sprintf("fit_s=%.6f\nfit_user_s=%.6f\n", tm, tu), file = paste0(out, ".times"),
        append = TRUE)
    unlink(out)
    kv(out, users = nlevels(df$user), pairs = nrow(df), d = ncol(e$theta),
       K = K, nrep = nrep, tol = tol, iter_max = itermax, seed = seed,
       prep_s = prep, fit_s = tm, fit_user_s = tu, loglik = as.numeric(logLik(f)),
       loglik_recomputed = mix_loglik(df, e$eta, e$theta),
       iterations = f@iter, converged = as.character(f@converged),
       k = f@k, flexmix_version = as.character(packageVersion("flexmix")))
    for (k in seq_along(e$eta)) {
        do.call(kv, c(list(out), setNames(list(e$eta[k]), paste0("prior", k))))
        for (j in seq_len(ncol(e$theta)))
            do.call(kv, c(list(out), setNames(list(e$theta[k, j]),
                                             paste0("theta", k, "_", j))))
    }
}

read_hetpref <- function(dir) {
    # estimates.csv is long: type,parameter,estimate,... with, per type in
    # order, "weight" then "theta[NAME]" for each feature in data order.
    est <- read.csv(file.path(dir, "estimates.csv"), stringsAsFactors = FALSE)
    fit <- read.csv(file.path(dir, "fit.csv"))
    w <- est[est$parameter == "weight", ]
    b <- est[est$parameter != "weight", ]
    th <- matrix(b$estimate, nrow = nrow(w), byrow = TRUE)   # (K, d)
    list(eta = w$estimate, theta = th, loglik = fit$loglik[1])
}

cmd_check <- function(path, dir1, dirk, flex_out, out) {
    df <- read_pairs(path)
    unlink(out)
    # (1) K = 1: hetpref vs glm vs flexmix(k = 1), same rows.
    h1 <- read_hetpref(dir1)
    ds <- grep("^d[0-9]+$", names(df), value = TRUE)
    g <- glm(as.formula(paste("cbind(y, 1 - y) ~ 0 +", paste(ds, collapse = "+"))),
             family = binomial, data = df,
             control = glm.control(epsilon = 1e-14, maxit = 100))
    f1 <- flexmix(flex_formula(df), data = df, k = 1,
                  model = FLXMRglm(family = "binomial"))
    cf_h <- drop(h1$theta)
    cf_g <- unname(coef(g))
    kv(out, k1_loglik_hetpref = h1$loglik,
       k1_loglik_glm = as.numeric(logLik(g)),
       k1_loglik_flexmix = as.numeric(logLik(f1)),
       k1_loglik_R_at_hetpref = mix_loglik(df, 1, cf_h),
       k1_loglik_reldiff_hetpref_glm =
           abs(h1$loglik - as.numeric(logLik(g))) / abs(as.numeric(logLik(g))),
       k1_coef_max_reldiff_hetpref_glm = max(abs(cf_h - cf_g) / abs(cf_g)),
       k1_coef_hetpref = paste(format(cf_h, digits = 10), collapse = " "),
       k1_coef_glm = paste(format(cf_g, digits = 10), collapse = " "))
    # (2) hetpref's K-class estimates evaluated in R.
    hk <- read_hetpref(dirk)
    lk <- mix_loglik(df, hk$eta, hk$theta)
    kv(out, K_loglik_hetpref = hk$loglik, K_loglik_R_at_hetpref = lk,
       K_loglik_reldiff = abs(hk$loglik - lk) / abs(lk))
    # (3) flexmix's estimates, as written by `fit`.
    if (file.exists(flex_out)) {
        fl <- readLines(flex_out)
        get <- function(key) as.numeric(sub(paste0("^", key, "="), "",
                                            grep(paste0("^", key, "="), fl, value = TRUE)))
        kv(out, K_loglik_flexmix = get("loglik"),
           K_loglik_R_at_flexmix = get("loglik_recomputed"))
    }
}

if (length(args) == 8 && args[1] == "fit") {
    cmd_fit(args[2], as.integer(args[3]), as.integer(args[4]), as.numeric(args[5]),
            as.integer(args[6]), as.integer(args[7]), args[8])
} else if (length(args) == 6 && args[1] == "check") {
    cmd_check(args[2], args[3], args[4], args[5], args[6])
} else {
    stop("usage: Rscript bench/flexmix_pairs.R fit CSV K NREP TOL ITERMAX SEED OUT\n",
         "       Rscript bench/flexmix_pairs.R check CSV FIT1_DIR FITK_DIR FLEX_OUT OUT")
}
