# lib.sh - shell helpers shared by bench/run_data.sh, run_lcl.sh, run_emdpo.sh
# and run_scaling.sh
# (sourced, not run). Public tools only: dpkg-query, apt-get, awk, sort.

# need_pkgs PKG...: apt-get install the Debian packages that are missing,
# through sudo when not root (S is set here).
S=
[ "$(id -u)" = 0 ] || S=$(command -v sudo) || S=
need_pkgs() {
    local missing=
    for p in "$@"; do
        dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed" ||
            missing="$missing $p"
    done
    [ -n "$missing" ] || return 0
    if [ "$(id -u)" != 0 ] && [ -z "$S" ]; then
        echo "bench: missing Debian packages:$missing (need root or sudo)" >&2
        return 1
    fi
    echo "bench: installing$missing" >&2
    $S apt-get update -qq && DEBIAN_FRONTEND=noninteractive $S apt-get install -y -qq $missing >/dev/null
}

# busiest: the largest busy_cores_before in $OUT/quiet.log.
busiest() { sed -n 's/.*busy_cores_before=\([0-9.]*\).*/\1/p' "$OUT/quiet.log" | sort -g | tail -n 1; }

val() { sed -n "s/^$2=//p" "$1" | head -n 1; }             # val FILE KEY
csvcol() { awk -F, -v c="$2" 'NR == 1 { for (i = 1; i <= NF; i++) if ($i == c) k = i }
                              NR == 2 { print $k }' "$1"; } # csvcol FILE COLUMN: row 1
calc() { awk "BEGIN { printf \"%.17g\", $1 }"; }            # calc EXPR
median() {                                                  # numbers on stdin
    sort -g | awk '{ v[NR] = $1 } END { if (NR % 2) print v[(NR + 1) / 2];
                   else printf "%.6g\n", (v[NR / 2] + v[NR / 2 + 1]) / 2 }'
}

# busy_cores: cores kept busy by all processes over the next second, from
# /proc/stat (user + nice + system + irq + softirq + steal).
busy_cores() {
    local a b
    a=$(awk '/^cpu / { print $2 + $3 + $4 + $7 + $8 + $9, $5 + $6 }' /proc/stat)
    sleep 1
    b=$(awk '/^cpu / { print $2 + $3 + $4 + $7 + $8 + $9, $5 + $6 }' /proc/stat)
    echo "$a $b" | awk -v n="$(nproc)" '{ busy = $3 - $1; idle = $4 - $2;
        printf "%.2f\n", (busy + idle > 0) ? n * busy / (busy + idle) : 0 }'
}

# wait_quiet TAG: before a measurement, wait (at most QUIET_WAIT seconds,
# default 120) until other processes keep less than QUIET_BUSY cores busy
# (default 0.3); log what was seen to $OUT/quiet.log. The machine may be
# shared: this does not make it quiet, it only avoids starting a measurement
# in the middle of someone else's build.
wait_quiet() {
    local waited=0 b
    while :; do
        b=$(busy_cores)
        if awk -v b="$b" -v t="${QUIET_BUSY:-0.3}" 'BEGIN { exit !(b < t) }' ||
           [ "$waited" -ge "${QUIET_WAIT:-120}" ]; then
            break
        fi
        sleep 4
        waited=$(( waited + 5 ))
    done
    echo "$1 busy_cores_before=$b waited_s=$waited load=$(cut -d' ' -f1-3 /proc/loadavg)" \
        >> "$OUT/quiet.log"
}

# cpu_desc: the CPU every table names — model, family and model number,
# cores, the widest vector extension and FMA — read from /proc/cpuinfo.
cpu_desc() {
    awk -F': *' -v n="$(nproc)" '
        $1 ~ /^model name/ && !mn { mn = $2 }
        $1 ~ /^cpu family/ && !fa { fa = $2 }
        $1 ~ /^model[ \t]*$/ && !mo { mo = $2 }
        $1 ~ /^flags/ && !fl { fl = " " $2 " " }
        END { v = "sse2 (128-bit vectors)"
              if (fl ~ / avx2 /) v = "avx2 (256-bit vectors)"
              if (fl ~ / avx512f /) v = "avx512f (512-bit vectors)"
              printf "%s, family %s model %s, %s cores, %s, %s\n", mn, fa, mo, n, v,
                     fl ~ / fma / ? "FMA" : "no FMA" }' /proc/cpuinfo
}
