/*
 * The independent encoder of tests/independent_encoder.rs: libvirt's own client library makes
 * fixed calls through its public API against the test's recording fake daemon, which keeps
 * every call body so that the test can compare them byte for byte with what virtwire encodes
 * for the same arguments.
 *
 *   libvirt_client remote|admin|lxc LIBDIR SOCKET
 *
 * LIBDIR holds libvirt.so.0 (and libvirt-admin.so.0 / libvirt-lxc.so.0) of the libvirt whose
 * encoder is checked. No libvirt headers are needed: the library is opened with dlopen and
 * the few types and prototypes used are declared here as libvirt's ABI defines them. Every
 * API call prints one line "name rc" (rc < 0: libvirt refused or the fake daemon answered
 * with an error, which it does for most calls), so that a call that never reached the wire
 * can be told from one that did. The argument values must match the test's: change both.
 * Flags that libvirt documents as unused are passed as 4: its client forwards every flag
 * unchecked (a daemon would refuse the bit; the fake one records it).
 */
#include <dlfcn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* virTypedParameter, as libvirt-common.h lays it out */
typedef struct {
    char field[80];
    int type;
    union {
        int i;
        unsigned int ui;
        long long l;
        unsigned long long ul;
        double d;
        char b;
        char *s;
    } value;
} typed_param;

enum { TP_INT = 1, TP_UINT, TP_LLONG, TP_ULLONG, TP_DOUBLE, TP_BOOLEAN, TP_STRING };

static void *libs[3];

static void *sym(const char *name)
{
    for (size_t i = 0; i < sizeof(libs) / sizeof(libs[0]); i++) {
        if (libs[i]) {
            void *p = dlsym(libs[i], name);
            if (p)
                return p;
        }
    }
    fprintf(stderr, "libvirt_client: %s: not in this libvirt\n", name);
    exit(3);
}

static void *open_lib(const char *dir, const char *name)
{
    char path[4096];
    snprintf(path, sizeof(path), "%s/%s", dir, name);
    void *h = dlopen(path, RTLD_NOW | RTLD_GLOBAL);
    if (!h) {
        fprintf(stderr, "libvirt_client: %s\n", dlerror());
        exit(3);
    }
    return h;
}

static void report(const char *name, long rc)
{
    printf("%s %ld\n", name, rc);
    fflush(stdout);
}

#define CALL(ret, name, params, args) \
    ((ret(*) params)sym(name))args

static void set_param(typed_param *p, const char *field, int type)
{
    memset(p, 0, sizeof(*p));
    snprintf(p->field, sizeof(p->field), "%s", field);
    p->type = type;
}

/* a connection to SOCKET through the remote driver, for driver SCHEME */
static void *connect_to(const char *scheme, const char *path, const char *socket)
{
    char uri[4200];
    snprintf(uri, sizeof(uri), "%s+unix://%s?socket=%s", scheme, path, socket);
    void *conn = CALL(void *, "virConnectOpen", (const char *), (uri));
    report("virConnectOpen", conn ? 0 : -1);
    if (!conn)
        exit(4);
    return conn;
}

static void *lookup_domain(void *conn)
{
    void *dom = CALL(void *, "virDomainLookupByName", (void *, const char *),
                     (conn, "vw-independent"));
    report("virDomainLookupByName", dom ? 0 : -1);
    if (!dom)
        exit(4);
    return dom;
}

/* the last reference to CONN: libvirt says CONNECT_CLOSE */
static void close_conn(void *conn)
{
    report("virConnectClose", CALL(int, "virConnectClose", (void *), (conn)));
}

