/* Wall time and the process's CPU time around a workload, printed as one JSON line:
   the same format as the Rust side's measure.rs, read by benches/report.py. */
#ifndef VIRTWIRE_BENCH_MEASURE_H
#define VIRTWIRE_BENCH_MEASURE_H

#include <stdio.h>
#include <sys/resource.h>
#include <time.h>

struct measure {
    double wall, user, sys;
};

static double timeval_s(struct timeval tv) { return tv.tv_sec + tv.tv_usec / 1e6; }

static struct measure measure_now(void)
{
    struct timespec ts;
    struct rusage ru;
    struct measure m;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    getrusage(RUSAGE_SELF, &ru);
    m.wall = ts.tv_sec + ts.tv_nsec / 1e9;
    m.user = timeval_s(ru.ru_utime);
    m.sys = timeval_s(ru.ru_stime);
    return m;
}

static void measure_print(const char *client, const char *workload, long ops, struct measure start)
{
    struct measure end = measure_now();
    printf("{\"client\":\"%s\",\"workload\":\"%s\",\"ops\":%ld,\"wall_s\":%.6f,"
           "\"user_s\":%.6f,\"sys_s\":%.6f}\n",
           client, workload, ops, end.wall - start.wall, end.user - start.user,
           end.sys - start.sys);
    fflush(stdout);
}

#endif
