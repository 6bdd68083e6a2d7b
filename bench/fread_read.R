# fread_read.R - the R peer of bench/run_data.sh: data.table::fread (Debian
# r-cran-data.table) reading the CSV that bench_data wrote, with fread's
# defaults (its default thread count is reported). Prints key=value lines:
# MB/s (MB = 10^6 bytes) of the read alone, timed inside R. Peak RSS is taken
# by run_data.sh from /usr/bin/time -v around this script.
#   Rscript bench/fread_read.R CSV
args <- commandArgs(trailingOnly = TRUE)
if (length(args) != 1) stop("usage: Rscript bench/fread_read.R CSV")
suppressPackageStartupMessages(library(data.table))
path <- args[1]
size <- file.size(path)
t <- system.time(dt <- fread(path, showProgress = FALSE))[["elapsed"]]
cat(sprintf("csv_bytes=%.0f\nread_s=%.6f\nread_MBps=%.6g\nrows=%d\n",
            size, t, size / t / 1e6, nrow(dt)))
cat(sprintf("threads=%d\ndf_bytes=%.0f\ndatatable_version=%s\n", getDTthreads(),
            as.numeric(object.size(dt)), as.character(packageVersion("data.table"))))