/* REMOTE procedures 444..452 (libvirt 11.x) */
static void remote(const char *socket)
{
    void *conn = connect_to("test", "/default", socket);
    void *dom = lookup_domain(conn);
    void *net = CALL(void *, "virNetworkLookupByName", (void *, const char *),
                     (conn, "vw-net-\xc3\xa9"));
    report("virNetworkLookupByName", net ? 0 : -1);
    void *dev = CALL(void *, "virNodeDeviceLookupByName", (void *, const char *),
                     (conn, "pci_0000_00_1f_2"));
    report("virNodeDeviceLookupByName", dev ? 0 : -1);
    if (!net || !dev)
        exit(4);

    /* type 2 = VIR_NETWORK_METADATA_ELEMENT; flags 2 = VIR_NETWORK_UPDATE_AFFECT_CONFIG */
    report("virNetworkSetMetadata",
           CALL(int, "virNetworkSetMetadata",
                (void *, int, const char *, const char *, const char *, unsigned int),
                (net, 2, "<owner>virtwire</owner>", "vw", "https://example.org/vw/1", 2)));
    char *md = CALL(char *, "virNetworkGetMetadata", (void *, int, const char *, unsigned int),
                    (net, 2, "https://example.org/vw/1", 1));
    report("virNetworkGetMetadata", md ? 0 : -1);
    /* flags 2 = VIR_NODE_DEVICE_UPDATE_AFFECT_CONFIG */
    report("virNodeDeviceUpdate",
           CALL(int, "virNodeDeviceUpdate", (void *, const char *, unsigned int),
                (dev, "<device><name>pci_0000_00_1f_2</name></device>", 2)));
    /* type 1 = VIR_DOMAIN_GRAPHICS_RELOAD_TYPE_VNC */
    report("virDomainGraphicsReload",
           CALL(int, "virDomainGraphicsReload", (void *, unsigned int, unsigned int),
                (dom, 1, 4)));
    int autostart = -1;
    report("virDomainGetAutostartOnce",
           CALL(int, "virDomainGetAutostartOnce", (void *, int *), (dom, &autostart)));
    report("virDomainSetAutostartOnce",
           CALL(int, "virDomainSetAutostartOnce", (void *, int), (dom, 1)));

    typed_param params[3];
    set_param(&params[0], "total_bytes_sec", TP_ULLONG);
    params[0].value.ul = 10485760ULL;
    set_param(&params[1], "read_iops_sec_max", TP_ULLONG);
    params[1].value.ul = 0x1122334455667788ULL;
    set_param(&params[2], "group_name", TP_STRING);
    params[2].value.s = "vw-group";
    /* flags 1 = VIR_DOMAIN_AFFECT_LIVE */
    report("virDomainSetThrottleGroup",
           CALL(int, "virDomainSetThrottleGroup",
                (void *, const char *, typed_param *, int, unsigned int),
                (dom, "vw-group", params, 3, 1)));
    /* flags 2 = VIR_DOMAIN_AFFECT_CONFIG */
    report("virDomainDelThrottleGroup",
           CALL(int, "virDomainDelThrottleGroup", (void *, const char *, unsigned int),
                (dom, "vw-group", 2)));
    CALL(int, "virDomainFree", (void *), (dom));
    CALL(int, "virNetworkFree", (void *), (net));
    CALL(int, "virNodeDeviceFree", (void *), (dev));
    close_conn(conn);
}

/* the LXC program's one procedure */
static void lxc(const char *socket)
{
    void *conn = connect_to("lxc", "/system", socket);
    void *dom = lookup_domain(conn);
    int *fds = NULL;
    report("virDomainLxcOpenNamespace",
           CALL(int, "virDomainLxcOpenNamespace", (void *, int **, unsigned int),
                (dom, &fds, 4)));
    CALL(int, "virDomainFree", (void *), (dom));
    close_conn(conn);
}

