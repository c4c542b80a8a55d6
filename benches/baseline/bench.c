/* The C baseline: benches/src/workloads.rs's workloads made with libvirt's own client
   (libvirt.so), one JSON line each.

     gcc -O2 -o bench bench.c $(pkg-config --cflags --libs libvirt) -lpthread
     ./bench --uri URI --list-uri URI [--list-count N] [--n N]
             [--vol-uri URI --pool NAME --vol NAME --vol-mib N] [--tcp-uri URI] [--tls-uri URI]
             [--only W,W...]

   tasks-N: N threads share one connection, as N tasks share one virtwire Client. A workload
   whose URI is not given is left out. */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include <libvirt/libvirt.h>
#include <libvirt/virterror.h>

#include "measure.h"

static const char *const WORKLOADS[] = {
    "seq-libversion", "seq-dominfo", "xml-desc", "tasks-1",
    "tasks-8",        "tasks-64",    "tasks-256", "list-all",
    "stats-all",      "download",    "upload",    "connect-unix",
    "connect-tcp",    "connect-tls",
};

/* the command line's settings */
struct opts {
    const char *uri, *list_uri, *vol_uri, *pool, *vol, *tcp_uri, *tls_uri;
    long n, vol_mib;
    int list_count;
};

/* the protocol's largest stream data packet (VIR_NET_MESSAGE_LEGACY_PAYLOAD_MAX), the chunk
   virStreamSendAll and virtwire use */
#define CHUNK 262120
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

static void all_domain_stats(virConnectPtr c, long n, int expect)
{
    for (long i = 0; i < n; i++) {
        virDomainStatsRecordPtr *records = NULL;
        int got = virConnectGetAllDomainStats(c, 0, &records, 0);
        if (got < 0)
            die("virConnectGetAllDomainStats");
        if (got != expect) {
            fprintf(stderr, "bench: stats of %d domains, expected %d\n", got, expect);
            exit(1);
        }
        virDomainStatsRecordListFree(records);
    }
}

/* the whole volume through a download stream, the data dropped; returns the MiB read */
static long download(virStorageVolPtr vol, long mib)
{
    virStreamPtr st = virStreamNew(virStorageVolGetConnect(vol), 0);
    static char buf[CHUNK];
    long long bytes = 0;
    int got;
    if (!st || virStorageVolDownload(vol, st, 0, 0, 0) < 0)
        die("virStorageVolDownload");
    while ((got = virStreamRecv(st, buf, sizeof buf)) > 0)
        bytes += got;
    if (got < 0 || virStreamFinish(st) < 0)
        die("virStreamRecv");
    virStreamFree(st);
    if (bytes != (long long)mib << 20) {
        fprintf(stderr, "bench: downloaded %lld bytes, expected %ld MiB\n", bytes, mib);
        exit(1);
    }
    return mib;
}

/* mib MiB written to the volume through an upload stream; returns once the daemon confirms */
static long upload(virStorageVolPtr vol, long mib)
{
    virStreamPtr st = virStreamNew(virStorageVolGetConnect(vol), 0);
    static char buf[CHUNK];
    long long total = (long long)mib << 20, sent = 0;
    memset(buf, 0x5a, sizeof buf);
    if (!st || virStorageVolUpload(vol, st, 0, total, 0) < 0)
        die("virStorageVolUpload");
    while (sent < total) {
        size_t len = total - sent < CHUNK ? (size_t)(total - sent) : CHUNK;
        int put = virStreamSend(st, buf, len);
        if (put < 0)
            die("virStreamSend");
        sent += put;
    }
    if (virStreamFinish(st) < 0)
        die("virStreamFinish");
    virStreamFree(st);
    return mib;
}

static void connect_close(const char *uri, long n)
{
    for (long i = 0; i < n; i++) {
        virConnectPtr c = virConnectOpen(uri);
        if (!c)
            die("virConnectOpen");
        virConnectClose(c);
    }
}

