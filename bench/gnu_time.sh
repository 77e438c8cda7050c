# Sourced by the bench scripts: GNU time (installed when missing) and the
# three figures they read from its `-v` report.

# Installs /usr/bin/time (Debian package `time`) when it is missing.
need_gnu_time() {
    [ -x /usr/bin/time ] && return
    local sudo=""; [ "$(id -u)" -eq 0 ] || sudo="sudo"
    $sudo apt-get install -y -qq time >/dev/null
}

# time_report FILE: prints "WALL_S CPU_S PEAK_RSS_MB" from a `/usr/bin/time -v` report
# (CPU = user + system; the wall clock is h:mm:ss or m:ss.ss).
time_report() {
    awk '
        /Maximum resident set size/ { rss = $NF / 1024 }
        /User time|System time/ { cpu += $NF }
        /Elapsed \(wall clock\)/ { n = split($NF, p, ":"); s = 0; for (i = 1; i <= n; i++) s = s * 60 + p[i] }
        END { printf "%.2f %.2f %.0f\n", s, cpu, rss }' "$1"
}