/* every ADMIN procedure */
static void admin(const char *socket)
{
    char uri[4200];
    snprintf(uri, sizeof(uri), "libvirtd:///system?socket=%s", socket);
    void *conn = CALL(void *, "virAdmConnectOpen", (const char *, unsigned int), (uri, 0));
    report("virAdmConnectOpen", conn ? 0 : -1);
    if (!conn)
        exit(4);
    unsigned long long version = 0;
    report("virAdmConnectGetLibVersion",
           CALL(int, "virAdmConnectGetLibVersion", (void *, unsigned long long *),
                (conn, &version)));
    void **servers = NULL;
    report("virAdmConnectListServers",
           CALL(int, "virAdmConnectListServers", (void *, void ***, unsigned int),
                (conn, &servers, 4)));
    void *srv = CALL(void *, "virAdmConnectLookupServer", (void *, const char *, unsigned int),
                     (conn, "virtwire-admin", 4));
    report("virAdmConnectLookupServer", srv ? 0 : -1);
    if (!srv)
        exit(4);

    typed_param *got = NULL;
    int ngot = 0;
    report("virAdmServerGetThreadPoolParameters",
           CALL(int, "virAdmServerGetThreadPoolParameters",
                (void *, typed_param **, int *, unsigned int), (srv, &got, &ngot, 4)));
    typed_param pool[3];
    set_param(&pool[0], "minWorkers", TP_UINT);
    pool[0].value.ui = 3;
    set_param(&pool[1], "maxWorkers", TP_UINT);
    pool[1].value.ui = 0x01020304;
    set_param(&pool[2], "prioWorkers", TP_UINT);
    pool[2].value.ui = 7;
    report("virAdmServerSetThreadPoolParameters",
           CALL(int, "virAdmServerSetThreadPoolParameters",
                (void *, typed_param *, int, unsigned int), (srv, pool, 3, 4)));
    void **clients = NULL;
    report("virAdmServerListClients",
           CALL(int, "virAdmServerListClients", (void *, void ***, unsigned int),
                (srv, &clients, 4)));
    void *clnt = CALL(void *, "virAdmServerLookupClient",
                      (void *, unsigned long long, unsigned int),
                      (srv, 0x0102030405060708ULL, 4));
    report("virAdmServerLookupClient", clnt ? 0 : -1);
    if (!clnt)
        exit(4);
    report("virAdmClientGetInfo",
           CALL(int, "virAdmClientGetInfo", (void *, typed_param **, int *, unsigned int),
                (clnt, &got, &ngot, 4)));
    report("virAdmClientClose",
           CALL(int, "virAdmClientClose", (void *, unsigned int), (clnt, 4)));
    report("virAdmServerGetClientLimits",
           CALL(int, "virAdmServerGetClientLimits",
                (void *, typed_param **, int *, unsigned int), (srv, &got, &ngot, 4)));
    typed_param limits[2];
    set_param(&limits[0], "nclients_max", TP_UINT);
    limits[0].value.ui = 4096;
    set_param(&limits[1], "nclients_unauth_max", TP_UINT);
    limits[1].value.ui = 17;
    report("virAdmServerSetClientLimits",
           CALL(int, "virAdmServerSetClientLimits",
                (void *, typed_param *, int, unsigned int), (srv, limits, 2, 4)));
    char *text = NULL;
    report("virAdmConnectGetLoggingOutputs",
           CALL(int, "virAdmConnectGetLoggingOutputs", (void *, char **, unsigned int),
                (conn, &text, 4)));
    report("virAdmConnectGetLoggingFilters",
           CALL(int, "virAdmConnectGetLoggingFilters", (void *, char **, unsigned int),
                (conn, &text, 4)));
    report("virAdmConnectSetLoggingOutputs",
           CALL(int, "virAdmConnectSetLoggingOutputs", (void *, const char *, unsigned int),
                (conn, "2:file:/var/log/vw.log 3:stderr", 4)));
    report("virAdmConnectSetLoggingFilters",
           CALL(int, "virAdmConnectSetLoggingFilters", (void *, const char *, unsigned int),
                (conn, "1:rpc 3:util.object", 4)));
    report("virAdmServerUpdateTlsFiles",
           CALL(int, "virAdmServerUpdateTlsFiles", (void *, unsigned int), (srv, 4)));
    report("virAdmConnectSetDaemonTimeout",
           CALL(int, "virAdmConnectSetDaemonTimeout", (void *, unsigned int, unsigned int),
                (conn, 120, 4)));
    /* the last reference to the connection goes: libvirt says CONNECT_CLOSE */
    CALL(int, "virAdmClientFree", (void *), (clnt));
    CALL(int, "virAdmServerFree", (void *), (srv));
    report("virAdmConnectClose", CALL(int, "virAdmConnectClose", (void *), (conn)));
}

int main(int argc, char **argv)
{
    if (argc != 4) {
        fprintf(stderr, "usage: %s remote|admin|lxc LIBDIR SOCKET\n", argv[0]);
        return 2;
    }
    libs[0] = open_lib(argv[2], "libvirt.so.0");
    if (strcmp(argv[1], "remote") == 0) {
        remote(argv[3]);
    } else if (strcmp(argv[1], "admin") == 0) {
        libs[1] = open_lib(argv[2], "libvirt-admin.so.0");
        admin(argv[3]);
    } else if (strcmp(argv[1], "lxc") == 0) {
        libs[2] = open_lib(argv[2], "libvirt-lxc.so.0");
        lxc(argv[3]);
    } else {
        fprintf(stderr, "unknown mode %s\n", argv[1]);
        return 2;
    }
    return 0;
}
