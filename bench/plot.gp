# plot.gp: channel throughput against the number of senders, as an SVG.
#
# bench/plot runs it as
#
#   gnuplot -c plot.gp DATA OUT.SVG NCPU SOURCE [n/a]
#
# DATA has one row per number of senders (1, 2, 4): the senders, then
# median, min and max in millions of 64-byte messages per second for
# shmconc between processes, shmconc between threads, a pipe and a POSIX
# message queue, "?" for a figure shmbench could not measure.  NCPU is the
# number of CPUs online, SOURCE the command the figures came from; n/a
# says that POSIX mq could not be measured.
#
# Copyright 2026 The shmconc developers.
# SPDX-License-Identifier: MIT

data = ARG1
ncpu = ARG3

# noenhanced: the labels are plain text, and an underscore stays one.
set terminal svg size 800,520 dynamic noenhanced \
    font "sans,13" background "white"
set output ARG2
set datafile missing "?"

# With 4 senders and a receiver on fewer than 5 CPUs, the workers take
# turns on the CPUs; shmbench warns about it, and so does the plot.
crowd = (ncpu ne "?" && ncpu + 0 < 5) ? \
    sprintf("\n4 senders + 1 receiver outnumber the %s CPUs: " . \
    "those figures include time slicing", ncpu) : ""
set title sprintf("Channel throughput, 64-byte messages, %s CPU%s", \
    ncpu, ncpu eq "1" ? "" : "s") . crowd
set xlabel "senders (one receiver)"
set ylabel "million messages per second"
set label 1 sprintf("%s; median, bars from min to max", ARG4) \
    at screen 0.99, screen 0.02 right font ",10" textcolor "grey40"

# Senders double from point to point, so a log scale spaces them evenly.
set logscale x 2
set xrange [0.8:5]
set xtics ("1" 1, "2" 2, "4" 4)
set yrange [0:*]
set grid ytics lc "grey80"
set offsets 0, 0, graph 0.05, 0
set key outside right top spacing 1.3
set bmargin 5

# shmbench prints n/a for POSIX mq where mq_open fails (no mqueue file
# system, or a limit reached): its line is then left out, and the note at
# the bottom says why.
if (ARG5 eq "n/a") {
	mq = ""
	set label 2 "POSIX mq: n/a on this system" at screen 0.99, \
	    screen 0.06 right font ",10" textcolor "grey40"
} else {
	mq = ", data using ($1 * 1.04):11:12:13 with yerrorlines " . \
	    "lw 2 pt 11 lc rgb '#9467bd' title 'POSIX mq'"
}

# Each way is nudged sideways a little, so that its bars do not hide the
# others'.
plot data using ($1 * 0.96):2:3:4 with yerrorlines \
	lw 2 pt 7 lc rgb "#1f77b4" title "shmconc, processes", \
    data using ($1 * 0.987):5:6:7 with yerrorlines \
	lw 2 pt 5 lc rgb "#2ca02c" title "shmconc, threads", \
    data using ($1 * 1.013):8:9:10 with yerrorlines \
	lw 2 pt 9 lc rgb "#d62728" title "pipe" @mq