/* the volume of the transfer workloads, on a connection of its own */
static virStorageVolPtr volume(const struct opts *o)
{
    virConnectPtr c = virConnectOpen(o->vol_uri);
    virStoragePoolPtr pool = c ? virStoragePoolLookupByName(c, o->pool) : NULL;
    virStorageVolPtr vol = pool ? virStorageVolLookupByName(pool, o->vol) : NULL;
    if (!vol)
        die("the volume");
    virStoragePoolFree(pool);
    virConnectClose(c); /* the volume keeps the connection open */
    return vol;
}

static int can_run(const char *w, const struct opts *o)
{
    if (!strcmp(w, "download") || !strcmp(w, "upload"))
        return o->vol_uri && o->pool && o->vol;
    if (!strcmp(w, "connect-tcp"))
        return o->tcp_uri != NULL;
    if (!strcmp(w, "connect-tls"))
        return o->tls_uri != NULL;
    return 1;
}

static long run_one(const char *w, virConnectPtr c, virConnectPtr list, virDomainPtr d,
                    virStorageVolPtr vol, const struct opts *o)
{
    virDomainInfo info;
    long n = o->n, few = n / 100 > 0 ? n / 100 : 1;
    int list_count = o->list_count;
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
        list_all(list, n = few, list_count);
    } else if (!strcmp(w, "stats-all")) {
        all_domain_stats(list, n = few, list_count);
    } else if (!strcmp(w, "download")) {
        n = download(vol, o->vol_mib);
    } else if (!strcmp(w, "upload")) {
        n = upload(vol, o->vol_mib);
    } else if (!strcmp(w, "connect-unix")) {
        connect_close(o->uri, n = few);
    } else if (!strcmp(w, "connect-tcp")) {
        connect_close(o->tcp_uri, n = few);
    } else if (!strcmp(w, "connect-tls")) {
        connect_close(o->tls_uri, n = few);
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
    struct opts o = {.n = 20000, .vol_mib = 1024, .list_count = 2000};
    char *only = NULL;
    int i;
    for (i = 1; i + 1 < argc; i += 2) {
        const char *v = argv[i + 1];
        if (!strcmp(argv[i], "--uri")) o.uri = v;
        else if (!strcmp(argv[i], "--list-uri")) o.list_uri = v;
        else if (!strcmp(argv[i], "--list-count")) o.list_count = atoi(v);
        else if (!strcmp(argv[i], "--n")) o.n = atol(v);
        else if (!strcmp(argv[i], "--vol-uri")) o.vol_uri = v;
        else if (!strcmp(argv[i], "--pool")) o.pool = v;
        else if (!strcmp(argv[i], "--vol")) o.vol = v;
        else if (!strcmp(argv[i], "--vol-mib")) o.vol_mib = atol(v);
        else if (!strcmp(argv[i], "--tcp-uri")) o.tcp_uri = v;
        else if (!strcmp(argv[i], "--tls-uri")) o.tls_uri = v;
        else if (!strcmp(argv[i], "--only")) only = strdup(v);
        else break;
    }
    if (!o.uri || !o.list_uri || i < argc) {
        fprintf(stderr, "usage: %s --uri URI --list-uri URI [--list-count N] [--n N] "
                        "[--vol-uri URI --pool NAME --vol NAME --vol-mib N] [--tcp-uri URI] "
                        "[--tls-uri URI] [--only W,W...]\n", argv[0]);
        return 2;
    }
    virConnectPtr c = virConnectOpen(o.uri);
    virConnectPtr list = c ? virConnectOpen(o.list_uri) : NULL;
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
    for (size_t k = 0; k < count; k++) {
        unsigned long v;
        virStorageVolPtr vol = NULL;
        if (!can_run(all[k], &o))
            continue;
        if (!strcmp(all[k], "download") || !strcmp(all[k], "upload"))
            vol = volume(&o);
        virConnectGetLibVersion(c, &v); /* one untimed call, as the Rust side makes */
        struct measure start = measure_now();
        long ops = run_one(all[k], c, list, d, vol, &o);
        measure_print("libvirt.so", all[k], ops, start);
        if (vol)
            virStorageVolFree(vol);
    }
    virDomainFree(d);
    virConnectClose(list);
    virConnectClose(c);
    free(only);
    return 0;
}
