/* What each simulated engine reports about itself: /version and /info. */
#include "fake_swarm_int.h"

#include <stdio.h>
#include <string.h>

#define KERNEL_LINUX "6.18.44-fc-v1147"
#define KERNEL_WINDOWS "10.0 17763 (17763.1.amd64fre.rs5_release.180914-1434)"

/* Version ----------------------------------------------------------------- */

static bool is_windows(const fs_host *h)
{
    return !strcmp(h->os, "windows");
}

static const char *go_arch(const char *arch)
{
    if (!strcmp(arch, "x86_64"))
        return "amd64";
    if (!strcmp(arch, "aarch64"))
        return "arm64";
    return arch;
}

json_t *sl_fake_version(sl_fake_swarm *fs, int host)
{
    fs_host *h = fs_host_at(fs, host);
    const char *os = h ? h->os : "linux";
    const char *arch = go_arch(h ? h->arch : "x86_64");
    const char *kernel = h && is_windows(h) ? KERNEL_WINDOWS : KERNEL_LINUX;
    const char *built = "2026-05-07T21:09:36.000000000+00:00";

    return json_pack(
        "{s:{s:s}, s:[{s:s, s:s, s:{s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s,"
        " s:s}}, {s:s, s:s, s:{s:s}}, {s:s, s:s, s:{s:s}}, {s:s, s:s,"
        " s:{s:s}}], s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s}",
        "Platform", "Name", "",
        "Components",
        "Name", "Engine", "Version", FS_ENGINE_VERSION, "Details",
        "ApiVersion", "1.41", "Arch", arch, "BuildTime", built,
        "Experimental", "false", "GitCommit", "5d6db84", "GoVersion",
        "go1.19.8", "KernelVersion", kernel, "MinAPIVersion", "1.12", "Os",
        os,
        "Name", "containerd", "Version", "1.6.20~ds1", "Details",
        "GitCommit", "1.6.20~ds1-1+deb12u3",
        "Name", "runc", "Version", "1.1.5+ds1", "Details", "GitCommit",
        "1.1.5+ds1-1+deb12u1",
        "Name", "docker-init", "Version", "0.19.0", "Details", "GitCommit",
        "",
        "Version", FS_ENGINE_VERSION, "ApiVersion", "1.41", "MinAPIVersion",
        "1.12", "GitCommit", "5d6db84", "GoVersion", "go1.19.8", "Os", os,
        "Arch", arch, "KernelVersion", kernel, "BuildTime", built);
}

/* Info --------------------------------------------------------------------- */

/* Counts the containers swarm tasks left on 'h'. */
static void count_containers(const fs_host *h, int *all, int *running,
                             int *images)
{
    fs_cluster *cl = h->cluster;
    json_t *seen = json_object();
    size_t i;

    *all = *running = 0;
    for (i = 0; cl && i < cl->tasks.n; i++) {
        fs_task *t = cl->tasks.v[i];
        json_t *cs;

        if (strcmp(t->node_id, h->node_id) || !t->container_id[0])
            continue;
        (*all)++;
        if (t->state == FS_T_RUNNING)
            (*running)++;
        cs = json_object_get(t->spec, "ContainerSpec");
        if (json_is_string(json_object_get(cs, "Image")))
            json_object_set_new(seen, json_string_value(json_object_get(
                                          cs, "Image")),
                                json_true());
    }
    *images = (int)json_object_size(seen);
    json_decref(seen);
}

static json_t *info_plugins(const fs_host *h)
{
    if (is_windows(h))
        return json_pack(
            "{s:[s], s:[s,s,s,s,s,s,s,s,s], s:n, s:[s,s,s,s,s,s,s,s,s]}",
            "Volume", "local", "Network", "ics", "internal", "l2bridge",
            "l2tunnel", "nat", "null", "overlay", "private", "transparent",
            "Authorization", "Log", "awslogs", "etwlogs", "fluentd",
            "gcplogs", "gelf", "json-file", "local", "logentries",
            "splunk");
    return json_pack(
        "{s:[s], s:[s,s,s,s,s,s], s:n, s:[s,s,s,s,s,s,s,s,s,s]}", "Volume",
        "local", "Network", "bridge", "host", "ipvlan", "macvlan", "null",
        "overlay", "Authorization", "Log", "awslogs", "fluentd", "gcplogs",
        "gelf", "journald", "json-file", "local", "logentries", "splunk",
        "syslog");
}

static json_t *engine_label_list(const fs_host *h)
{
    json_t *list = json_array();
    const char *key;
    json_t *val;
    char buf[512];

    json_object_foreach(h->engine_labels, key, val) {
        snprintf(buf, sizeof(buf), "%s=%s", key, json_string_value(val));
        json_array_append_new(list, json_string(buf));
    }
    return list;
}

