#pragma once
/// \file
/// \brief Native (Linux) collectors: process metrics and runtime metrics.
///
/// \code
/// auto registry = obs::NewRegistry({.include_runtime_metrics = true, .include_process_metrics = true});
/// obs::Status st = obs::RegisterPlatformCollectors(registry, "1.4.2");  // MountMetrics does this for you
/// // process_cpu_seconds_total 0.12
/// // process_open_fds 9
/// // golivekit_runtime_threads 5
/// // golivekit_build_info{version="1.4.2"} 1
/// \endcode
///
/// The process collector produces client_golang's process metrics, with the same names, types, units,
/// help texts and sources (Linux /proc), so dashboards and alerts written for Go services work as they
/// are. The runtime collector is this library's meaning of the spec's `IncludeGoMetrics`: there is no Go
/// runtime, so it describes the C++ process's own runtime (threads, malloc heap, build). The mapping is
/// documented in docs/builtin-metrics.md.
///
/// Both are read at scrape time. If /proc cannot be read or parsed, `Collect` returns an error: the
/// registry leaves that collector's families out of the scrape (all of them, never half) and counts the
/// failure in `Registry::failed_collects()`.
///
/// Thread-safety: both collectors are immutable; `Collect` may run on several threads at once.
#include <memory>
#include <string>

#include "golivekit/observability/collector.h"
#include "golivekit/observability/registry.h"
#include "golivekit/observability/status.h"
#include "golivekit/observability/version.h"  // GLK_OBS_VERSION, the default golivekit_build_info{version}

namespace golivekit::observability {

/// Options of `NewProcessCollector` (fields in this order, for designated initializers).
struct ProcessCollectorOpts {
  /// Where procfs is mounted. Tests point it at a fixture tree.
  std::string proc_root = "/proc";
  /// Which process: "self" (the default) or a PID, as client_golang's PidFn.
  std::string pid = "self";
};

/// client_golang's process collector: process_cpu_seconds_total (counter), process_open_fds,
/// process_max_fds, process_virtual_memory_bytes, process_virtual_memory_max_bytes,
/// process_resident_memory_bytes, process_start_time_seconds (gauges). Sources: <root>/<pid>/stat
/// (utime+stime / sysconf(_SC_CLK_TCK); vsize; rss × page size; starttime), <root>/stat (btime),
/// <root>/<pid>/fd (entries counted), <root>/<pid>/limits (soft "Max open files" and "Max address
/// space"; "unlimited" is 2^64-1, exposed as 1.8446744073709552e+19 exactly as client_golang does).
std::shared_ptr<Collector> NewProcessCollector(ProcessCollectorOpts opts = {});

/// Runtime metrics of this process: golivekit_runtime_threads (from <root>/self/status `Threads:`),
/// golivekit_runtime_heap_inuse_bytes and golivekit_runtime_heap_free_bytes (glibc mallinfo2: in-use
/// = uordblks + hblkhd, free = fordblks, the bytes malloc holds but has not handed out; both left out
/// when the C library has no mallinfo2, or when malloc is not glibc's: jemalloc, tcmalloc, sanitizers),
/// golivekit_build_info{version} 1.
std::shared_ptr<Collector> NewRuntimeCollector(std::string version = GLK_OBS_VERSION);

/// Registers the collectors that `registry->opts()` asks for: the process collector if
/// `include_process_metrics`, the runtime collector (with `version`) if `include_runtime_metrics`.
/// Idempotent per registry: a second call registers nothing more and returns OK (the version of the
/// first call stays). An error of Register (a family name already taken by another collector, an
/// invalid registry) is returned as it is; a null registry is InvalidArgument.
Status RegisterPlatformCollectors(const std::shared_ptr<Registry>& registry,
                                  std::string version = GLK_OBS_VERSION);

}  // namespace golivekit::observability
