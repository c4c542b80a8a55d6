/* The C baseline: benches/src/workloads.rs's workloads made with libvirt's own client
   (libvirt.so), one JSON line each.

     gcc -O2 -o bench bench.c $(pkg-config --cflags --libs libvirt) -lpthread
     ./bench --uri URI --list-uri URI [--list-count N] [--n N] [--only W,W...]

   tasks-N: N threads share one connection, as N tasks share one virtwire Client. */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include <libvirt/libvirt.h>
#include <libvirt/virterror.h>

#include "measure.h"

static const char *const WORKLOADS[] = {
    "seq-libversion", "seq-dominfo", "xml-desc", "tasks-1",
    "tasks-8",        "tasks-64",    "tasks-256", "list-all",
};
#define NWORKLOADS (sizeof WORKLOADS / sizeof WORKLOADS[0])

static void die(const char *what)
{
    const char *msg = virGetLastErrorMessage();
    fprintf(stderr, "bench: %s: %s\n", what, msg ? msg : "failed");
    exit(1);
}

static void seq_lib_version(virConnectPtr c, long n)
{
    unsigned long v;
    for (long i = 0; i < n; i++)
        if (virConnectGetLibVersion(c, &v) < 0)
            die("virConnectGetLibVersion");
}

struct task {
    virConnectPtr conn;
    long n;
};

static void *task_main(void *arg)
{
    struct task *t = arg;
    seq_lib_version(t->conn, t->n);
    return NULL;
}

static long tasks_lib_version(virConnectPtr c, long tasks, long n)
{
    pthread_t *threads = calloc(tasks, sizeof *threads);
    struct task t = {c, n / tasks};
    if (!threads)
        die("calloc");
    for (long i = 0; i < tasks; i++)
        if (pthread_create(&threads[i], NULL, task_main, &t) != 0)
            die("pthread_create");
    for (long i = 0; i < tasks; i++)
        pthread_join(threads[i], NULL);
    free(threads);
    return t.n * tasks;
}

static void list_all(virConnectPtr c, long n, int expect)
{
    for (long i = 0; i < n; i++) {
        virDomainPtr *doms = NULL;
        int got = virConnectListAllDomains(c, &doms, 0);
        if (got < 0)
            die("virConnectListAllDomains");
        if (got != expect) {
            fprintf(stderr, "bench: listed %d domains, expected %d\n", got, expect);
            exit(1);
        }
        for (int j = 0; j < got; j++)
            virDomainFree(doms[j]);
        free(doms);
    }
}

static long run_one(const char *w, virConnectPtr c, virConnectPtr list, virDomainPtr d,
                    long n, int list_count)
{
    virDomainInfo info;
    if (!strcmp(w, "seq-libversion")) {
        seq_lib_version(c, n);
    } else if (!strcmp(w, "seq-dominfo")) {
        for (long i = 0; i < n; i++)
            if (virDomainGetInfo(d, &info) < 0)
                die("virDomainGetInfo");
    } else if (!strcmp(w, "xml-desc")) {
        for (long i = 0; i < n; i++) {
            char *xml = virDomainGetXMLDesc(d, 0);
            if (!xml)
                die("virDomainGetXMLDesc");
            free(xml);
        }
    } else if (!strcmp(w, "list-all")) {
        n = n / 100 > 0 ? n / 100 : 1;
        list_all(list, n, list_count);
    } else {
        return tasks_lib_version(c, atol(w + strlen("tasks-")), n);
    }
    return n;
}

static int known(const char *w)
{
    for (size_t i = 0; i < NWORKLOADS; i++)
        if (!strcmp(w, WORKLOADS[i]))
            return 1;
    return 0;
}

int main(int argc, char **argv)
{
    const char *uri = NULL, *list_uri = NULL;
    char *only = NULL;
    long n = 20000;
    int list_count = 2000;
    for (int i = 1; i + 1 < argc; i += 2) {
        if (!strcmp(argv[i], "--uri")) uri = argv[i + 1];
        else if (!strcmp(argv[i], "--list-uri")) list_uri = argv[i + 1];
        else if (!strcmp(argv[i], "--list-count")) list_count = atoi(argv[i + 1]);
        else if (!strcmp(argv[i], "--n")) n = atol(argv[i + 1]);
        else if (!strcmp(argv[i], "--only")) only = strdup(argv[i + 1]);
        else break;
    }
    if (!uri || !list_uri || argc % 2 == 0) {
        fprintf(stderr, "usage: %s --uri URI --list-uri URI [--list-count N] [--n N] "
                        "[--only W,W...]\n", argv[0]);
        return 2;
    }
    virConnectPtr c = virConnectOpen(uri);
    virConnectPtr list = c ? virConnectOpen(list_uri) : NULL;
    if (!c || !list)
        die("virConnectOpen");
    virDomainPtr d = virDomainLookupByName(c, "test");
    if (!d)
        die("virDomainLookupByName");

    const char *all[NWORKLOADS];
    size_t count = 0;
    if (only) {
        for (char *w = strtok(only, ","); w; w = strtok(NULL, ",")) {
            if (!known(w)) {
                fprintf(stderr, "bench: unknown workload %s\n", w);
                return 2;
            }
            if (count < NWORKLOADS)
                all[count++] = w;
        }
    } else {
        for (; count < NWORKLOADS; count++)
            all[count] = WORKLOADS[count];
    }
    for (size_t i = 0; i < count; i++) {
        unsigned long v;
        virConnectGetLibVersion(c, &v); /* one untimed call, as the Rust side makes */
        struct measure start = measure_now();
        long ops = run_one(all[i], c, list, d, n, list_count);
        measure_print("libvirt.so", all[i], ops, start);
    }
    virDomainFree(d);
    virConnectClose(list);
    virConnectClose(c);
    free(only);
    return 0;
}