json_t *sl_fake_info(sl_fake_swarm *fs, int host)
{
    fs_host *h = fs_host_at(fs, host);
    bool win;
    int all, running, images;
    json_t *info, *registry, *tail, *sw;

    if (!h)
        return NULL;
    fs_tick(fs);
    win = is_windows(h);
    count_containers(h, &all, &running, &images);
    registry = json_pack(
        "{s:[], s:[], s:[s], s:{s:{s:s, s:[], s:b, s:b}}, s:[]}",
        "AllowNondistributableArtifactsCIDRs",
        "AllowNondistributableArtifactsHostnames", "InsecureRegistryCIDRs",
        "127.0.0.0/8", "IndexConfigs", "docker.io", "Name", "docker.io",
        "Mirrors", "Secure", 1, "Official", 1, "Mirrors");
    info = json_pack(
        "{s:s, s:i, s:i, s:i, s:i, s:i, s:s, s:o, s:o, s:b, s:b, s:b, s:b,"
        " s:b, s:b, s:b, s:b, s:b, s:b, s:b, s:b, s:b, s:i, s:b, s:i, s:o,"
        " s:s, s:s, s:s, s:i}",
        "ID", h->engine_id, "Containers", all, "ContainersRunning", running,
        "ContainersPaused", 0, "ContainersStopped", all - running, "Images",
        images, "Driver", win ? "windowsfilter" : "overlay2",
        "DriverStatus",
        win ? json_array()
            : json_pack("[[s,s],[s,s],[s,s],[s,s]]", "Backing Filesystem",
                        "extfs", "Supports d_type", "true",
                        "Native Overlay Diff", "true", "userxattr", "false"),
        "Plugins", info_plugins(h), "MemoryLimit", !win, "SwapLimit", !win,
        "KernelMemory", !win, "KernelMemoryTCP", !win, "CpuCfsPeriod", !win,
        "CpuCfsQuota", !win, "CPUShares", !win, "CPUSet", !win, "PidsLimit",
        !win, "IPv4Forwarding", 1, "BridgeNfIptables", !win,
        "BridgeNfIp6tables", !win, "Debug", 0, "NFd", h->cluster ? 36 : 27,
        "OomKillDisable", !win, "NGoroutines", h->cluster ? 152 : 40,
        "SystemTime", fs_time(fs_now(fs)), "LoggingDriver", "json-file",
        "CgroupDriver", win ? "" : "cgroupfs", "CgroupVersion",
        win ? "" : "1", "NEventsListener", 0);
    tail = json_pack(
        "{s:s, s:s, s:s, s:s, s:s, s:s, s:o, s:I, s:I, s:n, s:s, s:s, s:s,"
        " s:s, s:s, s:o, s:b, s:s}",
        "KernelVersion", win ? KERNEL_WINDOWS : KERNEL_LINUX,
        "OperatingSystem",
        win ? "Windows Server 2019 Datacenter Version 1809 (OS Build "
              "17763.1)"
            : "Debian GNU/Linux 12 (bookworm)",
        "OSVersion", win ? "10.0 17763 (17763.1.amd64fre.rs5_release."
                           "180914-1434)"
                         : "12",
        "OSType", h->os, "Architecture", h->arch, "IndexServerAddress",
        "https://index.docker.io/v1/", "RegistryConfig", registry, "NCPU",
        (json_int_t)(h->nano_cpus / SL_NS_PER_SEC), "MemTotal",
        (json_int_t)h->memory_bytes, "GenericResources", "DockerRootDir",
        win ? "C:\\ProgramData\\docker" : "/var/lib/docker", "HttpProxy", "",
        "HttpsProxy", "", "NoProxy", "", "Name", h->hostname, "Labels",
        engine_label_list(h), "ExperimentalBuild", 0, "ServerVersion",
        FS_ENGINE_VERSION);
    json_object_update(info, tail);
    json_decref(tail);
    tail = json_pack(
        "{s:o, s:s, s:o, s:b, s:s, s:s, s:{s:s, s:s}, s:{s:s, s:s},"
        " s:{s:s, s:s}, s:[s], s:n}",
        "Runtimes",
        win ? json_object()
            : json_pack("{s:{s:s}, s:{s:s}, s:{s:s}}",
                        "io.containerd.runc.v2", "path", "runc",
                        "io.containerd.runtime.v1.linux", "path", "runc",
                        "runc", "path", "runc"),
        "DefaultRuntime", win ? "" : "runc", "Swarm",
        sw = fs_swarm_section(fs, h),
        "LiveRestoreEnabled", 0, "Isolation", win ? "process" : "",
        "InitBinary", win ? "" : "docker-init", "ContainerdCommit", "ID",
        "1.6.20~ds1-1+deb12u3", "Expected", "1.6.20~ds1-1+deb12u3",
        "RuncCommit", "ID", "1.1.5+ds1-1+deb12u1", "Expected",
        "1.1.5+ds1-1+deb12u1", "InitCommit", "ID", "", "Expected", "",
        "SecurityOptions", "name=seccomp,profile=default", "Warnings");
    json_object_update(info, tail);
    json_decref(tail);
    if (json_object_get(sw, "Warnings"))
        json_object_set(info, "Warnings", json_object_get(sw, "Warnings"));
    return info;
}

